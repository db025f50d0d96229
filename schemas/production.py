"""Contract of Enedis' annual renewable electricity production by commune and filière.

Enedis publishes one row per year, commune and voltage domain, with a pair of columns per
filière (``nb_sites_<filière>_enedis``, ``energie_produite_annuelle_<filière>_enedis_mwh``);
which filières appear varies between extracts, so the contract is completed from the header.
"""

from __future__ import annotations

import datetime as dt
import re

import pandera.polars as pa
import polars as pl

from schemas.check import one_of

SITES = re.compile(r"^nb_sites_(?P<filiere>.+)_enedis$")
ENERGY = re.compile(r"^energie_produite_annuelle_(?P<filiere>.+)_enedis_mwh$")
# Cogeneration burns mostly gas: not renewable, kept apart from coverage.
RENOUVELABLES = {"photovoltaique", "eolien", "hydraulique", "bio_energie", "autres_filieres"}


class ProductionBrute(pa.DataFrameModel):
    annee: pl.Int64 = pa.Field(ge=2008, le=dt.date.today().year)
    code_commune: str
    domaine_de_tension: str = pa.Field(nullable=True)


def filieres(columns: list[str]) -> list[str]:
    """Filières that have both their columns in the header."""
    sites = {m["filiere"] for c in columns if (m := SITES.match(c))}
    energy = {m["filiere"] for c in columns if (m := ENERGY.match(c))}
    return sorted(sites & energy)


def for_header(columns: list[str], communes: frozenset[str]) -> pa.DataFrameSchema:
    """The contract for a file with this header, checking communes against today's."""
    measures = {}
    for filiere in filieres(columns):
        measures[f"nb_sites_{filiere}_enedis"] = pa.Column(
            pl.Int64, nullable=True, checks=pa.Check.ge(0)
        )
        measures[f"energie_produite_annuelle_{filiere}_enedis_mwh"] = pa.Column(
            pl.Float64, nullable=True, checks=pa.Check.ge(0)
        )
    schema = ProductionBrute.to_schema().add_columns(measures)
    return schema.update_columns(
        {"code_commune": {"checks": [one_of(communes, "commune actuelle (COG)")]}}
    )
