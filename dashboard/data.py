"""The dashboard's only door to data: parameterised, read-only queries on ``public.duckdb``.

Results are cached by Streamlit under the published file's identity (inode and mtime), so a new
publish is seen on the next rerun without restarting the server. Each cache miss opens its own
short-lived read-only connection: DuckDB returns a process-wide cached instance while a connection
to a path stays open, which would keep serving a file that has since been replaced.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from warehouse.paths import Home


class NotPublished(RuntimeError):
    """No public file yet."""


def public_file() -> Path:
    return Home.from_env().public


def version() -> tuple[int, int]:
    """Identity of the file published right now."""
    try:
        stat = public_file().stat()
    except FileNotFoundError:
        raise NotPublished(str(public_file())) from None
    return stat.st_ino, stat.st_mtime_ns


@st.cache_data(show_spinner=False, max_entries=256)
def _query(sql: str, params: tuple, file_version: tuple[int, int]) -> pd.DataFrame:
    with duckdb.connect(str(public_file()), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def query(sql: str, *params: object) -> pd.DataFrame:
    """Run one parameterised query on the current public file."""
    return _query(sql, params, version())


def publication() -> dict:
    row = query("select id_execution, publie_le from publication")
    return row.iloc[0].to_dict()


def failed_sources() -> list[str]:
    """Sources that failed in the run this file publishes: they show their previous load."""
    rows = query(
        "select source from executions where statut = 'échec' "
        "and id_execution = (select id_execution from publication) order by source"
    )
    return rows["source"].tolist()


def sources() -> pd.DataFrame:
    return query(
        "select source, editeur, jeu_de_donnees, licence, millesime, min(charge_le) as charge_le, "
        "bool_or(demo) as demo from sources group by all order by source"
    )


def regions() -> pd.DataFrame:
    return query("select code_region, nom from regions order by nom")


def epci_of_region(code_region: str) -> pd.DataFrame:
    """EPCI with communes in the région; population and area are those of the whole EPCI."""
    return query(
        """select e.code_epci, e.nom, e.nature, e.population, e.nb_communes,
                  g.superficie_km2,
                  e.population / nullif(g.superficie_km2, 0) as densite,
                  t.population < e.population as a_cheval
           from epci as e
           join (select code_epci, sum(population) as population
                 from epci_territoires where code_region = ? group by code_epci) as t
             using (code_epci)
           join geometries as g on g.niveau = 'epci' and g.code = e.code_epci
           order by e.nom""",
        code_region,
    )


def epci_geojson(code_region: str) -> tuple[dict, tuple[float, float, float, float]]:
    """FeatureCollection of the région's EPCI (feature id = SIREN) and its bounding box."""
    return _epci_geojson(code_region, version())


@st.cache_data(show_spinner=False, max_entries=64)
def _epci_geojson(code_region: str, file_version: tuple[int, int]):
    shapes = query(
        """select g.code, g.geojson, g.lon_min, g.lat_min, g.lon_max, g.lat_max
           from geometries as g
           where g.niveau = 'epci'
             and g.code in (select code_epci from epci_territoires where code_region = ?)""",
        code_region,
    )
    features = [
        {"type": "Feature", "id": code, "properties": {}, "geometry": json.loads(shape)}
        for code, shape in zip(shapes["code"], shapes["geojson"], strict=True)
    ]
    bounds = (
        float(shapes["lon_min"].min()),
        float(shapes["lat_min"].min()),
        float(shapes["lon_max"].max()),
        float(shapes["lat_max"].max()),
    )
    return {"type": "FeatureCollection", "features": features}, bounds
