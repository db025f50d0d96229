"""Source ``consommation_regions``: Agence ORE's annual electricity and gas consumption by région.

Reads the export of ORE's portal in its API field names (``;``, see
``schemas/consommation_regions.py``), as CSV or Parquet; ``--from consommation_regions=ore``
downloads the dataset listed in ``consommation_regions.yaml``. Its embedded default is real:
ORE's file for 2011-2021, shipped under ``flows/sources/snapshots/``. Rows ORE could not place in
a région (``Fr``, ``XX``) are staged without a région: they count in France only. Codes that
lost their leading zero (NAF ``9`` for ``09`` in ORE's own file, région ``1``) get it back, and the
repair is recorded.

The région series is the national picture: the marts take the région and France levels of
consumption from it, never from a sum of communes (``warehouse/sql/consommation.sql``).
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
from schemas.check import ROW, Checked, numbers, require_columns
from schemas.check import check as check_table


def _one(file: FileToRead, known: frozenset[str]) -> Checked:
    # the contract (pandera) is imported only when a file is checked
    from schemas.consommation_regions import (
        GRANDS_SECTEURS,
        NON_AFFECTE,
        ORE_COLUMNS,
        ConsommationRegionBrute,
        with_regions,
    )

    typed = numbers(ConsommationRegionBrute)
    ore_numbers = {ore: typed[name] for ore, name in ORE_COLUMNS.items() if name in typed}
    raw = read_text_table(file.readable, file.origin, numbers=ore_numbers, columns=set(ORE_COLUMNS))
    require_columns(raw, ORE_COLUMNS, file.origin, "ORE (maille région)")
    raw = raw.select(ROW, *ORE_COLUMNS).rename(ORE_COLUMNS)
    raw, naf = pad_column(raw, "code_naf2", 2)
    raw, region = pad_column(raw, "code_region", 2)
    checked = check_table(raw, with_regions(known), file.origin)
    staged = checked.valid.select(
        ROW,
        pl.when(pl.col("code_region").is_in(NON_AFFECTE))
        .then(None)
        .otherwise(pl.col("code_region"))
        .alias("code_region"),
        "annee",
        pl.when(pl.col("filiere") == "Gaz")
        .then(pl.lit("gaz"))
        .otherwise(pl.lit("électricité"))
        .alias("filiere"),
        "operateur",
        "categorie",
        pl.col("grand_secteur").replace_strict(GRANDS_SECTEURS),
        "code_naf2",
        "nb_sites",
        "conso_mwh",
        "indice_qualite",
        pl.lit(file.name).alias("source"),
    )
    return replace(checked, staged=staged, repairs=pl.concat([naf, region]))


def read(
    files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None
) -> dict[str, list[Checked]]:
    known = regions(con)
    return {"consommation_regions": [_one(file, known) for file in files]}
