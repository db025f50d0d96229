"""Source ``production_regions``: Enedis' annual electricity production by région and filière.

Reads Enedis' région export (``;``, one pair of columns per filière, as the commune file; see
``schemas/production_regions.py``), as CSV or Parquet; ``--from production_regions=enedis``
downloads the dataset listed in ``production_regions.yaml``. Its embedded default is real:
Enedis' file for 2011-2023, shipped under ``flows/sources/snapshots/``. Rows are staged long: one
per région, year, voltage domain and filière. The shapes the export carries are not read.

The région series is the national picture: the marts take the région and France levels of
production from it, never from a sum of communes (``warehouse/sql/production.sql``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import duckdb
import polars as pl

from flows.codes import pad_column
from flows.connector import FileToRead
from flows.reference import regions
from flows.tabular import read_text_table
from schemas.check import ROW, Checked, ContractError, require_columns
from schemas.check import check as check_table


def _one(file: FileToRead, known: frozenset[str]) -> Checked:
    # the contracts (pandera) are imported only when a file is checked
    from schemas.production import filieres, number_type
    from schemas.production_regions import for_header

    raw = read_text_table(file.readable, file.origin, numbers=number_type)
    require_columns(raw, ("annee", "code_region"), file.origin, "Enedis (maille région)")
    found = filieres(raw.columns)
    if not found:
        raise ContractError(
            f"{file.origin} : aucune filière (colonnes nb_sites_<filière>_enedis et "
            "energie_produite_annuelle_<filière>_enedis_mwh attendues)"
        )
    raw, repairs = pad_column(raw, "code_region", 2)
    checked = check_table(raw, for_header(raw.columns, known), file.origin)
    staged = pl.concat(
        checked.valid.select(
            ROW,
            "code_region",
            "annee",
            "domaine_de_tension",
            pl.lit(f).alias("filiere"),
            pl.col(f"nb_sites_{f}_enedis").alias("nb_sites"),
            pl.col(f"energie_produite_annuelle_{f}_enedis_mwh").alias("energie_mwh"),
            pl.lit(file.name).alias("source"),
        )
        for f in found
    )
    return replace(checked, staged=staged, repairs=repairs)


def read(
    files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None
) -> dict[str, list[Checked]]:
    known = regions(con)
    return {"production_regions": [_one(file, known) for file in files]}
