"""Web geometries of every level: communes as shipped, the levels above as unions of communes.

Plotly fills the outside of a ring drawn counter-clockwise, so every exterior is made clockwise
after simplification; an invalid simplified shape is repaired before it is oriented.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import duckdb
import numpy as np
import polars as pl
import shapely

# Simplification tolerance in degrees per level: about 100 m for communes, 2 km for régions.
TOLERANCE = {"commune": 0.001, "epci": 0.005, "departement": 0.01, "region": 0.02}
# Web outlines keep four decimals (about 10 m, far below the simplification): half the bytes
# for the browser to download and parse.
GRID = 1e-4
KM_PER_DEGREE = 111.195  # mean Earth radius 6,371 km


def area_km2(geoms: np.ndarray) -> np.ndarray:
    """Approximate area: degrees² scaled by the cosine of each shape's latitude (error < 0.5 %)."""
    lat = shapely.get_y(shapely.centroid(geoms))
    return shapely.area(geoms) * KM_PER_DEGREE**2 * np.cos(np.radians(lat))


def _web(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    simple = shapely.set_precision(shapely.simplify(geoms, tolerance, preserve_topology=True), GRID)
    broken = ~shapely.is_valid(simple)
    simple[broken] = shapely.make_valid(simple[broken], method="structure", keep_collapsed=False)
    return shapely.orient_polygons(simple, exterior_cw=True)


def _unions(codes: np.ndarray, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(codes, kind="stable")
    keys, starts = np.unique(codes[order], return_index=True)
    groups = np.split(order, starts[1:])
    # shapely releases the GIL: two threads use both cores of a small machine
    with ThreadPoolExecutor() as pool:
        merged = list(pool.map(lambda g: shapely.union_all(geoms[g]), groups))
    return keys, np.array(merged, dtype=object)


def _frame(level: str, codes: np.ndarray, geoms: np.ndarray, shipped: np.ndarray | None):
    web = _web(geoms, TOLERANCE[level])
    bounds = shapely.bounds(web)
    return pl.DataFrame(
        {
            "niveau": level,
            "code": codes.astype(str),
            "superficie_km2": np.round(area_km2(geoms), 3),
            "geometrie_wkb": shapely.to_wkb(geoms if shipped is None else shipped),
            "geojson": shapely.to_geojson(web),
            "lon_min": bounds[:, 0],
            "lat_min": bounds[:, 1],
            "lon_max": bounds[:, 2],
            "lat_max": bounds[:, 3],
        }
    )


def build(con: duckdb.DuckDBPyConnection) -> int:
    """Write ``marts.geometries``: one row per territory and level, with area and bounding box."""
    communes = con.sql(
        """select c.code_commune, c.code_epci, c.code_departement, c.code_region, s.geometry
           from marts.communes as c
           join staging.territoires_communes as s on s.code = c.code_commune and s.type = 'COM'
           where s.geometry is not null"""
    ).pl()
    geoms = shapely.from_wkb(communes["geometry"].to_numpy())
    frames = [_frame("commune", communes["code_commune"].to_numpy(), geoms, geoms)]
    with_epci = communes["code_epci"].is_not_null().to_numpy()
    frames.append(
        _frame(
            "epci", *_unions(communes["code_epci"].to_numpy()[with_epci], geoms[with_epci]), None
        )
    )
    dep_codes, dep_geoms = _unions(communes["code_departement"].to_numpy(), geoms)
    frames.append(_frame("departement", dep_codes, dep_geoms, None))
    region_of = dict(communes.select("code_departement", "code_region").unique().iter_rows())
    frames.append(
        _frame("region", *_unions(np.array([region_of[d] for d in dep_codes]), dep_geoms), None)
    )
    table = pl.concat(frames)
    con.register("geometries_a_publier", table)
    try:
        con.execute(
            "create or replace table marts.geometries as select * from geometries_a_publier"
        )
    finally:
        con.unregister("geometries_a_publier")
    return table.height
