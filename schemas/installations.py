"""Contract of ODRÉ's national registry of electricity production and storage installations.

One row per installation, or per aggregate of small ones (« Agrégation des installations de
moins de 36 kW »), with its filière, maximum installed capacity (kW) and dates (``dd/mm/yyyy``).
Extracts may give the commune's name only: ``flows/installations.py`` finds its code first.
"""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from schemas.check import one_of

# The registry's camelCase headers (read lower-cased) → staging names
ODRE_COLUMNS = {
    "nominstallation": "nom_installation",
    "commune": "commune",
    "codedepartement": "code_departement",
    "codefiliere": "code_filiere",
    "puismaxinstallee": "puissance_kw",
    "nbinstallations": "nb_installations",
    "datemiseenservice": "date_mise_en_service",
    "datederaccordement": "date_deraccordement",
    "energieannuelleglissanteinjectee": "energie_injectee_kwh",
}
CODE_COMMUNE = "codeinseecommune"  # in the national export, absent from some extracts
# ODRÉ filière codes → the filières of the production table (Enedis' names)
FILIERES = {
    "SOLAI": "photovoltaique",
    "EOLIE": "eolien",
    "HYDLQ": "hydraulique",
    "BIOEN": "bio_energie",
    "GEOTH": "autres_filieres",
    "MARIN": "autres_filieres",
    "AUTRE": "autres_filieres",
    "THERM": "thermique_non_renouvelable",
    "NUCLE": "nucleaire",
    "STOCK": "stockage",
}


class InstallationBrute(pa.DataFrameModel):
    nom_installation: str = pa.Field(nullable=True)
    commune: str = pa.Field(nullable=True)
    code_departement: str = pa.Field(str_matches=r"^(\d{2}|2[AB]|97\d)$")
    # null when the name could not be resolved: flows/installations.py reports why
    code_commune: str = pa.Field(nullable=True)
    code_filiere: str = pa.Field(isin=sorted(FILIERES))
    puissance_kw: pl.Float64 = pa.Field(ge=0, le=5_000_000)
    nb_installations: pl.Int64 = pa.Field(nullable=True, ge=1)
    date_mise_en_service: pl.Date = pa.Field(
        nullable=True, ge=dt.date(1900, 1, 1), le=dt.date.today()
    )
    date_deraccordement: pl.Date = pa.Field(nullable=True)
    energie_injectee_kwh: pl.Float64 = pa.Field(nullable=True, ge=0)

    @pa.dataframe_check(error="raccordée avant d'être déraccordée")
    @classmethod
    def dates_ordonnees(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            pl.col("date_deraccordement").is_null()
            | pl.col("date_mise_en_service").is_null()
            | (pl.col("date_deraccordement") >= pl.col("date_mise_en_service"))
        )


def with_communes(communes: frozenset[str]) -> pa.DataFrameSchema:
    """The contract, checking resolved codes against today's communes."""
    return InstallationBrute.to_schema().update_columns(
        {"code_commune": {"checks": [one_of(communes, "commune actuelle (COG)")]}}
    )
