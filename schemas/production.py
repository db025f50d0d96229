"""Contracts of Enedis' annual renewable electricity production by commune and filière.

Enedis publishes one row per year, commune and voltage domain, with a pair of columns per
filière (``nb_sites_<filière>_enedis``, ``energie_produite_annuelle_<filière>_enedis_mwh``);
which filières appear varies between extracts, so the contract is completed from the header.
The TEO series of DREAL Pays de la Loire give the same data long (``TeoBrut``): one value per
territory (commune, EPCI, département, région), filière, year and indicator.
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


def number_type(column: str) -> type[pl.DataType] | None:
    """The type of an Enedis number column, which a reader may parse itself."""
    if column == "annee" or SITES.match(column):
        return pl.Int64
    return pl.Float64 if ENERGY.match(column) else None


def measures(columns: list[str]) -> dict[str, pa.Column]:
    """The pair of columns of each filière of the header, as counts and MWh, blank allowed."""
    pairs = {}
    for filiere in filieres(columns):
        pairs[f"nb_sites_{filiere}_enedis"] = pa.Column(
            pl.Int64, nullable=True, checks=pa.Check.ge(0)
        )
        pairs[f"energie_produite_annuelle_{filiere}_enedis_mwh"] = pa.Column(
            pl.Float64, nullable=True, checks=pa.Check.ge(0)
        )
    return pairs


def for_header(columns: list[str], communes: frozenset[str]) -> pa.DataFrameSchema:
    """The contract for a file with this header, checking communes against today's."""
    schema = ProductionBrute.to_schema().add_columns(measures(columns))
    return schema.update_columns(
        {"code_commune": {"checks": [one_of(communes, "commune actuelle (COG)")]}}
    )


# TEO labels: filières (→ the project's ids), levels and indicators.
TEO_FILIERES = {
    "Photovoltaïque": "photovoltaique",
    "Eolien": "eolien",
    "Hydraulique": "hydraulique",
    "Bio Energie": "bio_energie",
}
TEO_COMMUNES = "Communes"
TEO_ENERGIE, TEO_PUISSANCE, TEO_SITES = (
    "Energie.totale.en.kWh",
    "Puissance.totale.en.kW",
    "Nombre de sites",
)


class TeoBrut(pa.DataFrameModel):
    """One value of a TEO series; ``estimation`` marks a value the publisher estimated."""

    typezone: str = pa.Field(isin=[TEO_COMMUNES, "Epci", "Départements", "Régions"])
    codezone: str
    filiere: str = pa.Field(isin=list(TEO_FILIERES), alias="filiere.de.production")
    annee: pl.Int64 = pa.Field(ge=2008, le=dt.date.today().year)
    indicateur: str = pa.Field(isin=[TEO_ENERGIE, TEO_PUISSANCE, TEO_SITES])
    valeur: pl.Float64 = pa.Field(ge=0)
    estimation: pl.Boolean
    type_estimation: str = pa.Field(nullable=True)

    @pa.dataframe_check(name="nombre de sites entier")
    @classmethod
    def whole_sites(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("indicateur") != TEO_SITES) | (pl.col("valeur") % 1 == 0)
        )


def teo_communes(communes: frozenset[str]) -> pa.DataFrameSchema:
    """The contract of TEO commune rows: their codes must be today's communes."""
    return TeoBrut.to_schema().update_columns(
        {"codezone": {"checks": [one_of(communes, "commune actuelle (COG)")]}}
    )
