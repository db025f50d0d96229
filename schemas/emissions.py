"""Contract of a regional greenhouse-gas inventory by commune: Airparif's layout first.

Airparif's commune inventory (Île-de-France) has one row per sector, year and commune:
``secteur``, ``annee``, ``insee``, ``commune``, ``emission``. Its sectors are kept as the
publisher names them; its ``Totale`` line is the publisher's own total, not a sector and not
exactly the sum of the sectors (other sources, rounding): it is kept beside them, never added to
them. The unit is not stated in the file: kilotonnes of CO2 equivalent (kteqCO2), inferred from
the regional total: the file's ``Totale`` lines add up to 38,093 in 2017, i.e. 38.1 Mt for 12.2
million inhabitants (3.1 t each, the order of a French region's per-capita inventory); read as
tonnes it would be 3 kg per inhabitant, read as Mt 3,000 t each.
"""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl

from schemas.check import one_of

SECTEURS = ["Agriculture", "Industrie", "Residentiel", "Tertiaire", "Transport_R", "Transport_A"]
TOTAL = "Totale"  # the publisher's total line
# the public label of the publisher's total line, whichever word the publisher uses for it
TOTAL_PUBLIC = "Total (éditeur)"
# Airparif headers (lower-cased by the reader) → the contract's names
AIRPARIF_COLUMNS = {
    "secteur": "secteur",
    "annee": "annee",
    "insee": "code_commune",
    "commune": "commune",
    "emission": "emission_kteqco2",
}
REQUIRED = ("secteur", "annee", "insee", "emission")


class EmissionBrute(pa.DataFrameModel):
    """One row per sector (or the total line), year and commune (or arrondissement), in kteqCO2."""

    secteur: str = pa.Field(isin=[*SECTEURS, TOTAL])
    annee: pl.Int64 = pa.Field(ge=1990, le=dt.date.today().year)
    code_commune: str
    commune: str = pa.Field(nullable=True)
    # a commune emits at most a few Mt (Paris: about 10 Mt); negative values are not emissions
    emission_kteqco2: pl.Float64 = pa.Field(ge=0, le=50_000)


def with_communes(communes: frozenset[str]) -> pa.DataFrameSchema:
    """The contract, plus: every commune is one of today's (after repair of old codes)."""
    return EmissionBrute.to_schema().update_columns(
        {"code_commune": {"checks": [one_of(communes, "commune actuelle (COG)")]}}
    )
