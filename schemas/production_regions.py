"""Contract of Enedis' annual electricity production by région, filière and voltage domain.

The same pairs of columns per filière as the commune file (``schemas/production.py``), one row
per year, région and voltage domain; the export adds the région's name and shape (``geom``,
``geo_point_2d``), which are not read. Enedis' network only: plants connected to RTE's
transmission network, Corsica's and the overseas régions' (EDF SEI) are not in it.
"""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl

from schemas.check import one_of
from schemas.production import measures


class ProductionRegionBrute(pa.DataFrameModel):
    annee: pl.Int64 = pa.Field(ge=2008, le=dt.date.today().year)
    code_region: str
    domaine_de_tension: str = pa.Field(nullable=True)


def for_header(columns: list[str], regions: frozenset[str]) -> pa.DataFrameSchema:
    """The contract for a file with this header, checking régions against today's."""
    schema = ProductionRegionBrute.to_schema().add_columns(measures(columns))
    return schema.update_columns(
        {"code_region": {"checks": [one_of(regions, "région actuelle (COG)")]}}
    )
