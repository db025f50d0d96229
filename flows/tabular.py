"""Read tables as people save them: CSV (`,` `;` or tab; UTF-8, BOM or not, or cp1252), XLSX, or
the Parquet that open-data portals export.

Every value is read as text, except the number columns a caller names when every one of their
cells is a plain number (then the CSV reader parses them, in parallel); a single other cell sends
the whole file back to text, for the contract to type cell by cell. A caller that needs only some
columns names them: the others are not parsed (Agence ORE's export has 47 columns, the contract
uses 9). Rows are numbered as a spreadsheet shows them (header = 1), so a problem can always be
reported at the cell where the user will find it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

import polars as pl

from schemas.check import ROW, ContractError

# a column type as the contracts give it: a polars type or its class (pl.Int64)
PolarsType = pl.DataType | type[pl.DataType]

XLSX_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"


def decode(data: bytes, file: str) -> str:
    """UTF-8 (a BOM is dropped) or, failing that, cp1252: what French spreadsheets write."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ContractError(
            f"{file} : encodage illisible (ni UTF-8 ni Windows-1252), octet {error.start}"
        ) from error


def separator(text: str, file: str) -> str:
    header = text.split("\n", 1)[0]
    try:
        return csv.Sniffer().sniff(header, delimiters=";,\t|").delimiter
    except csv.Error:
        if header.strip():
            return ","  # a single column
        raise ContractError(f"{file} : fichier vide ou sans ligne d'en-tête") from None


def _header(header: str, sep: str) -> list[str] | None:
    """The CSV header's names, or ``None`` when the csv module cannot split it."""
    try:
        return next(csv.reader([header.rstrip("\r")], delimiter=sep), [])
    except csv.Error:  # a stray carriage return in the header: read as polars reads it
        return None


def _key(name: str) -> str:
    return name.strip().lower()


def _kept(names: list[str] | None, columns: set[str] | None) -> list[str] | None:
    """The header's names of ``columns``, or ``None`` (read everything) when one is missing, so
    that the caller's error can list what the file has, or when names repeat."""
    if columns is None or not names or len(set(names)) < len(names):
        return None
    keep = [name for name in names if _key(name) in columns]
    return keep if len(keep) == len(columns) else None


def _decimal_comma(
    head: str, sep: str, names: list[str], overrides: dict[str, PolarsType]
) -> bool:
    """Whether the first lines write the decimals of the float columns with a comma, as French
    exports do (Enedis): then the reader parses them so, else they would be read as text."""
    floats = [i for i, name in enumerate(names) if overrides.get(name) in (pl.Float32, pl.Float64)]
    if sep == "," or not floats:
        return False
    lines = csv.reader(head.splitlines()[1:-1], delimiter=sep)  # the last one may be cut
    cells = [row[i] for row in lines for i in floats if i < len(row)]
    return any("," in c for c in cells) and not any("." in c for c in cells)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _typed_or_text(
    read: Callable[..., pl.DataFrame], data: bytes | Path, overrides: dict[str, PolarsType]
) -> pl.DataFrame:
    """The ``overrides`` columns parsed by the reader if all their cells are plain numbers."""
    if overrides:
        try:
            return read(data, schema_overrides=overrides)
        except pl.exceptions.PolarsError:
            pass  # one other cell (or bytes that are not UTF-8): all as text, typed cell by cell
    return read(data)


def _read_csv(
    data: bytes | Path,
    head: bytes,
    file: str,
    sep: str | None,
    null: str | None,
    numbers: Callable[[str], PolarsType | None],
    columns: set[str] | None,
) -> pl.DataFrame:
    """Polars reads UTF-8 as it is (dropping a BOM), from bytes or from the file, and fails on
    anything else: then the whole file is decoded as cp1252."""
    header = decode(head.split(b"\n", 1)[0], file)
    sep = sep or separator(header, file)
    names = _header(header, sep)
    keep = _kept(names, columns)
    overrides = {
        name: dtype
        for name in (keep if keep is not None else names or [])
        if (dtype := numbers(_key(name))) is not None
    }
    read = partial(
        pl.read_csv,
        separator=sep,
        infer_schema=False,
        null_values=null,
        columns=keep,
        decimal_comma=_decimal_comma(decode(head, file), sep, names or [], overrides),
    )
    try:
        return _typed_or_text(read, data, overrides)
    except pl.exceptions.PolarsError as error:
        whole = data.read_bytes() if isinstance(data, Path) else data
        if _is_utf8(whole):
            raise ContractError(f"{file} : lecture CSV impossible ({error})") from error
    try:
        return _typed_or_text(read, decode(whole, file).encode("utf-8"), overrides)
    except pl.exceptions.PolarsError as error:
        raise ContractError(f"{file} : lecture CSV impossible ({error})") from error


def read_text_table(
    data: bytes | Path,
    file: str,
    separator_: str | None = None,
    null: str | None = None,
    numbers: Mapping[str, PolarsType] | Callable[[str], PolarsType | None] | None = None,
    columns: set[str] | None = None,
) -> pl.DataFrame:
    """A table plus ``ligne``, from bytes or a file; headers trimmed and lower-cased; CSV and XLSX
    as text, but for the ``numbers`` columns (type by trimmed lower-cased header, in a mapping or
    given by a function) of a CSV whose cells all parse, with a decimal point or, if the first
    lines use one, a decimal comma. With ``columns`` (trimmed lower-cased headers), only those
    are read from a CSV or Parquet file that has them all."""
    if isinstance(data, Path):
        with data.open("rb") as f:
            head = f.read(65536)
    else:
        head = data[:65536]
    source = data if isinstance(data, Path) else io.BytesIO(data)
    if head.startswith(PARQUET_MAGIC):
        try:
            names = list(pl.read_parquet_schema(source)) if columns else None
            frame = pl.read_parquet(source, columns=_kept(names, columns))
        except Exception as error:  # pyarrow and polars raise their own error types
            raise ContractError(f"{file} : fichier Parquet illisible ({error})") from error
    elif head.startswith(XLSX_MAGIC):
        try:
            frame = pl.read_excel(source, infer_schema_length=0)
        except Exception as error:  # fastexcel raises its own error types
            raise ContractError(f"{file} : classeur XLSX illisible ({error})") from error
    else:
        number: Callable[[str], PolarsType | None] = (
            numbers.get if isinstance(numbers, Mapping) else numbers or (lambda _: None)
        )
        frame = _read_csv(data, head, file, separator_, null, number, columns)
    frame = frame.rename({c: _key(c) for c in frame.columns})
    return frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
