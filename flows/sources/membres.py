"""Source ``membres``: the network's member registry, as exported from its CRM (CSV or XLSX).

With no location, the embedded default is the demo registry of ``flows/demo/membres.py``,
flagged demo. Codes are repaired against today's territories before the contract is applied;
contacts (``contact_nom``, ``contact_email``) stay in staging and never reach a mart.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import polars as pl

from flows import remote
from flows.codes import repair_column
from flows.connector import RawFile
from flows.demo import membres as demo
from flows.reference import Territories
from flows.tabular import read_text_table
from schemas.check import Checked
from schemas.check import check as check_table
from warehouse.audit import Provenance
from warehouse.internal import sql

NAME = "membres"
DEMO_FILE = "membres_demo.csv"


def provenance(location: str | None) -> Provenance:
    if location is None:
        return Provenance(
            editeur="Réseau CLER (jeu de démonstration généré par le projet)",
            jeu_de_donnees="Registre des adhérents — démonstration, 293 membres fictifs",
            licence="Licence Ouverte 2.0",
            millesime=f"démo, graine {demo.SEED}",
            demo=True,
        )
    return Provenance(
        editeur="Réseau CLER",
        jeu_de_donnees="Registre des adhérents (export du CRM)",
        licence="Licence Ouverte 2.0 (agrégats publiés) ; contacts non publiés",
        millesime="export fourni",
        demo=False,
    )


def fetch(location: str | None) -> list[RawFile]:
    return remote.read_or_demo(location, DEMO_FILE, demo.csv_bytes)


def check(files: list[RawFile], con: duckdb.DuckDBPyConnection | None) -> dict[str, Checked]:
    from schemas.membres import with_territories  # pandera: only when a file is checked

    (file,) = files
    ref = Territories.load(con)
    raw = read_text_table(file.source, file.origin)
    repairs = []
    for column, many in (("code_commune_siege", False), ("territoires", True)):
        if column in raw.columns:
            raw, fixed = repair_column(raw, column, ref, many=many)
            repairs.append(fixed)
    checked = check_table(raw, with_territories(ref.communes, ref.epci), file.origin)
    return {"membres": replace(checked, repairs=pl.concat(repairs) if repairs else None)}


def build_marts(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(sql("membres"))
