"""Contract of Agence ORE's annual electricity and gas consumption by région, sector and NAF.

The portal's export keeps its API field names (``operateur;annee;filiere;…;conso;pdl;indqual;…;
code_region;libelle_region``). Consumption that ORE could not place in a région comes with the
code ``Fr`` or ``XX`` (« Non affecté à une région »): it counts in France only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandera.polars as pa
import polars as pl

from schemas.check import one_of

# ORE's codes of consumption it could not place in a région
NON_AFFECTE = ("Fr", "XX")
# ORE's sector letters → the words of its commune files (schemas/consommation.py)
GRANDS_SECTEURS = {
    "A": "AGRICULTURE",
    "I": "INDUSTRIE",
    "R": "RESIDENTIEL",
    "T": "TERTIAIRE",
    "X": "INCONNU",
}
# API field names (lower-cased by the reader) → the contract's names
ORE_COLUMNS = {
    "operateur": "operateur",
    "annee": "annee",
    "filiere": "filiere",
    "code_categorie_consommation": "categorie",
    "code_grand_secteur": "grand_secteur",
    "code_naf": "code_naf2",
    "conso": "conso_mwh",
    "pdl": "nb_sites",
    "indqual": "indice_qualite",
    "code_region": "code_region",
}


class ConsommationRegionBrute(pa.DataFrameModel):
    """One row per operator, energy, year, région, client category, sector and NAF code."""

    operateur: str
    annee: pl.Int64 = pa.Field(ge=2008, le=dt.date.today().year)
    filiere: str = pa.Field(isin=["Electricité", "Électricité", "Gaz"])
    categorie: str = pa.Field(nullable=True)
    grand_secteur: str = pa.Field(isin=list(GRANDS_SECTEURS))
    code_naf2: str = pa.Field(nullable=True, str_matches=r"^\d{2}$")
    conso_mwh: pl.Float64 = pa.Field(nullable=True, ge=0)
    nb_sites: pl.Int64 = pa.Field(nullable=True, ge=0)
    # ORE's quality index, the share of the consumption measured rather than estimated, is above
    # 1 on 11 rows of its 2011-2021 file (up to 100): kept as published, the rows are not refused
    indice_qualite: pl.Float64 = pa.Field(nullable=True, ge=0)
    code_region: str


def with_regions(regions: Iterable[str]) -> pa.DataFrameSchema:
    """The contract, plus: every région is one of today's, or ORE's « non affecté »."""
    return ConsommationRegionBrute.to_schema().update_columns(
        {
            "code_region": {
                "checks": [one_of([*regions, *NON_AFFECTE], "région actuelle (COG) ou Fr/XX")]
            }
        }
    )
