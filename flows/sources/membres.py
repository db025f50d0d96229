"""Source ``membres``: the network's member registry, as exported from its CRM (CSV or XLSX).

A load is the registry (one row per member, this year's answers) and, optionally, files of
past answers (a header with ``annee`` and no ``nom``: one row per member and year, as a
registry keeper backfills them). Both go to ``staging.membres_reponses``, one row per member and
year (the registry's answers as this year's); ``warehouse/sql/membres_versions.sql`` keeps
every load's answers as dated versions, so each objective's series grows load after load.

With no location, the embedded default is the demo registry and its past answers of
``flows/demo/membres.py``, flagged demo. Codes are repaired against today's territories before
the contract is applied; contacts (``contact_nom``, ``contact_email``) stay in staging and never
reach a mart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

import duckdb
import polars as pl

from flows.codes import repair_column
from flows.connector import EMBEDDED, FileToRead, RawFile
from flows.demo import membres as demo
from flows.reference import Territories
from flows.tabular import read_text_table
from schemas.check import ROW, Checked, ContractError, no_problems
from schemas.check import check as check_table

DEMO_FILE = "membres_demo.csv"
DEMO_PAST_FILE = "membres_reponses_passees_demo.csv"


def embedded() -> list[RawFile]:
    return [
        RawFile(DEMO_FILE, EMBEDDED, demo.csv_bytes()),
        RawFile(DEMO_PAST_FILE, EMBEDDED, demo.past_answers_csv_bytes()),
    ]


def _registry(file: FileToRead, raw: pl.DataFrame, ref: Territories) -> Checked:
    from schemas.membres import with_territories  # pandera: only when a file is checked

    repairs = []
    for column, many in (("code_commune_siege", False), ("territoires", True)):
        if column in raw.columns:
            raw, fixed = repair_column(raw, column, ref, many=many)
            repairs.append(fixed)
    checked = check_table(raw, with_territories(ref.communes, ref.epci), file.origin)
    return replace(checked, repairs=pl.concat(repairs) if repairs else None)


def read(
    files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None
) -> dict[str, list[Checked]]:
    from schemas.membres import ANSWERS, past_answers

    tables = [(file, read_text_table(file.readable, file.origin)) for file in files]
    registries = [(f, raw) for f, raw in tables if "annee" not in raw.columns]
    if len(registries) != 1:
        raise ContractError(
            f"{len(registries)} registre(s) parmi {', '.join(f.origin for f, _ in tables)} : un "
            "chargement est un registre (sans colonne annee) et, s'il y a lieu, des fichiers de "
            "réponses passées (colonnes id_membre, annee et les réponses)"
        )
    ref = Territories.load(con)
    registry = _registry(*registries[0], ref)
    members = registry.valid["id_membre"].to_list()
    past = [
        check_table(raw, past_answers(members), file.origin)
        for file, raw in tables
        if "annee" in raw.columns
    ]
    this_year = registry.valid.select(
        ROW, "id_membre", pl.lit(dt.date.today().year, pl.Int64).alias("annee"), *ANSWERS
    )
    # the registry's rows are counted, quarantined and recorded once, as the registry's
    staged = Checked(
        registry.file, this_year.head(0), no_problems(), this_year.head(0), staged=this_year
    )
    answers = [staged, *past]
    return {"membres": [registry], "membres_reponses": answers}
