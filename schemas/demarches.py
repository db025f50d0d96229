"""Contract of ADEME Territoires & Climat's exports of territorial climate démarches.

Two export layouts reach one contract (``flows/sources/demarches.py`` maps their headers): the
PCAET export (v1 « SIREN collectivites_coporteuses » + « Collectivités porteuses », or v2
« SIREN_collectivites_coporteuses » + « Collectivités_porteuses ») and the export of the other
démarches (Cit'ergie, CTE, TEPOS, former PCET), whose ``collectivites_coporteuses`` holds
``SIREN-Nom`` pairs. Co-carrying collectivités arrive as ``sirens`` and ``noms_collectivites``,
``|``-separated and aligned.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from schemas.check import PERSONAL
from schemas.membres import siren_valide

TYPES = ["PCAET", "Cit'ergie", "CTE", "TEPOS", "Ancien PCET"]
ETATS = ["En cours d'élaboration", "Dépôt pour avis", "Définitif", "Mise en oeuvre"]
ADOPTED = ["Définitif", "Mise en oeuvre"]  # the plan is adopted (then carried out)
# personal data in both exports: the connector blanks them before anything is checked, stored
# or said, and never stages them; the contract names them so that the spec and messages do
PERSONAL_FIELDS = ("chef_de_projet", "contact", "elu_referent")


def _listed(column: str) -> pl.Expr:
    return pl.col(column).str.split("|").list.eval(pl.element().str.strip_chars())


class DemarcheBrut(pa.DataFrameModel):
    """One row per démarche of one export (the same démarche may be in both exports)."""

    id_demarche: str = pa.Field(str_matches=r"^\d+$", unique=True)
    types: str = pa.Field()
    nom: str = pa.Field(nullable=True)
    sirens: str = pa.Field(nullable=True)
    noms_collectivites: str = pa.Field(nullable=True)
    population_couverte: pl.Int64 = pa.Field(nullable=True, ge=0, le=80_000_000)
    etat: str = pa.Field(nullable=True, isin=ETATS)
    oblige: str = pa.Field(nullable=True, isin=["O", "V"])
    date_creation: pl.Date = pa.Field(nullable=True)
    date_modification: pl.Date = pa.Field(nullable=True)
    date_lancement: pl.Date = pa.Field(nullable=True)
    chef_de_projet: str = pa.Field(nullable=True, metadata={PERSONAL: True})
    contact: str = pa.Field(nullable=True, metadata={PERSONAL: True})
    elu_referent: str = pa.Field(nullable=True, metadata={PERSONAL: True})

    @pa.check("types", name="types_connus", error=f"chaque type parmi : {', '.join(TYPES)}")
    @classmethod
    def types_connus(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            _listed(data.key).list.eval(pl.element().is_in(TYPES)).list.all()
        )

    @pa.check("sirens", name="siren_luhn", error="chaque SIREN : 9 chiffres et clé de Luhn")
    @classmethod
    def sirens_valides(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            _listed(data.key).list.eval(siren_valide(pl.element())).list.all()
        )

    @pa.dataframe_check(error="date de modification antérieure à la date de création")
    @classmethod
    def dates_coherentes(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("date_creation").is_null()
            | pl.col("date_modification").is_null()
            | (pl.col("date_modification") >= pl.col("date_creation"))
        )
