"""Apply a pandera contract to a raw text table: keep valid rows, explain every rejected one.

Raw tables arrive as text columns (or typed ones: Parquet, numbers the CSV reader could parse) plus
``ligne`` (the row number a spreadsheet shows, header = 1).
Typing is done here rather than by pandera's ``coerce`` so that a value that is not a number or a
date is reported on its own row and column instead of failing the whole frame.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:  # pandera is imported where a contract is built or applied: a refresh with
    import pandera.polars as pa  # nothing to check, and the readers, start without it

ROW = "ligne"
WHOLE_ROW = "(ligne entière)"
PERSONAL = "personnel"  # key of a contract field's metadata: its values are personal data
PROBLEM_SCHEMA = pl.Schema(
    {"ligne": pl.Int64, "colonne": pl.String, "regle": pl.String, "valeur": pl.String}
)


MAX_MESSAGE = 500  # characters of a message about a file: a 1 M-column header is not quoted


def capped(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text``, cut to ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    tail = f"… ({len(text):,} caractères)".replace(",", "\u202f")
    return text[: limit - len(tail)] + tail


def listed(names: Iterable[str], limit: int = 300) -> str:
    """Names joined by commas, cut to about ``limit`` characters, saying how many there were."""
    names = list(names)
    text = ", ".join(names)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(names)} colonnes)"


_READ_COLUMNS = re.compile(r"colonnes lues : [^)]*")


class ContractError(ValueError):
    """The file as a whole breaks its contract (missing column, unreadable layout).

    ``str()`` is the public message: it names the file, the rule, the expected columns and
    counts, never what the file holds, for it reaches the published run history and the alert
    webhook. ``detail`` adds what was read (header names, the reader's own words) for the
    internal audit and the operator's terminal (a traceback shows it as a note). A message given
    alone is both, its « colonnes lues : … » list (another reader's words) replaced by a count
    in the public one. Both are capped (``MAX_MESSAGE``)."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        detail = capped(detail or message)
        if detail == capped(message):
            message = _READ_COLUMNS.sub(
                lambda m: f"{m[0].count(',') + 1} colonne(s) lue(s), non reprises", message
            )
        super().__init__(capped(message))
        self.detail = detail
        if detail != str(self):
            self.add_note(f"détail (interne) : {detail}")


@dataclass(frozen=True)
class Checked:
    """Outcome of checking one file: typed valid rows, and one line per problem found."""

    file: str
    valid: pl.DataFrame
    problems: pl.DataFrame
    rejected: pl.DataFrame
    repairs: pl.DataFrame | None = None  # codes repaired before checking, see flows/codes.py
    staged: pl.DataFrame | None = None  # what to stage, when its shape differs from ``valid``
    personal: frozenset[str] = frozenset()  # columns whose values messages never repeat

    @property
    def to_stage(self) -> pl.DataFrame:
        return self.valid if self.staged is None else self.staged

    @property
    def rows_read(self) -> int:
        return self.valid.height + self.rejected.height

    def messages(self, limit: int | None = None) -> list[str]:
        rows = self.problems.sort(ROW).head(limit) if limit else self.problems.sort(ROW)
        return [
            f"{self.file}, ligne {p['ligne']}, colonne {p['colonne']} : {p['regle']} "
            + (
                "(donnée personnelle, valeur non reprise)"
                if p["colonne"] in self.personal
                else f"(valeur {p['valeur']!r})"
            )
            for p in rows.iter_rows(named=True)
        ]


def missing_columns(
    file: str, contract: str, missing: list[str], read: list[str], expected: set[str]
) -> ContractError:
    """A file without some columns of its contract. The header's names are the file's content
    (a file without its header line gives its first row as names): the public message counts
    them and names only the contract's columns."""
    read = [c for c in read if c != ROW]
    known = [c for c in read if c in expected]
    if known:
        public = (
            f"{file} : colonne(s) manquante(s) {listed(missing, 150)} (contrat {contract} ; "
            f"{len(read)} colonne(s) lue(s), dont {len(known)} attendue(s))"
        )
    else:
        public = (
            f"{file} : en-tête illisible : {len(read)} colonne(s) lue(s), aucune des "
            f"{len(expected)} du contrat {contract} (toutes manquantes : ligne d'en-tête absente ?)"
        )
    return ContractError(
        public,
        f"{file} : colonne(s) manquante(s) {listed(missing, 150)} (contrat {contract} ; "
        f"{len(read)} colonne(s) lue(s) : {listed(read, 150)})",
    )


def require_columns(raw: pl.DataFrame, expected: Iterable[str], file: str, what: str) -> None:
    """Refuse a file without one of the ``expected`` columns of its publisher (``what``: « ORE »,
    « du registre ODRÉ »…), naming them; what was read goes to the error's detail only."""
    missing = [column for column in expected if column not in raw.columns]
    if missing:
        read = ", ".join(c for c in raw.columns if c != ROW)
        raise ContractError(
            f"{file} : colonne(s) {what} manquante(s) : {', '.join(missing)} "
            f"(colonnes lues : {read})"
        )


def one_of(values: Iterable[str], error: str) -> pa.Check:
    """``Check.isin`` for a large reference such as today's communes, held as one polars Series:
    pandera copies every check at each validation, and converts a Python collection each time."""
    import pandera.polars as pa

    allowed = pl.Series(list(values), dtype=pl.String).implode()
    return pa.Check(
        lambda data: data.lazyframe.select(pl.col(data.key).is_in(allowed)),
        name="one_of",
        error=error,
    )


def numbers(contract: type[pa.DataFrameModel]) -> dict[str, pl.DataType]:
    """The contract's number columns and their types: what a reader may parse itself."""
    columns = contract.to_schema().columns
    return {name: c.dtype.type for name, c in columns.items() if c.dtype.type.is_numeric()}


def _cast(column: str, dtype: pl.DataType, french: bool = True) -> pl.Expr:
    """Parse a text column; ``french`` numbers (decimal comma, spaced thousands) cost a regex."""
    text = pl.col(column).str.strip_chars().replace("", None)
    if dtype == pl.String:
        return text
    if dtype.is_numeric() and not french:
        return text.cast(dtype, strict=False)
    if dtype in (pl.Float64, pl.Float32):
        return (
            text.str.replace_all(r"[\s\u00a0\u202f]", "")
            .str.replace(",", ".")
            .cast(dtype, strict=False)
        )
    if dtype == pl.Date:
        return pl.coalesce(
            text.str.to_date("%Y-%m-%d", strict=False), text.str.to_date("%d/%m/%Y", strict=False)
        )
    if dtype == pl.Boolean:
        lowered = text.str.to_lowercase()
        return (
            pl.when(lowered.is_in(["1", "true", "oui", "vrai", "o", "yes"]))
            .then(True)
            .when(lowered.is_in(["0", "false", "non", "faux", "n", "no"]))
            .then(False)
        )
    return text.str.replace_all(r"[\s\u00a0\u202f]", "").cast(dtype, strict=False)


def _type_problems(raw: pl.DataFrame, typed: pl.DataFrame, dtypes: dict[str, pl.DataType]):
    frames = []
    for column, dtype in dtypes.items():
        if dtype == pl.String or raw.schema[column] != pl.String:
            continue
        bad = raw[column].str.strip_chars().fill_null("").ne("") & typed[column].is_null()
        if bad.any():
            frames.append(
                pl.DataFrame(
                    {
                        "ligne": raw[ROW].filter(bad),
                        "colonne": column,
                        "regle": f"type {dtype}",
                        "valeur": raw[column].filter(bad),
                    },
                    schema=PROBLEM_SCHEMA,
                )
            )
    return frames


def check(
    raw: pl.DataFrame, contract: type[pa.DataFrameModel] | pa.DataFrameSchema, file: str
) -> Checked:
    """Type ``raw`` by the contract's columns, validate it, split valid rows from rejected ones."""
    import pandera.polars as pa
    from pandera.errors import SchemaErrors

    schema = contract if isinstance(contract, pa.DataFrameSchema) else contract.to_schema()
    missing = [c for c in schema.columns if c not in raw.columns]
    if missing:
        raise missing_columns(file, schema.name, missing, raw.columns, set(schema.columns))
    dtypes = {name: column.dtype.type for name, column in schema.columns.items()}
    raw = raw.select(ROW, *dtypes)
    numeric = [c for c, t in dtypes.items() if t.is_numeric() and raw.schema[c] == pl.String]
    french = (
        raw.select(pl.col(c).str.contains(r"[,\s\u00a0\u202f]").any() for c in numeric).row(0)
        if numeric
        else ()
    )
    is_french = dict(zip(numeric, french, strict=True))
    typed = raw.with_columns(
        # Typed sources (Parquet) keep their types; text is parsed the French way when needed.
        (
            _cast(c, t, is_french.get(c, True))
            if raw.schema[c] == pl.String
            else pl.col(c).cast(t, strict=False)
        ).alias(c)
        for c, t in dtypes.items()
    )
    frames = _type_problems(raw, typed, dtypes)
    badly_typed = pl.concat([f.select(ROW) for f in frames]) if frames else None
    candidates = typed.join(badly_typed, on=ROW, how="anti") if badly_typed is not None else typed
    try:
        schema.validate(candidates, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        whole = cases.filter(pl.col("index").is_null())
        if whole.height:
            cases = list(whole.iter_rows(named=True))
            raise ContractError(
                f"{file} : " + "; ".join(f"{c['column']} : {c['check']}" for c in cases),
                f"{file} : "
                + "; ".join(f"{c['column']} : {c['check']} ({c['failure_case']})" for c in cases),
            ) from errors
        rows = candidates[ROW].gather(cases["index"].cast(pl.UInt32))
        frames.append(
            pl.DataFrame(
                {
                    "ligne": rows,
                    "colonne": cases["column"].replace(schema.name, WHOLE_ROW),
                    "regle": cases["check"],
                    "valeur": cases["failure_case"].cast(pl.String).str.slice(0, 200),
                },
                schema=PROBLEM_SCHEMA,
            )
        )
    problems = pl.concat(frames) if frames else pl.DataFrame(schema=PROBLEM_SCHEMA)
    rejected_rows = problems[ROW].unique()
    return Checked(
        file=file,
        # no copy of a national file whose every row is valid
        valid=typed.filter(~pl.col(ROW).is_in(rejected_rows.implode())) if len(problems) else typed,
        problems=problems.sort(ROW),
        rejected=raw.filter(pl.col(ROW).is_in(rejected_rows.implode())),
        personal=frozenset(
            n for n, c in schema.columns.items() if (c.metadata or {}).get(PERSONAL)
        ),
    )


def no_problems() -> pl.DataFrame:
    """The problems of a check that found none."""
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


def empty(contract: type[pa.DataFrameModel], file: str) -> Checked:
    """A check of no rows: the staging table exists, typed, even when the file lacks this part."""
    columns = {ROW: pl.Int64} | {
        name: column.dtype.type for name, column in contract.to_schema().columns.items()
    }
    nothing = pl.DataFrame(schema=columns)
    return Checked(file, nothing, pl.DataFrame(schema=PROBLEM_SCHEMA), nothing)


def reject(checked: Checked, raw: pl.DataFrame, problems: pl.DataFrame) -> Checked:
    """Add ``problems`` found outside the contract (e.g. a name matching no code) to a check."""
    if problems.is_empty():
        return checked
    problems = pl.concat([checked.problems, problems.select(*PROBLEM_SCHEMA)]).sort(ROW)
    rows = problems[ROW].unique().implode()
    return Checked(
        file=checked.file,
        valid=checked.valid.filter(~pl.col(ROW).is_in(rows)),
        problems=problems,
        rejected=raw.filter(pl.col(ROW).is_in(rows)),
        repairs=checked.repairs,
        staged=checked.staged,
        personal=checked.personal,
    )
