"""Read tables as people save them: CSV (`,` `;` or tab; UTF-8, BOM or not, or cp1252), XLSX, or
the Parquet that open-data portals export.

Every value is read as text, except the number columns a caller names when every one of their
cells is a plain number (then the CSV reader parses them, in parallel); a single other cell sends
the whole file back to text, for the contract to type cell by cell. Rows are numbered as a
spreadsheet shows them (header = 1), so a problem can always be reported at the cell where the
user will find it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from functools import partial

import polars as pl

from schemas.check import ROW, ContractError

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


def _overrides(header: str, sep: str, numbers: dict[str, pl.DataType]) -> dict[str, pl.DataType]:
    """The ``numbers`` columns (named trimmed and lower-cased) by their CSV header."""
    try:
        names = next(csv.reader([header.rstrip("\r")], delimiter=sep), [])
    except csv.Error:  # a stray carriage return in the header: no typed column, all as text
        return {}
    return {
        name: numbers[name.strip().lower()] for name in names if name.strip().lower() in numbers
    }


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _typed_or_text(
    read: Callable[..., pl.DataFrame], data: bytes, overrides: dict[str, pl.DataType]
) -> pl.DataFrame:
    """The ``overrides`` columns parsed by the reader if all their cells are plain numbers."""
    if overrides:
        try:
            return read(data, schema_overrides=overrides)
        except pl.exceptions.PolarsError:
            pass  # one other cell (or bytes that are not UTF-8): all as text, typed cell by cell
    return read(data)


def _read_csv(
    data: bytes, file: str, sep: str | None, null: str | None, numbers: dict[str, pl.DataType]
) -> pl.DataFrame:
    """Polars reads UTF-8 bytes as they are (dropping a BOM) and fails on others: cp1252."""
    header = decode(data[:65536].split(b"\n", 1)[0], file)
    sep = sep or separator(header, file)
    read = partial(pl.read_csv, separator=sep, infer_schema=False, null_values=null)
    overrides = _overrides(header, sep, numbers)
    try:
        return _typed_or_text(read, data, overrides)
    except pl.exceptions.PolarsError as error:
        if _is_utf8(data):
            raise ContractError(f"{file} : lecture CSV impossible ({error})") from error
    try:
        return _typed_or_text(read, decode(data, file).encode("utf-8"), overrides)
    except pl.exceptions.PolarsError as error:
        raise ContractError(f"{file} : lecture CSV impossible ({error})") from error


def read_text_table(
    data: bytes,
    file: str,
    separator_: str | None = None,
    null: str | None = None,
    numbers: dict[str, pl.DataType] | None = None,
) -> pl.DataFrame:
    """A table plus ``ligne``; headers trimmed and lower-cased; CSV and XLSX as text, but for the
    ``numbers`` columns (by trimmed lower-cased header) of a CSV whose cells all parse."""
    if data.startswith(PARQUET_MAGIC):
        try:
            frame = pl.read_parquet(io.BytesIO(data))
        except Exception as error:  # pyarrow and polars raise their own error types
            raise ContractError(f"{file} : fichier Parquet illisible ({error})") from error
    elif data.startswith(XLSX_MAGIC):
        try:
            frame = pl.read_excel(io.BytesIO(data), infer_schema_length=0)
        except Exception as error:  # fastexcel raises its own error types
            raise ContractError(f"{file} : classeur XLSX illisible ({error})") from error
    else:
        frame = _read_csv(data, file, separator_, null, numbers or {})
    frame = frame.rename({c: c.strip().lower() for c in frame.columns})
    return frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
