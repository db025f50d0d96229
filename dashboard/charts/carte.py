"""Carte: one indicator for every territory of a level, in one year."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.components import FrozenFigure
from dashboard.db import per_publication
from dashboard.formats import PLOTLY_SEPARATORS, SEQUENTIAL, md, number, percent, plotly_text
from dashboard.queries.map import map_values, outlines
from dashboard.sources import population_vintage

# Width and height of the map: on a desktop (the page's wide layout) and on a phone (390 pixels
# less the page's margins, with room to spare).
DESKTOP_MAP, PHONE_MAP = (1100, 620), (320, 420)
# The colour scale stops at this quantile of the values, so that a few far larger ones do not
# fade all others; the caption says so, and gives the largest.
TOP = 0.95
# Metropolitan France: overseas territories are in the table, not on a map of Europe.
METROPOLITAN = (-5.2, 41.3, 9.6, 51.1)
# The publishers' région series that replace the commune files for the régions' energy (the
# marts' ``origine``): the real data the map then shows, to cite instead of the demo.
SERIES = {"consommation": "consommation_regions", "production": "production_regions"}
BY_LEVEL = {
    "region": "par région",
    "departement": "par département",
    "epci": "par EPCI",
    "commune": "par commune",
}


@dataclass(frozen=True)
class Indicator:
    label: str
    unit: str
    format: str  # Plotly's d3 format for the colour bar and hover
    write: Callable[[Any], str]  # French writing of one value
    sources: tuple[str, ...]


INDICATORS = {
    "taux_couverture": Indicator(
        "Couverture renouvelable (production / consommation)",
        "%",
        ".0%",
        percent,
        ("production", "consommation", "territoires"),
    ),
    "production_enr": Indicator(
        "Production d'électricité renouvelable",
        "MWh",
        ",.0f",
        number,
        ("production", "territoires"),
    ),
    "conso_hab": Indicator(
        "Consommation d'électricité et de gaz par habitant",
        "MWh/hab.",
        ",.1f",
        lambda v: number(v, 1),
        ("consommation", "territoires"),
    ),
    "contrat": Indicator(
        "Part de la population sous contrat (CTE ou CRTE) à la fin de l'année",
        "%",
        ".0%",
        percent,
        ("contrats", "territoires"),
    ),
    "adhesion": Indicator(
        "Part de la population dans un territoire adhérent du réseau",
        "%",
        ".0%",
        percent,
        ("membres", "territoires"),
    ),
}


def _zoom(bounds: tuple[float, ...], frame: tuple[int, int]) -> tuple[dict, float]:
    """Centre and zoom that fit ``bounds`` in a map of ``frame`` (width, height) pixels."""
    width, height = frame
    lon_min, lat_min, lon_max, lat_max = bounds
    centre = {"lon": (lon_min + lon_max) / 2, "lat": (lat_min + lat_max) / 2}
    stretch = 1 / math.cos(math.radians(centre["lat"]))  # Web Mercator stretches latitudes
    zoom_lon = math.log2(360 * width / (512 * max(lon_max - lon_min, 1e-3)))
    zoom_lat = math.log2(360 * height / (512 * max(lat_max - lat_min, 1e-3) * stretch))
    return centre, max(min(zoom_lon, zoom_lat) - 0.3, 1)


def _top(values: pd.DataFrame) -> float | None:
    """Where the colour scale stops: the :data:`TOP` quantile of the values."""
    known = values["valeur"].dropna()
    return float(known.quantile(TOP)) if len(known) else None


def _summary(values: pd.DataFrame, indicator: Indicator, level: str, year: int) -> str:
    known = values.dropna(subset=["valeur"])
    where = BY_LEVEL[level]
    if known.empty:
        return f"Aucune valeur en {year} {where}."
    low, high = known.loc[known["valeur"].idxmin()], known.loc[known["valeur"].idxmax()]
    text = (
        f"{indicator.label}, {year}, {where} ({number(len(known))} territoires) : "
        f"médiane {indicator.write(known['valeur'].median())}, de "
        f"{indicator.write(low['valeur'])} ({md(low['nom'])}) à "
        f"{indicator.write(high['valeur'])} ({md(high['nom'])})."
    )
    missing = len(values) - len(known)
    top = _top(values)
    if top is not None and high["valeur"] > top:
        text += (
            f" Couleurs de la plus sombre à la plus claire jusqu'à {indicator.write(top)} "
            f"({round(100 * TOP)} % des territoires en dessous) ; au-delà, jusqu'à "
            f"{indicator.write(high['valeur'])}, la plus claire."
        )
    return text + (f" {missing} territoire(s) sans donnée." if missing else "")


@per_publication
def choropleth(
    level: str, key: str, year: int, departement: str | None, phone: bool
) -> tuple[go.Figure, str, pd.DataFrame, tuple[str, ...]]:
    """The map of one indicator at one level in one year (the communes of one département),
    framed for a phone or a desktop; what it says in words; its values; its sources (the
    régions' energy comes from the publishers' région series when they are loaded)."""
    indicator = INDICATORS[key]
    values = map_values(level, key, year, departement)
    geojson, bounds = outlines(level, departement)
    if not departement:
        bounds = METROPOLITAN
    frame = PHONE_MAP if phone else DESKTOP_MAP
    centre, zoom = _zoom(bounds, frame)
    ratio = indicator.unit == "%"
    hover = (
        "<b>%{customdata[0]}</b><br>%{z:"
        + indicator.format
        + "}"
        + ("" if ratio else f" {indicator.unit}")
        + "<br>%{customdata[1]:,.0f} habitants ("
        + population_vintage()
        + ")<extra></extra>"
    )
    figure = go.Figure(
        go.Choroplethmap(
            geojson=geojson,
            locations=values["code"],
            z=values["valeur"],
            featureidkey="id",
            colorscale=SEQUENTIAL,
            zmin=0 if ratio else None,
            zmax=_top(values),
            marker={"line": {"width": 0.4, "color": "white"}, "opacity": 0.9},
            # on a phone, under the map: beside it, it covered Corsica
            colorbar={"title": {"text": indicator.unit}, "tickformat": indicator.format}
            if not phone
            else {
                "title": {"text": indicator.unit, "side": "top"},
                "tickformat": indicator.format,
                "orientation": "h",
                "y": 0,
                "yanchor": "top",
                "thickness": 14,
            },
            customdata=values[["nom", "population"]].assign(nom=values["nom"].map(plotly_text)),
            hovertemplate=hover,
        )
    )
    figure.update_layout(
        map={"style": "white-bg", "center": centre, "zoom": zoom},
        height=frame[1] + (70 if phone else 0),
        margin={"l": 0, "r": 0, "t": 0, "b": 70 if phone else 0},
        separators=PLOTLY_SEPARATORS,
    )
    summary = _summary(values, indicator, level, year)
    return FrozenFigure(figure), summary, values, _sources(values, indicator)


def _sources(values: pd.DataFrame, indicator: Indicator) -> tuple[str, ...]:
    """The indicator's sources, with the région series for the energy they gave."""
    if not values["origine"].eq("séries régionales").any():
        return indicator.sources
    return tuple(SERIES.get(source, source) for source in indicator.sources)
