"""Demo renewable production in Enedis' commune schema: every commune, 2011-2024, deterministic.

Solar grows everywhere (about 20 % a year), wind turns in some rural communes, hydro in a few,
bio-energy in some more; magnitudes make national coverage rise from under 10 % to about 25 % of
the demo consumption, in the range France's territories actually span.
"""

from __future__ import annotations

import io

import numpy as np
import polars as pl

from flows.demo import territoires

SEED = 2030
YEARS = np.arange(2011, 2025)
# (share of communes equipped, MWh per equipped commune in 2011, yearly growth)
FILIERES = {
    "photovoltaique": (1.0, 40.0, 0.20),
    "eolien": (0.05, 15000.0, 0.07),
    "hydraulique": (0.03, 40000.0, 0.0),
    "bio_energie": (0.04, 3000.0, 0.04),
}


def series() -> pl.DataFrame:
    rng = np.random.default_rng(SEED)
    communes = territoires.communes().filter(pl.col("population") > 0)
    codes = communes["code_commune"].to_numpy()
    population = communes["population"].to_numpy().astype(float)
    rural = population < 3000
    n, years = len(codes), len(YEARS)
    columns = {
        "annee": np.tile(YEARS, n),
        "code_commune": np.repeat(codes, years),
        "domaine_de_tension": "BT <= 36 kVA",
    }
    for filiere, (share, level, growth) in FILIERES.items():
        equipped = rng.random(n) < share
        if filiere == "eolien":
            equipped &= rural
        scale = level * (population / 1000 if filiere == "photovoltaique" else 1)
        start = rng.integers(0, 10, n) if filiere == "eolien" else np.zeros(n, int)
        running = np.arange(years)[None, :] >= start[:, None]
        mwh = (scale * equipped)[:, None] * (1 + growth) ** np.arange(years)[None, :] * running
        mwh *= rng.normal(1, 0.08, (n, years)).clip(0.5)
        sites = np.where(
            mwh > 0, np.maximum(1, mwh / (8 if filiere == "photovoltaique" else 3000)), 0
        )
        columns[f"nb_sites_{filiere}_enedis"] = sites.round().astype(np.int64).ravel()
        columns[f"energie_produite_annuelle_{filiere}_enedis_mwh"] = mwh.round(3).ravel()
    return pl.DataFrame(columns)


def parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    series().write_parquet(buffer, compression="zstd")
    return buffer.getvalue()
