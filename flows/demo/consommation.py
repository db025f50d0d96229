"""Demo consumption series in Agence ORE's schema: every commune, 2011-2024, deterministic.

Magnitudes follow national orders of size (about 2.3 MWh of electricity per inhabitant at home,
gas in larger communes only), a slow decline with weather noise, and a 2020 dip in services and
industry. Written as Parquet, one of the formats ORE's portal exports, to stay small and fast.
"""

from __future__ import annotations

import io

import numpy as np
import polars as pl

from flows.demo import territoires

SEED = 2050
YEARS = np.arange(2011, 2025)
# MWh per inhabitant and year in 2011, by energy and sector
INTENSITY = {
    ("Electricité", "RESIDENTIEL"): 2.4,
    ("Electricité", "TERTIAIRE"): 1.9,
    ("Electricité", "INDUSTRIE"): 1.6,
    ("Electricité", "AGRICULTURE"): 0.15,
    ("Gaz", "RESIDENTIEL"): 3.1,
    ("Gaz", "TERTIAIRE"): 1.7,
    ("Gaz", "INDUSTRIE"): 2.2,
}
OPERATOR = {"Electricité": "Enedis", "Gaz": "GRDF"}
CATEGORY = {"RESIDENTIEL": "RES", "TERTIAIRE": "PRO", "INDUSTRIE": "ENT", "AGRICULTURE": "PRO"}
GAS_FROM_POPULATION = 2000  # communes below this size get no gas network in the demo


def series() -> pl.DataFrame:
    """The demo table with ORE's headers."""
    rng = np.random.default_rng(SEED)
    communes = territoires.communes().filter(pl.col("population") > 0)
    codes = communes["code_commune"].to_numpy()
    population = communes["population"].to_numpy().astype(float)
    local = rng.lognormal(0, 0.25, size=len(codes))  # each commune's own level
    frames = []
    for (energy, sector), intensity in INTENSITY.items():
        keep = population >= GAS_FROM_POPULATION if energy == "Gaz" else np.ones(len(codes), bool)
        n = int(keep.sum())
        trend = (1 - rng.uniform(0.005, 0.02, n))[:, None] ** (YEARS - YEARS[0])[None, :]
        weather = rng.normal(1, 0.04, (n, len(YEARS)))
        dip = np.where((YEARS == 2020) & (sector in ("TERTIAIRE", "INDUSTRIE")), 0.9, 1.0)
        mwh = (population[keep] * local[keep] * intensity)[:, None] * trend * weather * dip
        sites = np.maximum(1, (population[keep] / (2.1 if sector == "RESIDENTIEL" else 40)))
        frames.append(
            pl.DataFrame(
                {
                    "OPERATEUR": OPERATOR[energy],
                    "FILIERE": energy,
                    "Année": np.tile(YEARS, n),
                    "Code Commune": np.repeat(codes[keep], len(YEARS)),
                    "CODE CATEGORIE CONSOMMATION": CATEGORY[sector],
                    "CODE GRAND SECTEUR": sector,
                    "CODE SECTEUR NAF2": None,
                    "Nb sites": np.repeat(sites.round().astype(np.int64), len(YEARS)),
                    "Conso totale (MWh)": mwh.ravel().round(3),
                },
                schema_overrides={"CODE SECTEUR NAF2": pl.String},
            )
        )
    return pl.concat(frames)


def parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    series().write_parquet(buffer, compression="zstd")
    return buffer.getvalue()
