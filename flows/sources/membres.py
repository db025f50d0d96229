"""Source ``membres``: the network's member registry, as exported from its CRM (CSV or XLSX).

With no location, the embedded default is the demo registry of ``flows/demo/membres.py``,
flagged demo. Codes are repaired against today's territories before the contract is applied;
contacts (``contact_nom``, ``contact_email``) stay in staging and never reach a mart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import duckdb
import polars as pl

from flows.codes import repair_column
from flows.connector import EMBEDDED, FileToRead, RawFile
from flows.demo import membres as demo
from flows.reference import Territories
from flows.tabular import read_text_table
from schemas.check import Checked
from schemas.check import check as check_table

DEMO_FILE = "membres_demo.csv"


def embedded() -> list[RawFile]:
    return [RawFile(DEMO_FILE, EMBEDDED, demo.csv_bytes())]


def read(files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None) -> dict[str, Checked]:
    from schemas.membres import with_territories  # pandera: only when a file is checked

    (file,) = files
    ref = Territories.load(con)
    raw = read_text_table(file.readable, file.origin)
    repairs = []
    for column, many in (("code_commune_siege", False), ("territoires", True)):
        if column in raw.columns:
            raw, fixed = repair_column(raw, column, ref, many=many)
            repairs.append(fixed)
    checked = check_table(raw, with_territories(ref.communes, ref.epci), file.origin)
    return {"membres": replace(checked, repairs=pl.concat(repairs) if repairs else None)}
