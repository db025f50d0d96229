"""Page « Carte » : one indicator for every région, département, EPCI or commune, in one year."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import urlstate
from dashboard.components import PLOTLY_CONFIG, citation, csv_button, share, table_on_demand
from dashboard.db import NotPublished
from dashboard.formats import PLOTLY_SEPARATORS, SEQUENTIAL, md, number, percent, plotly_text, text
from dashboard.queries.common import LEVELS, departements
from dashboard.queries.map import energy_years, map_values, outlines
from dashboard.sources import demo_banner, footer, population_vintage

TERRITORY_PAGE = "views/territoire.py"
# Width and height of the map: on a desktop (the page's wide layout) and on a phone (390 pixels
# less the page's margins, with room to spare).
DESKTOP_MAP, PHONE_MAP = (1100, 620), (320, 420)
# The colour scale stops at this quantile of the values, so that a few far larger ones do not
# fade all others; the caption says so, and gives the largest.
TOP = 0.95
# Metropolitan France: overseas territories are in the table, not on a map of Europe.
METROPOLITAN = (-5.2, 41.3, 9.6, 51.1)
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


def _frame() -> tuple[int, int]:
    """Width and height of the map, in pixels: a phone's (its browser says « Mobi »: MDN's advice
    for telling one) or a desktop's. Plotly's maps fit no bounds by themselves: fitted to a
    desktop's width, a phone's map lost Brittany, Alsace and Corsica."""
    agent = st.context.headers.get("User-Agent") or ""
    return PHONE_MAP if "Mobi" in agent else DESKTOP_MAP


def _zoom(bounds: tuple[float, float, float, float], frame: tuple[int, int]) -> tuple[dict, float]:
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


def _figure(values: pd.DataFrame, geojson: str, bounds, indicator: Indicator) -> go.Figure:
    frame = _frame()
    phone = frame == PHONE_MAP
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
    return figure


def _open(level: str, code: str) -> None:
    st.switch_page(TERRITORY_PAGE, query_params={"niveau": level, "code": code})


st.title("Carte")
st.markdown(
    "Un indicateur pour chaque territoire, une année. Cliquez sur un territoire, ou choisissez-le "
    "sous la carte, pour ouvrir sa page."
)
try:
    departement_list = departements()
except NotPublished:
    st.error("Aucune donnée publiée pour l'instant : lancez « observatoire refresh ».")
    st.stop()

departement_names = dict(
    zip(departement_list["code_departement"], departement_list["nom"], strict=True)
)
cols = st.columns([1, 2, 2])
with cols[0]:
    level = st.selectbox(
        "Échelle",
        list(LEVELS),
        index=urlstate.index("niveau", list(LEVELS), "epci"),
        key="carte-niveau",
        format_func=lambda lvl: LEVELS[lvl],
    )
with cols[1]:
    key = st.selectbox(
        "Indicateur",
        list(INDICATORS),
        index=urlstate.index("indicateur", list(INDICATORS), "taux_couverture"),
        key="carte-indicateur",
        format_func=lambda k: INDICATORS[k].label,
    )
with cols[2]:
    options = [str(y) for y in energy_years(level)]
    year = int(
        st.select_slider(
            "Année",
            options,
            value=urlstate.choice("annee", options, options[-1]),
            key=f"carte-annee-{level}",  # a level has its own years (régions: the région series)
        )
    )
departement = None
if level == "commune":
    departement = st.selectbox(
        "Département (les communes s'affichent un département à la fois)",
        list(departement_names),
        index=urlstate.index("departement", list(departement_names), "69"),
        key="carte-departement",
        format_func=lambda c: f"{c} — {departement_names[c]}",
    )
st.query_params.from_dict(
    {"niveau": level, "indicateur": key, "annee": str(year)}
    | ({"departement": departement} if departement else {})
)
share(f"Carte : {INDICATORS[key].label}, {year}")

indicator = INDICATORS[key]
demo_banner(list(indicator.sources))
values = map_values(level, key, year, departement)
try:
    geojson, bounds = outlines(level, departement)
except NotPublished:
    st.error(
        "Les contours des cartes n'ont pas encore été écrits : ils le seront au prochain "
        "« observatoire refresh »."
    )
    st.stop()
summary = _summary(values, indicator, level, year)
event = st.plotly_chart(
    _figure(values, geojson, bounds if departement else METROPOLITAN, indicator),
    width="stretch",
    config=PLOTLY_CONFIG,
    on_select="rerun",
    selection_mode="points",
    key="carte",
)
points = event.selection.points if event and event.selection else []
if points and points[0].get("location") in set(values["code"]):
    _open(level, points[0]["location"])

caption = f"{summary} Source : {citation(list(indicator.sources))}."
if level != "commune":
    caption += " Outre-mer : dans le tableau ci-dessous."
st.caption(caption)

territory_names = dict(zip(values["code"], values["nom"], strict=True))
chosen = st.selectbox(
    "Ouvrir la page d'un territoire",
    values["code"].tolist(),
    index=None,
    placeholder="Nom du territoire…",
    format_func=lambda code: territory_names[code],
)
if chosen:
    _open(level, chosen)

table_on_demand(
    "Les chiffres de la carte",
    "chiffres-carte",
    values,
    {
        "nom": ("Territoire", text),
        "code": ("Code", text),
        "valeur": (f"{indicator.label} ({indicator.unit})", indicator.write),
        "population": ("Population", number),
        "part_donnees": ("Part de la population avec données", percent),
    },
)
csv_button(values, f"carte_{key}_{level}_{year}.csv", "Télécharger les données de la carte (CSV)")
footer(list(indicator.sources))
