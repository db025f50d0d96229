"""Contracts of the two contract lists: ANCT's CRTE list, and the 2019 CTE list with perimeters."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

CONTRACT_ID = r"^(crte-[\w-]+|CTE\d{3,})$"


class CrteBrut(pa.DataFrameModel):
    """ANCT « Liste des CRTE »: one row per contract and signatory (an EPCI, a commune, an EPT),
    named by its SIREN. Where a signatory is today is the connector's business: a signatory that
    cannot be placed leaves its contract whole.

    ``type_contrat``, ``vague`` and ``date_signature`` extend the ANCT format (absent there:
    the row is then a CRTE of unknown signature date).
    """

    id_crte: str = pa.Field(str_matches=CONTRACT_ID)
    lib_crte: str
    insee_reg: str = pa.Field(nullable=True, str_matches=r"^\d{2}$")
    dep_chef_file: str = pa.Field(nullable=True)
    siren_groupement: str = pa.Field(str_matches=r"^\d{9}$")
    lib_groupement: str = pa.Field(nullable=True)
    nature_juridique: str = pa.Field(nullable=True)
    type_contrat: str = pa.Field(nullable=True, isin=["CTE", "CRTE"])
    vague: str = pa.Field(nullable=True)
    date_signature: pl.Date = pa.Field(nullable=True)

    class Config:
        unique = ["id_crte", "siren_groupement"]  # noqa: RUF012 (pandera reads a list)


OPTIONAL_CRTE = (
    "insee_reg",
    "nature_juridique",
    "dep_chef_file",
    "lib_groupement",
    "type_contrat",
    "vague",
    "date_signature",
)


class CteBrut(pa.DataFrameModel):
    """The 2019 ANCT CTE list (properties of its TopoJSON perimeters), one row per contract."""

    id: str = pa.Field(unique=True, str_matches=r"^CTE\d{3}$")
    lib: str
    perimetre: str = pa.Field(isin=["epci", "communal"])
    nbcom: pl.Int64 = pa.Field(ge=1)
    info1: str = pa.Field(str_contains="phase")
    geometry: str  # WKB, hex
