"""Source ``installations``: ODRÉ's national registry of electricity production installations.

Reads the registry's export (``;``, BOM, camelCase headers, ``dd/mm/yyyy`` dates) as CSV or
Parquet; ``--from installations=odre`` downloads the dataset listed in ``installations.yaml``
from ODRÉ's Opendatasoft portal. Extracts that give the commune's name only are placed by name
and département (``flows/commune_names.py``); each name leading to another code is recorded,
and a name that leads nowhere is quarantined with its reason. The embedded default is the demo
of ``flows/demo/installations.py``. Its mart is the capacity in service at the end of each
year, by commune and filière, which the production table carries as ``puissance_kw``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import duckdb
import polars as pl

from flows.codes import REPAIR_SCHEMA, repair_column
from flows.commune_names import CommuneNames
from flows.connector import EMBEDDED, FileToRead, RawFile
from flows.demo import installations as demo
from flows.reference import Territories
from flows.tabular import read_text_table
from schemas.check import PROBLEM_SCHEMA, ROW, Checked, reject, require_columns
from schemas.check import check as check_table

DEMO_FILE = "registre_installations_demo.parquet"
NO_COMMUNE = "commune absente (installation non localisée)"


def embedded() -> list[RawFile]:
    return [RawFile(DEMO_FILE, EMBEDDED, demo.parquet_bytes())]


def _by_name(raw: pl.DataFrame, names: CommuneNames) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Codes found from (name, département); the frame gains ``code_commune`` and ``motif``."""
    pairs = raw.select("commune", "code_departement").unique().drop_nulls()
    matches = [names.find(name, dept) for name, dept in pairs.iter_rows()]
    found = pairs.with_columns(
        pl.Series("code_commune", [m.code for m in matches], pl.String),
        pl.Series("motif", [m.why for m in matches], pl.String),
    )
    placed = raw.join(found, on=["commune", "code_departement"], how="left", nulls_equal=False)
    named = placed.filter(pl.col("code_commune").is_not_null() & pl.col("motif").is_not_null())
    repairs = named.select(
        ROW,
        pl.lit("commune").alias("colonne"),
        pl.format("{} ({})", "commune", "code_departement").alias("valeur_lue"),
        pl.col("code_commune").alias("valeur_retenue"),
        pl.format("nom → code : {}", "motif").alias("motif"),
    )
    return placed, repairs.cast(REPAIR_SCHEMA)


def _unplaced(placed: pl.DataFrame) -> pl.DataFrame:
    """One problem per row left without a commune code, saying why."""
    lost = placed.filter(pl.col("code_commune").is_null())
    return lost.select(
        ROW,
        pl.lit("commune").alias("colonne"),
        pl.col("motif").fill_null(NO_COMMUNE).alias("regle"),
        pl.format("{} ({})", "commune", "code_departement").alias("valeur"),
    ).cast(PROBLEM_SCHEMA)


def _one(file: FileToRead, ref: Territories, names: CommuneNames) -> Checked:
    # the contract (pandera) is imported only when a file is checked
    from schemas.installations import CODE_COMMUNE, FILIERES, ODRE_COLUMNS, with_communes

    raw = read_text_table(file.readable, file.origin)
    require_columns(raw, ODRE_COLUMNS, file.origin, "du registre ODRÉ")
    codes = raw[CODE_COMMUNE].cast(pl.String) if CODE_COMMUNE in raw.columns else None
    raw = raw.select(ROW, *ODRE_COLUMNS).rename(ODRE_COLUMNS).cast({"code_departement": pl.String})
    if codes is not None and codes.null_count() < raw.height:
        raw, repairs = repair_column(raw.with_columns(code_commune=codes), "code_commune", ref)
        raw = raw.with_columns(motif=pl.lit(None, pl.String))
    else:
        raw, repairs = _by_name(raw, names)
    checked = check_table(raw.drop("motif"), with_communes(ref.communes), file.origin)
    checked = reject(checked, raw, _unplaced(raw))
    staged = checked.valid.with_columns(
        pl.col("code_filiere").replace_strict(FILIERES).alias("filiere"),
        pl.lit(file.name).alias("source"),
    )
    return replace(checked, repairs=repairs, staged=staged)


def read(
    files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None
) -> dict[str, list[Checked]]:
    ref, names = Territories.load(con), CommuneNames.load(con)
    return {"installations": [_one(file, ref, names) for file in files]}
