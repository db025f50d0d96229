"""Contract of Agence ORE's annual electricity and gas consumption by commune and sector."""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl

from schemas.check import one_of

# ORE headers (lower-cased by the reader) → the contract's names.
ORE_COLUMNS = {
    "operateur": "operateur",
    "filiere": "filiere",
    "année": "annee",
    "code commune": "code_commune",
    "code categorie consommation": "categorie",
    "code grand secteur": "grand_secteur",
    "code secteur naf2": "code_naf2",
    "nb sites": "nb_sites",
    "conso totale (mwh)": "conso_mwh",
}
SECTEURS = ["RESIDENTIEL", "TERTIAIRE", "INDUSTRIE", "AGRICULTURE", "INCONNU"]


class ConsommationBrute(pa.DataFrameModel):
    """One row per operator, energy, year, commune, category, sector and NAF code.

    A blank consumption is a cell ORE hid for statistical secrecy: kept, as unknown.
    """

    operateur: str
    filiere: str = pa.Field(isin=["Electricité", "Électricité", "Gaz"])
    annee: pl.Int64 = pa.Field(ge=2008, le=dt.date.today().year)
    code_commune: str
    categorie: str = pa.Field(nullable=True, isin=["ENT", "PRO", "RES"])
    grand_secteur: str = pa.Field(isin=SECTEURS)
    code_naf2: str = pa.Field(nullable=True, str_matches=r"^\d{2}$")
    nb_sites: pl.Int64 = pa.Field(nullable=True, ge=0)
    conso_mwh: pl.Float64 = pa.Field(nullable=True, ge=0)


def with_communes(communes: frozenset[str]) -> pa.DataFrameSchema:
    """The contract, plus: every commune is one of today's (after repair of old codes)."""
    return ConsommationBrute.to_schema().update_columns(
        {"code_commune": {"checks": [one_of(communes, "commune actuelle (COG)")]}}
    )
