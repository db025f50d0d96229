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

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import BinaryIO

import polars as pl

from schemas.check import ROW, ContractError, capped, listed

# a column type as the contracts give it: a polars type or its class (pl.Int64)
PolarsType = pl.DataType | type[pl.DataType]

XLSX_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (OLE2)


# a valid UTF-8 sequence of two bytes or more: rare in a cp1252 file (« Ã© » is one)
UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def _where(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - data.rfind(b"\n", 0, offset)
    return f"ligne {line}, octet {column} (0x{data[offset]:02X})"


def decode(data: bytes, file: str, cut: bool = False) -> str:
    """UTF-8 (a BOM is dropped) or, failing that, cp1252: what French spreadsheets write.

    A file that is UTF-8 but for some bytes (a cell pasted from a cp1252 file) is refused, naming
    the first byte that is not UTF-8: decoded as cp1252 as a whole, every accent of its UTF-8
    part would turn to mojibake (« Ã© »). ``cut``: the first bytes of a file, whose last
    character may be cut in two."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if cut and error.reason == "unexpected end of data":
            return decode(data[: error.start], file)
        if UTF8_SEQUENCE.search(data):
            start = error.start + (3 if data.startswith(codecs.BOM_UTF8) else 0)
            raise ContractError(
                f"{file} : encodage mixte, UTF-8 sauf à la {_where(data, start)}, "
                "qui n'est pas de l'UTF-8 (Windows-1252 ?) : enregistrer le fichier en UTF-8"
            ) from error
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise ContractError(
            f"{file} : encodage illisible (ni UTF-8 ni Windows-1252), {_where(data, error.start)}"
        ) from error


def _utf16(head: bytes) -> str | None:
    """« UTF-16 » or « UTF-32 » when the first bytes are so (Excel's « Texte Unicode »), by their
    BOM or, without one, by a NUL in most even or odd bytes (Latin text in UTF-16)."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "UTF-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16"
    sample = head[:4096]
    if len(sample) >= 8 and max(sample[0::2].count(0), sample[1::2].count(0)) > len(sample) // 4:
        return "UTF-16"
    return None


def text_or_refused(head: bytes, file: str) -> None:
    """Refuse, naming the encoding, a file in UTF-16 or an Excel 97-2003 workbook: read as
    UTF-8 or Windows-1252, its NULs would make cells and its header names match nothing."""
    if head.startswith(XLS_MAGIC):
        raise ContractError(
            f"{file} : classeur Excel 97-2003 (.xls) : enregistrez-le en .xlsx ou en CSV "
            "(UTF-8 ou Windows-1252)"
        )
    if encoding := _utf16(head):
        raise ContractError(
            f"{file} : fichier en {encoding} : enregistrez-le en UTF-8 ou Windows-1252 "
            "(dans Excel : « CSV UTF-8 » ou « CSV (séparateur : point-virgule) »)"
        )


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


def _decimal_comma(head: str, sep: str, names: list[str], overrides: dict[str, PolarsType]) -> bool:
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


def _csv_reader(
    head: bytes,
    file: str,
    sep: str | None,
    null: str | None,
    numbers: Callable[[str], PolarsType | None],
    columns: set[str] | None,
) -> tuple[Callable[..., pl.DataFrame], dict[str, PolarsType]]:
    """Polars' reader of this CSV (separator, kept columns, decimal comma, all read as text) as
    its ``head`` shows it, and the ``numbers`` columns it may parse as numbers."""
    header = decode(head.split(b"\n", 1)[0], file, cut=True)
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
        decimal_comma=_decimal_comma(decode(head, file, cut=True), sep, names or [], overrides),
    )
    return read, overrides


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
    read, overrides = _csv_reader(head, file, sep, null, numbers, columns)
    try:
        return _typed_or_text(read, data, overrides)
    except pl.exceptions.PolarsError as error:
        whole = data.read_bytes() if isinstance(data, Path) else data
        if _is_utf8(whole):
            raise _unreadable(file, "lecture CSV impossible", error, "UTF-8") from error
    try:
        return _typed_or_text(read, decode(whole, file).encode("utf-8"), overrides)
    except pl.exceptions.PolarsError as error:
        raise _unreadable(file, "lecture CSV impossible", error, "Windows-1252") from error


def _unreadable(file: str, what: str, error: Exception, encoding: str = "") -> ContractError:
    """The reader's own words quote the file (a cell, a line): kept for the detail only."""
    read = f"lu en {encoding}, " if encoding else ""
    return ContractError(
        f"{file} : {what} ({read}{type(error).__name__})", f"{file} : {what} ({read}{error})"
    )


def _nul_found(frame: pl.DataFrame) -> list[tuple[int, str]]:
    """(first row index, column) of each text column holding a NUL character."""
    text = [c for c, t in frame.schema.items() if t == pl.String]
    if not text:
        return []
    found = frame.select(pl.col(text).str.contains("\x00", literal=True).arg_true().first())
    return [(row, c) for c, row in found.row(0, named=True).items() if row is not None]


def _no_nul(frame: pl.DataFrame, file: str) -> None:
    """Refuse a NUL character in a cell (a binary or UTF-16 file read as text): it would be
    published as it is, and cut the text where a C reader meets it."""
    hits = _nul_found(frame)
    if not hits:
        return
    row, column = min(hits)
    position = list(frame.columns).index(column) + 1
    name = column if re.fullmatch(r"[\w .'-]{1,60}", column) else f"n° {position}"
    raise ContractError(
        f"{file} : caractère NUL (octet 0x00) ligne {row + 2}, colonne {name} : "
        "fichier binaire ou UTF-16 ? (enregistrer en CSV UTF-8)",
        f"{file} : caractère NUL (octet 0x00) ligne {row + 2}, colonne n° {position} "
        f"({capped(column, 80)!r}) ; colonnes à NUL : {listed(c for _, c in sorted(hits))}",
    )


XLSX_MAX_UNPACKED = 512 * 1024**2  # polars and fastexcel take about twice an XLSX's unpacked size


def xlsx_within_limit(source: io.BytesIO | Path, file: str, limit: int = XLSX_MAX_UNPACKED) -> None:
    """Refuse an XLSX (a zip) that would unpack beyond ``limit`` before a reader inflates it: its
    directory's declared sizes are summed, then every member is read through, a chunk at a time
    and never past its declared size, for its CRC, which a member lying about its size fails."""
    import zipfile

    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
            damaged = archive.testzip() if unpacked <= limit else None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as error:
        # zipfile's messages may quote member names, which the file chose: not repeated
        raise ContractError(f"{file} : classeur XLSX illisible (archive zip invalide)") from error
    if unpacked > limit:
        mb = [f"{n / 1024**2:,.0f}".replace(",", "\u202f") for n in (unpacked, limit)]
        raise ContractError(
            f"{file} : classeur XLSX de {mb[0]} Mo une fois décompressé, au-delà de la limite "
            f"de {mb[1]} Mo ; non lu"
        )
    if damaged is not None:
        raise ContractError(f"{file} : classeur XLSX corrompu (somme de contrôle fausse)")
    if isinstance(source, io.BytesIO):
        source.seek(0)


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
            raise _unreadable(file, "fichier Parquet illisible", error) from error
    elif head.startswith(XLSX_MAGIC):
        xlsx_within_limit(source, file)
        try:
            frame = pl.read_excel(source, infer_schema_length=0)
        except Exception as error:  # fastexcel raises its own error types
            raise _unreadable(file, "classeur XLSX illisible", error) from error
    else:
        text_or_refused(head, file)
        number: Callable[[str], PolarsType | None] = (
            numbers.get if isinstance(numbers, Mapping) else numbers or (lambda _: None)
        )
        frame = _read_csv(data, head, file, separator_, null, number, columns)
    _no_nul(frame, file)
    return _numbered(frame, file, 0)


def _numbered(frame: pl.DataFrame, file: str, before: int) -> pl.DataFrame:
    """Headers trimmed and lower-cased (refused when two become one), and ``ligne``: the row
    number in the file of the frame's first row is ``before + 2`` (header = 1)."""
    keys = [_key(c) for c in frame.columns]
    if len(set(keys)) < len(keys):  # « Code », « code » and « code  » are one column twice
        twice = sorted({k for k in keys if keys.count(k) > 1})
        raise ContractError(
            f"{file} : en-tête ambigu : {len(twice)} nom(s) de colonne répété(s) "
            "(casse et espaces ignorés)",
            f"{file} : colonnes répétées : {', '.join(repr(k) for k in twice)}",
        )
    frame = frame.rename(dict(zip(frame.columns, keys, strict=True)))
    return frame.with_row_index(ROW, offset=before + 2).with_columns(pl.col(ROW).cast(pl.Int64))


SLICE_BYTES = 128 * 1024**2  # what a slice of a CSV read by ``read_text_slices`` weighs, at most
SLICE_ROWS = 1_000_000  # the rows of a slice of a Parquet file read by ``read_text_slices``


class WholeFileNeeded(Exception):
    """A CSV read in slices turned out to need reading whole, as ``read_text_table`` does: a
    cell of a later slice is not a plain number (the whole file is then text), its bytes are
    not UTF-8, or it holds a NUL (the message names the file's first). The caller starts again
    with ``read_text_table``, which gives the very table, errors and messages."""


def _record_end(data: bytes, start: int, last: bool) -> int:
    """The end (after its ``\n``) of the first (or ``last``) record of ``data`` ending at or
    after ``start``, quotes counted from the start of ``data`` (a record's) so that a line break
    inside a quoted cell ends none; 0 when there is none."""
    end = data.rfind(b"\n", start) if last else data.find(b"\n", start)
    while end != -1:
        # most files quote nothing: finding no quote (memchr) is ten times faster than counting
        quote = data.find(b'"', 0, end)
        if quote == -1 or data.count(b'"', quote, end) % 2 == 0:
            return end + 1
        end = data.rfind(b"\n", start, end) if last else data.find(b"\n", end + 1)
    return 0


def _csv_chunks(stream: BinaryIO, header: bytes, slice_bytes: int) -> Iterator[bytes]:
    """The records of a CSV in pieces of about ``slice_bytes``, each a CSV of its own: the
    first starts the file, the others start with its ``header`` record. A record longer than a
    piece grows it until it ends. Nothing is kept of a piece once given."""
    rest, first = b"", True
    while block := stream.read(slice_bytes):
        piece = (b"" if first else header) + rest + block
        end = _record_end(piece, len(piece) - len(block), last=True)
        del block
        if end <= (0 if first else len(header)):
            rest = piece[0 if first else len(header) :]
            continue
        rest = piece[end:]
        out = piece[:end]
        del piece
        first = False
        yield out
    if rest or first:
        yield (b"" if first else header) + rest


def read_text_slices(
    data: bytes | Path,
    file: str,
    separator_: str | None = None,
    null: str | None = None,
    numbers: Mapping[str, PolarsType] | Callable[[str], PolarsType | None] | None = None,
    columns: set[str] | None = None,
    slice_bytes: int | None = None,
) -> Iterator[pl.DataFrame]:
    """The table :func:`read_text_table` gives, in consecutive slices of a CSV's records (about
    ``slice_bytes`` of the file each, ``SLICE_BYTES`` by default), so that a national file is
    never held whole: the same columns, types and ``ligne`` (the file's row numbers, not the
    slice's). A Parquet file comes :data:`SLICE_ROWS` rows at a time, XLSX whole.

    The ``numbers`` columns are parsed by the reader when the first slice's cells all parse,
    else every slice is text. A later slice where one does not parse raises
    :class:`WholeFileNeeded` (the whole file is text then), as do bytes that are not UTF-8 and a
    NUL in a cell: the caller reads the file whole instead, for the same table or error."""
    if isinstance(data, Path):
        with data.open("rb") as f:
            head = f.read(65536)
    else:
        head = data[:65536]
    if head.startswith(PARQUET_MAGIC):
        yield from _parquet_slices(data, file, columns, SLICE_ROWS)
        return
    if head.startswith(XLSX_MAGIC):
        yield read_text_table(data, file, separator_, null, numbers, columns)
        return
    text_or_refused(head, file)
    header = head[: _record_end(head, 0, last=False)]
    if not header:  # a header line longer than the head, or a file of a header alone
        yield read_text_table(data, file, separator_, null, numbers, columns)
        return
    number: Callable[[str], PolarsType | None] = (
        numbers.get if isinstance(numbers, Mapping) else numbers or (lambda _: None)
    )
    read, overrides = _csv_reader(head, file, separator_, null, number, columns)
    before, typed = 0, False
    with data.open("rb") if isinstance(data, Path) else io.BytesIO(data) as stream:
        for chunk in _csv_chunks(stream, header, slice_bytes or SLICE_BYTES):
            try:
                if not typed:
                    frame = _typed_or_text(read, chunk, overrides)
                    # the types of the first slice are every slice's: text if one cell was not
                    overrides = {c: t for c, t in overrides.items() if frame.schema.get(c) == t}
                else:
                    frame = read(chunk, schema_overrides=overrides or None)
            except pl.exceptions.PolarsError:
                raise WholeFileNeeded(file) from None
            del chunk
            if _nul_found(frame):
                raise WholeFileNeeded(file)
            if frame.height == 0 and not typed:
                empty = frame  # a header alone so far: the types are those of the first rows
                continue
            typed = True
            yield _numbered(frame, file, before)
            before += frame.height
    if not typed:
        yield _numbered(empty, file, 0)


def _parquet_slices(
    data: bytes | Path, file: str, columns: set[str] | None, rows: int
) -> Iterator[pl.DataFrame]:
    """A Parquet file ``rows`` rows at a time, each slice as :func:`read_text_table` reads the
    whole (polars' reader, which decodes only the row groups a slice needs: 1× national, peak
    355 → 708 MiB whole). A NUL in a cell raises :class:`WholeFileNeeded`, for the same error."""
    source = data if isinstance(data, Path) else io.BytesIO(data)
    try:
        names = list(pl.read_parquet_schema(source))
        kept = _kept(names, columns) or names
        total = pl.scan_parquet(source).select(pl.len()).collect().item()
    except Exception as error:  # pyarrow and polars raise their own error types
        raise _unreadable(file, "fichier Parquet illisible", error) from error
    for before in range(0, max(total, 1), rows):
        try:
            frame = pl.scan_parquet(source).select(kept).slice(before, rows).collect()
        except Exception as error:
            raise _unreadable(file, "fichier Parquet illisible", error) from error
        if _nul_found(frame):
            raise WholeFileNeeded(file)
        yield _numbered(frame, file, before)
