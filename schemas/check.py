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
from typing import TYPE_CHECKING, Any

import polars as pl

from schemas import rules

if TYPE_CHECKING:  # pandera is imported where a contract is built or applied: a refresh with
    import pandera.polars as pa  # nothing to check, and the readers, start without it

ROW = "ligne"
WHOLE_ROW = "(ligne entière)"
PERSONAL = "personnel"  # key of a contract field's metadata: its values are personal data
PROBLEM_SCHEMA = pl.Schema(
    {"ligne": pl.Int64, "colonne": pl.String, "regle": pl.String, "valeur": pl.String}
)


VALUE_CHARS = 200  # characters of a cell quoted in a problem
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
        rows = self.problems.sort(ROW, maintain_order=True)
        rows = rows.head(limit) if limit else rows
        return [
            f"{self.file}, ligne {p['ligne']}, colonne {p['colonne']} : {p['regle']}"
            + (
                ""
                if p["valeur"] is None  # an empty cell, a whole row: the rule says it all
                else " (donnée personnelle, valeur non reprise)"
                if p["colonne"] in self.personal
                else f" (valeur {p['valeur']!r})"
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


def as_written(column: pl.Series) -> pl.Series:
    """A column's cells as the file wrote them: text stays text; a number the reader parsed
    itself is shown without the float's ``.0`` (``5000``, not ``5000.0``)."""
    if column.dtype == pl.String:
        return column
    if column.dtype.is_float():
        whole = column.is_finite() & (column == column.round()) & (column.abs() < 1e15)
        return pl.select(
            pl.when(whole)
            .then(column.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(column.cast(pl.String))
        ).to_series()
    return column.cast(pl.String)


def _type_problems(
    raw: pl.DataFrame, typed: pl.DataFrame, dtypes: dict[str, pl.DataType]
) -> list[pl.DataFrame]:
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
                        "regle": rules.type_expected(dtype),
                        "valeur": raw[column].filter(bad).str.slice(0, VALUE_CHARS),
                    },
                    schema=PROBLEM_SCHEMA,
                )
            )
    return frames


def _duplicates(rows: pl.Series, keys: pl.DataFrame, what: str) -> pl.Series:
    """« valeur en double (déjà ligne 2) » for each repeat, « (aussi ligne 4) » for the first."""
    names = keys.columns
    order = pl.col(ROW).sort()
    return (
        keys.with_columns(rows.alias(ROW))
        .select(
            pl.when(pl.col(ROW) == order.first().over(names))
            .then(pl.format(f"{what} en double (aussi ligne {{}})", order.get(1).over(names)))
            .otherwise(pl.format(f"{what} en double (déjà ligne {{}})", order.first().over(names)))
        )
        .to_series()
    )


CASE = ("schema_context", "column", "check", "check_number")  # what names a pandera check


def _rule(schema: pa.DataFrameSchema, case: dict[str, Any]) -> str:
    """The check of a pandera failure ``case`` in French, read from the check itself."""
    if case["check"] == "not_nullable":
        return rules.NOT_NULL
    if case["check_number"] is None:
        return case["check"]
    whole = case["schema_context"] == "DataFrameSchema"
    checks = schema.checks if whole else schema.columns[case["column"]].checks
    return rules.describe(checks[case["check_number"]], case["column"])


def _contract_problems(
    raw: pl.DataFrame, typed: pl.DataFrame, cases: pl.DataFrame, schema: pa.DataFrameSchema
) -> pl.DataFrame:
    """One problem per pandera failure case: its rule in French, the cell as written."""
    frames = []
    for key, group in cases.group_by(*CASE):
        case = dict(zip(CASE, key, strict=True))
        whole, column = case["schema_context"] == "DataFrameSchema", case["column"]
        index = group["index"].cast(pl.UInt32)
        rows = raw[ROW].gather(index)
        if case["check"] in (rules.UNIQUE, rules.UNIQUE_TOGETHER):
            together = list(schema.unique or []) if whole else [column]
            what = f"combinaison {' + '.join(together)}" if whole else "valeur"
            rule = _duplicates(rows, typed.select(together)[index], what)
        else:
            rule = pl.repeat(_rule(schema, case), len(index), eager=True)
        frames.append(
            pl.DataFrame(
                {
                    "ligne": rows,
                    "colonne": WHOLE_ROW if whole else column,
                    "regle": rule,
                    # a whole row's failure case is its typed cells: the row's number says more
                    "valeur": None
                    if whole
                    else as_written(raw[column].gather(index)).str.slice(0, VALUE_CHARS),
                },
                schema=PROBLEM_SCHEMA,
            )
        )
    return pl.concat(frames)


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
    try:
        # every row is checked: a cell that is not of its type is null here, so that the row's
        # other problems are found too; what pandera then says of that very cell is dropped
        schema.validate(typed, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        whole = cases.filter(pl.col("index").is_null())
        if whole.height:
            said = [(c, _rule(schema, c)) for c in whole.iter_rows(named=True)]
            raise ContractError(
                f"{file} : " + "; ".join(f"{c['column']} : {rule}" for c, rule in said),
                f"{file} : "
                + "; ".join(f"{c['column']} : {rule} ({c['failure_case']})" for c, rule in said),
            ) from errors
        found = _contract_problems(raw, typed, cases, schema)
        if frames:
            found = found.join(pl.concat(frames), on=[ROW, "colonne"], how="anti")
        frames.append(found)
    problems = pl.concat(frames) if frames else pl.DataFrame(schema=PROBLEM_SCHEMA)
    rejected_rows = problems[ROW].unique()
    return Checked(
        file=file,
        # no copy of a national file whose every row is valid
        valid=typed.filter(~pl.col(ROW).is_in(rejected_rows.implode())) if len(problems) else typed,
        # a row's problems in the order of its columns, the whole row's last
        problems=problems.sort(
            ROW,
            pl.col("colonne").replace_strict(
                {c: i for i, c in enumerate(dtypes)}, default=len(dtypes), return_dtype=pl.Int64
            ),
            maintain_order=True,
        ),
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
