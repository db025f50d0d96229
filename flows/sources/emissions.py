"""Source ``emissions``: greenhouse-gas emissions by commune, sector and year.

First format: Airparif's commune inventory for Île-de-France (XLSX, or the same columns as CSV):
``secteur``, ``annee``, ``insee``, ``commune``, ``emission`` (kteqCO2, unit inferred: see
``schemas/emissions.py``). Numbers stored as text with a decimal comma are read as numbers;
Paris comes by arrondissement (751xx), each mapped to the commune (75056) and the repair
recorded; the marts add the arrondissements up. The publisher's ``Totale`` line is kept beside
the sectors, never added to them.

Airparif's file states no licence: it is not shipped. The embedded default is the demo of
``flows/demo/emissions.py``, in Airparif's layout, on Île-de-France's real communes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import duckdb
import polars as pl

from flows.codes import repair_column
from flows.connector import EMBEDDED, FileToRead, RawFile
from flows.demo import emissions as demo
from flows.reference import Territories
from flows.tabular import read_text_table
from schemas.check import ROW, Checked, require_columns
from schemas.check import check as check_table

DEMO_FILE = "emissions_demo_airparif.csv"


def embedded() -> list[RawFile]:
    return [RawFile(DEMO_FILE, EMBEDDED, demo.csv_bytes())]


def _one(file: FileToRead, ref: Territories) -> Checked:
    # the contract (pandera) is imported only when a file is checked
    from schemas.emissions import AIRPARIF_COLUMNS, REQUIRED, with_communes

    raw = read_text_table(file.readable, file.origin)
    require_columns(raw, REQUIRED, file.origin, "Airparif")
    raw = raw.select(
        ROW,
        *(
            (pl.col(c).cast(pl.String) if c in raw.columns else pl.lit(None, pl.String)).alias(to)
            for c, to in AIRPARIF_COLUMNS.items()
        ),
    ).with_columns(pl.col("secteur").str.strip_chars(), pl.col("code_commune").str.strip_chars())
    raw, repairs = repair_column(raw, "code_commune", ref)
    checked = check_table(raw, with_communes(ref.communes), file.origin)
    return replace(
        checked,
        repairs=repairs,
        staged=checked.valid.with_columns(pl.lit(file.name).alias("source")),
    )


def read(
    files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None
) -> dict[str, list[Checked]]:
    ref = Territories.load(con)
    return {"emissions": [_one(file, ref) for file in files]}
