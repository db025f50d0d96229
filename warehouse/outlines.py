"""The map outlines the dashboard serves, written at publish from the new public file: one GeoJSON
FeatureCollection (feature id = the territory's code) per level the Carte page draws whole
(``region``, ``departement``, ``epci``) and one per département for its communes
(``commune-<département>``), the only files the page asks for.

Like the open data package, a publish writes a new version (``cartes-<date>-<id>``, see
``warehouse/versions.py``) in a hidden folder, then swaps the link ``cartes`` to it: the dashboard
puts the version's name in the figure's address, so that a browser never mixes the outlines of
two publications, and the version before stays for pages opened before the swap.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb

from warehouse.internal import one, scalar
from warehouse.versions import Versions

CURRENT = "cartes"
BUILDING = ".cartes-construction-"


def current(root: Path) -> Path:
    """The link to the outlines published now (``root/cartes``)."""
    return root / CURRENT


def file_name(level: str, departement: str | None = None) -> str:
    """The file of a level's outlines, or of a département's communes."""
    return f"{level}-{departement}.geojson" if departement else f"{level}.geojson"


def write(con: duckdb.DuckDBPyConnection, root: Path) -> Path | None:
    """Write the outlines of the public file open in ``con`` into a new version under ``root``
    and make it current; keep the version it replaces, remove older ones. None when the file
    has no geometries."""
    present = scalar(
        con,
        "select count(*) from duckdb_tables() "
        "where database_name = current_database() and table_name in ('geometries', 'communes')",
    )
    if present < 2:
        return None
    versions = Versions(root, CURRENT, BUILDING)
    build = versions.start()
    rows = con.execute(
        """select g.niveau, c.code_departement,
                  '{"type":"Feature","id":"' || g.code || '","properties":{},"geometry":'
                  || g.geojson || '}'
           from geometries as g
           left join communes as c on g.niveau = 'commune' and c.code_commune = g.code
           where g.geojson is not null
             and (g.niveau <> 'commune' or c.code_departement is not null)
           order by g.niveau, c.code_departement, g.code"""
    ).fetchall()
    files: dict[str, list[str]] = defaultdict(list)
    for level, departement, feature in rows:
        files[file_name(level, departement if level == "commune" else None)].append(feature)
    for name, features in files.items():
        with open(build / name, "w", encoding="utf-8") as file:
            file.write('{"type":"FeatureCollection","features":[')
            file.write(",".join(features))
            file.write("]}")
    (published,) = one(
        con, "select strftime(timezone('UTC', publie_le), '%Y-%m-%dT%H%M%SZ') from publication"
    )
    return versions.finish(build, published)
