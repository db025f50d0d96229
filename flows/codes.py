"""Repair territory codes the way they get damaged, and only when the repair is certain.

Spreadsheets drop leading zeros (``1001`` for ``01001``), communes merge every year (the code
of a commune déléguée now belongs to its commune nouvelle), and energy publishers count Paris,
Lyon and Marseille by municipal arrondissement. Each repair is returned so it can be
recorded; a code that cannot be repaired with certainty is left as read, for the contract to reject.
"""

from __future__ import annotations

import polars as pl

from flows.reference import Territories
from schemas.check import ROW

REPAIR_SCHEMA = pl.Schema(
    {
        "ligne": pl.Int64,
        "colonne": pl.String,
        "valeur_lue": pl.String,
        "valeur_retenue": pl.String,
        "motif": pl.String,
    }
)
LIST_SEPARATOR = "|"


def commune(code: str, ref: Territories) -> tuple[str, str | None]:
    """Today's code for ``code`` and why it changed, or ``code`` itself and ``None``."""
    if code in ref.communes:
        return code, None
    reasons, candidate = [], code
    if code.isdigit() and len(code) < 5:
        candidate = code.zfill(5)
        reasons.append("zéro(s) initial(aux) restauré(s)")
    if candidate in ref.merged_into:
        candidate, why = ref.merged_into[candidate]
        reasons.append(why)
    if candidate in ref.communes:
        return candidate, ", ".join(reasons)
    return code, None


def territory(code: str, ref: Territories) -> tuple[str, str | None]:
    """A commune code or an EPCI SIREN, repaired as a commune code if it is not an EPCI."""
    return (code, None) if code in ref.epci else commune(code, ref)


def repair_column(
    frame: pl.DataFrame, column: str, ref: Territories, *, many: bool = False
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Repair ``column`` (a ``|``-separated list when ``many``); return frame and repairs."""
    fix = territory if many else commune
    mapping: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for value in frame[column].drop_nulls().unique().to_list():
        if value in ref.communes or (many and value in ref.epci):
            continue  # most values: a current code, left as read
        parts = value.replace(",", LIST_SEPARATOR).split(LIST_SEPARATOR) if many else [value]
        codes = [c.strip() for c in parts if c.strip()]
        fixed = [fix(c, ref) for c in codes]
        if (retained := LIST_SEPARATOR.join(code for code, _ in fixed)) != value:
            mapping[value] = retained
        changes = [(c, new, r) for c, (new, r) in zip(codes, fixed, strict=True) if r]
        why = "; ".join(f"{c} → {new} ({r})" if many else r for c, new, r in changes)
        if why:
            reasons[value] = why
    if not mapping:
        return frame, pl.DataFrame(schema=REPAIR_SCHEMA)
    repaired = frame.with_columns(pl.col(column).replace(mapping))
    changed = frame.filter(pl.col(column).is_in(list(reasons)))
    repairs = pl.DataFrame(
        {
            "ligne": changed[ROW],
            "colonne": column,
            "valeur_lue": changed[column],
            "valeur_retenue": changed[column].replace(mapping),
            "motif": changed[column].replace(reasons),
        },
        schema=REPAIR_SCHEMA,
    )
    return repaired, repairs


def pad_column(frame: pl.DataFrame, column: str, width: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Give back the leading zeros of a fixed-width code of digits (NAF ``9`` → ``09``, région
    ``1`` → ``01``), and the repairs; any other value is left as read, for the contract."""
    text = pl.col(column).cast(pl.String).str.strip_chars()
    short = text.str.contains(rf"^\d{{1,{width - 1}}}$")
    padded = frame.with_columns(
        pl.when(short).then(text.str.zfill(width)).otherwise(text).alias(column)
    )
    changed = frame.with_columns(text.alias(column)).filter(short.fill_null(False))
    repairs = changed.select(
        ROW,
        pl.lit(column).alias("colonne"),
        pl.col(column).alias("valeur_lue"),
        pl.col(column).str.zfill(width).alias("valeur_retenue"),
        pl.lit("zéro initial perdu (tableur) : rétabli").alias("motif"),
    ).cast(REPAIR_SCHEMA)
    return padded, repairs
