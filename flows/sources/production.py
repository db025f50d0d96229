"""Source ``production``: Enedis' annual electricity production by commune and filière.

Reads the Enedis / Agence ORE commune schema (``;``, BOM, decimal commas, one pair of columns
per filière) as CSV or Parquet; ``--from production=enedis`` downloads the dataset listed in
``flows/sources.toml`` from Enedis' Opendatasoft portal. A file whose header is that of the TEO
series of DREAL Pays de la Loire is read by ``flows/production_teo.py`` instead. The embedded
default is the demo of ``flows/demo/production.py``. Enedis rows are staged long: one per
commune, year, voltage, filière.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import polars as pl

from flows import config, remote
from flows.codes import repair_column
from flows.connector import RawFile
from flows.demo import production as demo
from flows.reference import Territories
from flows.tabular import read_text_table
from schemas.check import Checked, ContractError
from schemas.check import check as check_table
from warehouse.audit import Provenance
from warehouse.internal import sql

NAME = "production"
DEMO_FILE = "production_demo.parquet"
PORTAL = "https://data.enedis.fr/api/explore/v2.1/catalog/datasets/{}/exports/parquet"


def provenance(location: str | None) -> Provenance:
    if location is None:
        return Provenance(
            editeur="Enedis (format) — jeu de démonstration généré par le projet",
            jeu_de_donnees="Production électrique annuelle par filière et commune (démonstration)",
            licence="Licence Ouverte 2.0",
            millesime=f"démo 2011-2024, graine {demo.SEED}",
            demo=True,
        )
    portal = location == "enedis"  # a file may also be a TEO series (DREAL Pays de la Loire)
    return Provenance(
        editeur="Enedis" if portal else "Enedis (ou DREAL Pays de la Loire, séries TEO)",
        jeu_de_donnees="Production électrique annuelle par filière à la maille commune",
        licence="Licence Ouverte 2.0 (citer Enedis et la date)",
        millesime="export du portail" if portal else "fichier fourni",
        demo=False,
    )


def fetch(location: str | None) -> list[RawFile]:
    if location == "enedis":
        datasets = config.settings(NAME).get("jeux_enedis", [])
        return [remote.read(PORTAL.format(dataset)) for dataset in datasets]
    return remote.read_or_demo(location, DEMO_FILE, demo.parquet_bytes)


def _long(valid: pl.DataFrame, source: str, filieres: list[str]) -> pl.DataFrame:
    """One row per filière: the pairs of columns become (filiere, nb_sites, energie_mwh)."""
    keys = ["annee", "code_commune", "domaine_de_tension"]
    return pl.concat(
        valid.select(
            *keys,
            pl.lit(f).alias("filiere"),
            pl.col(f"nb_sites_{f}_enedis").alias("nb_sites"),
            pl.col(f"energie_produite_annuelle_{f}_enedis_mwh").alias("energie_mwh"),
            pl.lit(None, pl.Float64).alias("puissance_kw"),  # not in this dataset
            pl.lit(None, pl.Boolean).alias("estimation"),  # not flagged by Enedis
            pl.lit(source).alias("source"),
            "ligne",
        )
        for f in filieres
    )


def _one(file: RawFile, ref: Territories) -> dict[str, Checked]:
    # the contracts (pandera) are imported only when a file is checked
    from flows.sources import production_teo
    from schemas.production import filieres, for_header, number_type

    raw = read_text_table(file.source, file.origin, numbers=number_type)
    if production_teo.recognises(raw.columns):
        return production_teo.check(raw, file, ref)
    if not filieres(raw.columns):
        raise ContractError(
            f"{file.origin} : aucune filière (colonnes nb_sites_<filière>_enedis et "
            f"energie_produite_annuelle_<filière>_enedis_mwh attendues ; lues : "
            f"{', '.join(c for c in raw.columns if c != 'ligne')})"
        )
    if raw.schema.get("code_commune") not in (None, pl.String):
        raw = raw.with_columns(pl.col("code_commune").cast(pl.String))
    if "code_commune" in raw.columns:
        raw, repairs = repair_column(raw, "code_commune", ref)
    else:
        repairs = None
    checked = check_table(raw, for_header(raw.columns, ref.communes), file.origin)
    return {
        "production": replace(
            checked, repairs=repairs, staged=_long(checked.valid, file.name, filieres(raw.columns))
        ),
        "production_agregats": production_teo.no_agregats(file),
    }


def check(files: list[RawFile], con: duckdb.DuckDBPyConnection | None) -> dict[str, list[Checked]]:
    """Per table, each file's check: the two tables are always replaced together."""
    ref = Territories.load(con)
    checked = [_one(file, ref) for file in files]
    return {table: [c[table] for c in checked] for table in ("production", "production_agregats")}


def build_marts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(sql("production"))
    has_consumption = con.execute(
        "select count(*) from duckdb_tables() "
        "where schema_name = 'interne' and table_name = 'consommation_communes'"
    ).fetchall()[0][0]
    if has_consumption:  # coverage needs both sides; series are checked once both exist
        con.execute(sql("couverture"))
        con.execute(sql("qualite"))
