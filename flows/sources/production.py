"""Source ``production``: Enedis' annual electricity production by commune and filière.

Reads the Enedis / Agence ORE commune schema (``;``, BOM, decimal commas, one pair of columns
per filière) as CSV or Parquet; ``--from production=enedis`` downloads the dataset listed in
``production.yaml`` from Enedis' Opendatasoft portal. A file whose header is that of the TEO
series of DREAL Pays de la Loire is read by ``flows/production_teo.py`` instead. The embedded
default is the demo of ``flows/demo/production.py``. Enedis rows are staged long: one per
commune, year, voltage, filière.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

import duckdb
import polars as pl

from flows.codes import repair_column
from flows.connector import EMBEDDED, FileToRead, RawFile
from flows.demo import production as demo
from flows.reference import Territories
from flows.tabular import WholeFileNeeded, read_text_slices, read_text_table
from schemas.check import Checked, ContractError
from schemas.check import check as check_table

DEMO_FILE = "production_demo.parquet"


def embedded() -> list[RawFile]:
    return [RawFile(DEMO_FILE, EMBEDDED, demo.parquet_bytes())]


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


def _one(file: FileToRead, ref: Territories) -> dict[str, Checked]:
    # the contracts (pandera) are imported only when a file is checked
    from flows.sources import production_teo
    from schemas.production import number_type

    raw = read_text_table(file.readable, file.origin, numbers=number_type)
    if production_teo.recognises(raw.columns):
        return production_teo.check(raw, file, ref)
    return {
        "production": _enedis(raw, file, ref),
        "production_agregats": production_teo.no_agregats(file),
    }


def _enedis(raw: pl.DataFrame, file: FileToRead, ref: Territories) -> Checked:
    """The Enedis contract applied to ``raw``, a whole file or a slice of its rows, staged
    long."""
    from schemas.production import filieres, for_header

    if "code_region" in raw.columns and "code_commune" not in raw.columns:
        raise ContractError(
            f"{file.origin} : fichier d'Enedis à la maille région (colonne code_region, pas de "
            "code_commune) : chargez-le avec --from production_regions=…"
        )
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
    return replace(
        checked, repairs=repairs, staged=_long(checked.valid, file.name, filieres(raw.columns))
    )


def read(
    files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None
) -> dict[str, list[Checked]]:
    """Per table, each file's check: the two tables are always replaced together."""
    ref = Territories.load(con)
    checked = [_one(file, ref) for file in files]
    return {table: [c[table] for c in checked] for table in ("production", "production_agregats")}


SLICE_BYTES = 16 * 1024**2  # ≈ 200 000 rows of Enedis' file, 1.2 M once long (six filières)


def _sliced(files: Sequence[FileToRead], ref: Territories) -> Iterator[Checked]:
    from flows.sources import production_teo
    from schemas.production import number_type

    for file in files:
        for raw in read_text_slices(
            file.readable, file.origin, numbers=number_type, slice_bytes=SLICE_BYTES
        ):
            if production_teo.recognises(raw.columns):
                raise WholeFileNeeded(file.origin)  # TEO series: small, read whole
            yield _enedis(raw, file, ref)


def read_slices(
    files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None
) -> dict[str, Iterable[Checked]]:
    """What ``read`` gives, Enedis' files checked a slice of rows at a time (the contract
    compares no row with another): the long table of a national file (six filières: 8.8 M rows)
    is never held whole. A TEO series raises :class:`flows.tabular.WholeFileNeeded`."""
    from flows.sources import production_teo

    ref = Territories.load(con)
    return {
        "production": _sliced(files, ref),
        "production_agregats": [production_teo.no_agregats(file) for file in files],
    }
