"""Read tables as people save them: CSV (`,` `;` or tab; UTF-8, BOM or not, or cp1252), XLSX, or
the Parquet that open-data portals export.

Every value is read as text and rows are numbered as a spreadsheet shows them (header = 1), so a
problem can always be reported at the cell where the user will find it.
"""

from __future__ import annotations

import csv
import io

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


def read_text_table(
    data: bytes, file: str, separator_: str | None = None, null: str | None = None
) -> pl.DataFrame:
    """A table plus ``ligne``; CSV and XLSX as text; headers trimmed and lower-cased."""
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
        header = decode(data[:65536].split(b"\n", 1)[0], file)
        try:
            body = data.removeprefix(b"\xef\xbb\xbf")
            body.decode("utf-8")  # polars reads UTF-8 bytes directly: far faster than text
        except UnicodeDecodeError:
            body = decode(data, file).encode("utf-8")
        try:
            frame = pl.read_csv(
                body,
                separator=separator_ or separator(header, file),
                infer_schema=False,
                null_values=null,
                truncate_ragged_lines=False,
            )
        except pl.exceptions.PolarsError as error:
            raise ContractError(f"{file} : lecture CSV impossible ({error})") from error
    frame = frame.rename({c: c.strip().lower() for c in frame.columns})
    return frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
