"""Contract of the network's member registry (the CRM export the staff produce)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from schemas.check import PERSONAL, one_of

TYPES = ["collectivité", "association", "entreprise", "autre"]
SERVICES = ["cep", "econome_flux", "ingenierie"]  # conseil en énergie partagé, économe de flux…
LA_POSTE = "356000000"  # the one SIREN that does not pass the Luhn check


def siren_valide(siren: pl.Expr) -> pl.Expr:
    """9 digits passing the Luhn checksum, or La Poste's historical SIREN."""
    digits = [siren.str.slice(i, 1).cast(pl.Int32, strict=False) for i in range(9)]
    doubled = [
        (d * 2) - pl.when(d * 2 > 9).then(9).otherwise(0) if i % 2 else d
        for i, d in enumerate(digits)
    ]
    luhn = (pl.sum_horizontal(doubled) % 10) == 0
    return siren.str.contains(r"^\d{9}$") & (luhn | (siren == LA_POSTE))


def known_services(data: PolarsData) -> pl.LazyFrame:
    """Every service of a ``|`` list is one of ``SERVICES``."""
    listed = pl.col(data.key).str.split("|").list.eval(pl.element().str.strip_chars())
    return data.lazyframe.select(listed.list.eval(pl.element().is_in(SERVICES)).list.all())


class MembreBrut(pa.DataFrameModel):
    """One row per member organisation. Lists use ``|``; contacts stay in the internal warehouse."""

    id_membre: str = pa.Field(unique=True, str_matches=r"^\S+$")
    nom: str = pa.Field(str_length={"min_value": 2})
    type: str = pa.Field(isin=TYPES)
    sous_type: str = pa.Field(nullable=True)
    siren: str = pa.Field(nullable=True)
    code_commune_siege: str
    territoires: str = pa.Field(nullable=True)
    date_adhesion: pl.Date = pa.Field(ge=dt.date(1990, 1, 1))
    date_sortie: pl.Date = pa.Field(nullable=True)
    reseau_tepos: pl.Boolean
    dotation_eur_hab_an: pl.Float64 = pa.Field(nullable=True, ge=0, le=1000)
    strategie_adoptee: pl.Boolean = pa.Field(nullable=True)
    annee_objectif_enr: pl.Int64 = pa.Field(nullable=True, ge=2020, le=2100)
    etp_coordination: pl.Float64 = pa.Field(nullable=True, ge=0, le=200)
    services_mutualises: str = pa.Field(nullable=True)
    # personal data: kept in staging, never in a mart nor repeated in a message
    contact_nom: str = pa.Field(nullable=True, metadata={PERSONAL: True})
    contact_email: str = pa.Field(
        nullable=True, str_matches=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", metadata={PERSONAL: True}
    )

    @pa.check("siren", name="siren_luhn", error="SIREN : 9 chiffres et clé de Luhn valide")
    @classmethod
    def siren_luhn(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(siren_valide(pl.col(data.key)))

    @pa.check("date_adhesion", name="pas_dans_le_futur", error="date d'adhésion dans le futur")
    @classmethod
    def adhesion_passee(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key) <= dt.date.today())

    @pa.check(
        "services_mutualises",
        name="services_connus",
        error=f"chaque service parmi : {', '.join(SERVICES)} (séparés par |)",
    )
    @classmethod
    def services_connus(cls, data: PolarsData) -> pl.LazyFrame:
        return known_services(data)

    @pa.dataframe_check(error="date de sortie antérieure à la date d'adhésion")
    @classmethod
    def dates_coherentes(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("date_sortie").is_null() | (pl.col("date_sortie") >= pl.col("date_adhesion"))
        )


class ReponsesAnneeBrut(pa.DataFrameModel):
    """Past answers: one row per member and year (``annee``), as a registry keeper backfills them
    (the registry itself holds this year's). Same rules as the registry's answers."""

    id_membre: str = pa.Field(str_matches=r"^\S+$")
    annee: pl.Int64 = pa.Field(ge=2000, lt=dt.date.today().year)
    dotation_eur_hab_an: pl.Float64 = pa.Field(nullable=True, ge=0, le=1000)
    strategie_adoptee: pl.Boolean = pa.Field(nullable=True)
    annee_objectif_enr: pl.Int64 = pa.Field(nullable=True, ge=2020, le=2100)
    etp_coordination: pl.Float64 = pa.Field(nullable=True, ge=0, le=200)
    services_mutualises: str = pa.Field(nullable=True)

    class Config:
        unique = ("id_membre", "annee")  # one answer per member and year

    @pa.check("services_mutualises", name="services_connus", error=f"services parmi {SERVICES}")
    @classmethod
    def services_connus(cls, data: PolarsData) -> pl.LazyFrame:
        return known_services(data)


ANSWERS = [c for c in ReponsesAnneeBrut.to_schema().columns if c not in ("id_membre", "annee")]


def past_answers(members: Iterable[str]) -> pa.DataFrameSchema:
    """The past answers' contract, plus: every member is one of the registry's."""
    return ReponsesAnneeBrut.to_schema().update_columns(
        {"id_membre": {"checks": [one_of(members, "adhérent du registre")]}}
    )


def with_territories(communes: frozenset[str], epci: frozenset[str]) -> pa.DataFrameSchema:
    """The contract, plus: every code names one of today's communes or EPCI."""
    known = sorted(communes | epci)
    listed = pl.col("territoires").str.split("|").list.eval(pl.element().str.strip_chars())
    return MembreBrut.to_schema().update_columns(
        {
            "code_commune_siege": {"checks": [one_of(communes, "commune actuelle (COG)")]},
            "territoires": {
                "checks": [
                    pa.Check(
                        lambda data: data.lazyframe.select(
                            listed.list.eval(pl.element().is_in(known)).list.all()
                        ),
                        name="territoires_connus",
                        error="chaque code est une commune ou un EPCI actuels",
                    )
                ]
            },
        }
    )
