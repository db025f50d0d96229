"""Web geometries of every level: communes as shipped, the levels above as unions of communes.

Plotly fills the outside of a ring drawn counter-clockwise, so every exterior is made clockwise
after simplification; an invalid simplified shape is repaired before it is oriented.
"""

from __future__ import annotations

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
    # Coordinates rounded one by one, then the few shapes this breaks made valid: 7 times faster
    # than GEOS's rounding that keeps shapes valid (1.73 s for the communes of France).
    simple = shapely.set_precision(
        shapely.simplify(geoms, tolerance, preserve_topology=True), GRID, mode="pointwise"
    )
    broken = ~shapely.is_valid(simple)
    simple[broken] = shapely.make_valid(simple[broken], method="structure", keep_collapsed=False)
    return shapely.orient_polygons(simple, exterior_cw=True)


def dissolve(geoms: np.ndarray) -> shapely.Geometry:
    """The union of polygons that tile a territory. Communes mostly meet edge to edge, for which
    GEOS's coverage union is twice as fast as its general union, with the same result. Where
    neighbours overlap, the coverage union comes out invalid, and repairing it gives the union
    ten times faster than the general one (82 of France's 1,372 unions; 3·10⁻⁷ of the area
    apart at most). The repair is kept only when it covers a point of every part, within their
    total area; else, or when GEOS detects an overlap, the general union is made."""
    try:
        union = shapely.coverage_union_all(geoms)
    except shapely.errors.GEOSException:
        return shapely.union_all(geoms)
    parts = shapely.area(geoms).sum()
    if shapely.is_valid(union):
        if abs(shapely.area(union) - parts) <= 1e-9 * parts:
            return union
        return shapely.union_all(geoms)
    repaired = shapely.make_valid(union, method="structure", keep_collapsed=False)
    shapely.prepare(repaired)
    inside = shapely.contains(repaired, shapely.point_on_surface(geoms)).all()
    if inside and shapely.area(repaired) <= parts * (1 + 1e-9):
        return repaired
    return shapely.union_all(geoms)


def _unions(codes: np.ndarray, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(codes, kind="stable")
    keys, starts = np.unique(codes[order], return_index=True)
    groups = np.split(order, starts[1:])
    return keys, np.array([dissolve(geoms[g]) for g in groups], dtype=object)


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


def regions(con: duckdb.DuckDBPyConnection) -> list[pl.DataFrame]:
    """The communes each région's geometries are made of, one frame per région.

    A frame holds the région's communes (``dans_region``) and, for each EPCI it owns (an EPCI
    straddling régions belongs to the smallest région code), that EPCI's communes elsewhere.
    """
    communes = con.sql(
        """select c.code_commune, c.code_epci, c.code_departement, c.code_region, s.geometry
           from marts.communes as c
           join staging.territoires_communes as s on s.code = c.code_commune and s.type = 'COM'
           where s.geometry is not null
           order by c.code_commune"""
    ).pl()
    owner = communes.group_by("code_epci").agg(pl.col("code_region").min().alias("region_epci"))
    communes = communes.join(owner, on="code_epci", how="left", maintain_order="left")
    return [
        communes.filter(
            (pl.col("code_region") == region) | (pl.col("region_epci") == region)
        ).with_columns((pl.col("code_region") == region).alias("dans_region"))
        for region in communes["code_region"].unique().sort()
    ]


def region_frame(part: pl.DataFrame) -> pl.DataFrame:
    """Rows of ``marts.geometries`` for one région: its communes, départements, the EPCI it owns
    and itself. Pure computation on the frame :func:`regions` gives, so it can run anywhere."""
    inside = part["dans_region"].to_numpy()
    region = part.filter(pl.col("dans_region"))["code_region"][0]
    geoms = shapely.from_wkb(part["geometry"].to_numpy())
    epci = (part["region_epci"] == region).fill_null(False).to_numpy()
    dep_codes, dep_geoms = _unions(part["code_departement"].to_numpy()[inside], geoms[inside])
    merged = np.array([dissolve(dep_geoms)], dtype=object)
    frames = [
        _frame("commune", part["code_commune"].to_numpy()[inside], geoms[inside], geoms[inside]),
        _frame("departement", dep_codes, dep_geoms, None),
        _frame("region", np.array([region]), merged, None),
    ]
    if epci.any():
        frames.append(
            _frame("epci", *_unions(part["code_epci"].to_numpy()[epci], geoms[epci]), None)
        )
    return pl.concat(frames)


def write(con: duckdb.DuckDBPyConnection, frames: list[pl.DataFrame]) -> int:
    """Write ``marts.geometries`` from the frames of every région: one row per territory."""
    table = pl.concat(frames).sort("niveau", "code")
    con.register("geometries_a_publier", table)
    try:
        con.execute(
            "create or replace table marts.geometries as select * from geometries_a_publier"
        )
    finally:
        con.unregister("geometries_a_publier")
    return table.height
