"""Page « Carte » : one indicator for every région, département, EPCI or commune, in one year."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import data, urlstate
from dashboard.components import PLOTLY_CONFIG, citation, csv_button, share, table_on_demand
from dashboard.formats import PLOTLY_SEPARATORS, SEQUENTIAL, nombre, pourcent, texte
from dashboard.sources import demo_banner, footer

TERRITOIRE = "views/territoire.py"
MAP_HEIGHT = 620
# Metropolitan France: overseas territories are in the table, not on a map of Europe.
METROPOLE = (-5.2, 41.3, 9.6, 51.1)
PAR = {
    "region": "par région",
    "departement": "par département",
    "epci": "par EPCI",
    "commune": "par commune",
}


@dataclass(frozen=True)
class Indicateur:
    libelle: str
    unite: str
    format: str  # Plotly's d3 format for the colour bar and hover
    ecrire: object  # French writing of one value
    sources: tuple[str, ...]


INDICATEURS = {
    "taux_couverture": Indicateur(
        "Couverture renouvelable (production / consommation)",
        "%",
        ".0%",
        pourcent,
        ("production", "consommation", "territoires"),
    ),
    "production_enr": Indicateur(
        "Production d'électricité renouvelable",
        "MWh",
        ",.0f",
        nombre,
        ("production", "territoires"),
    ),
    "conso_hab": Indicateur(
        "Consommation d'électricité et de gaz par habitant",
        "MWh/hab.",
        ",.1f",
        lambda v: nombre(v, 1),
        ("consommation", "territoires"),
    ),
    "contrat": Indicateur(
        "Part de la population sous contrat (CTE ou CRTE) à la fin de l'année",
        "%",
        ".0%",
        pourcent,
        ("contrats", "territoires"),
    ),
    "adhesion": Indicateur(
        "Part de la population dans un territoire adhérent du réseau",
        "%",
        ".0%",
        pourcent,
        ("membres", "territoires"),
    ),
}


def _zoom(bounds: tuple[float, float, float, float], width: int = 1100) -> tuple[dict, float]:
    """Centre and zoom that fit ``bounds`` in a map of ``width`` × MAP_HEIGHT pixels."""
    lon_min, lat_min, lon_max, lat_max = bounds
    centre = {"lon": (lon_min + lon_max) / 2, "lat": (lat_min + lat_max) / 2}
    stretch = 1 / math.cos(math.radians(centre["lat"]))  # Web Mercator stretches latitudes
    zoom_lon = math.log2(360 * width / (512 * max(lon_max - lon_min, 1e-3)))
    zoom_lat = math.log2(360 * MAP_HEIGHT / (512 * max(lat_max - lat_min, 1e-3) * stretch))
    return centre, max(min(zoom_lon, zoom_lat) - 0.3, 1)


def _summary(values: pd.DataFrame, indicateur: Indicateur, niveau: str, annee: int) -> str:
    known = values.dropna(subset=["valeur"])
    where = PAR[niveau]
    if known.empty:
        return f"Aucune valeur en {annee} {where}."
    low, high = known.loc[known["valeur"].idxmin()], known.loc[known["valeur"].idxmax()]
    text = (
        f"{indicateur.libelle}, {annee}, {where} ({nombre(len(known))} territoires) : "
        f"médiane {indicateur.ecrire(known['valeur'].median())}, de "
        f"{indicateur.ecrire(low['valeur'])} ({low['nom']}) à "
        f"{indicateur.ecrire(high['valeur'])} ({high['nom']})."
    )
    missing = len(values) - len(known)
    return text + (f" {missing} territoire(s) sans donnée." if missing else "")


def _figure(values: pd.DataFrame, contours: str, bounds, indicateur: Indicateur) -> go.Figure:
    centre, zoom = _zoom(bounds)
    ratio = indicateur.unite == "%"
    hover = (
        "<b>%{customdata[0]}</b><br>%{z:"
        + indicateur.format
        + "}"
        + ("" if ratio else f" {indicateur.unite}")
        + "<br>%{customdata[1]:,.0f} habitants<extra></extra>"
    )
    figure = go.Figure(
        go.Choroplethmap(
            geojson=contours,
            locations=values["code"],
            z=values["valeur"],
            featureidkey="id",
            colorscale=SEQUENTIAL,
            zmin=0 if ratio else None,
            zmax=min(1.0, float(values["valeur"].quantile(0.95))) if ratio else None,
            marker={"line": {"width": 0.4, "color": "white"}, "opacity": 0.9},
            colorbar={"title": {"text": indicateur.unite}, "tickformat": indicateur.format},
            customdata=values[["nom", "population"]],
            hovertemplate=hover,
        )
    )
    figure.update_layout(
        map={"style": "white-bg", "center": centre, "zoom": zoom},
        height=MAP_HEIGHT,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        separators=PLOTLY_SEPARATORS,
    )
    return figure


def _open(niveau: str, code: str) -> None:
    st.switch_page(TERRITOIRE, query_params={"niveau": niveau, "code": code})


st.title("Carte")
st.markdown(
    "Un indicateur pour chaque territoire, une année. Cliquez sur un territoire, ou choisissez-le "
    "sous la carte, pour ouvrir sa page."
)
try:
    annees = data.annees_energie()
    departements = data.departements()
except data.NotPublished:
    st.error("Aucune donnée publiée pour l'instant : lancez « observatoire refresh ».")
    st.stop()

noms_dep = dict(zip(departements["code_departement"], departements["nom"], strict=True))
cols = st.columns([1, 2, 2])
with cols[0]:
    niveau = st.selectbox(
        "Échelle",
        list(data.NIVEAUX),
        index=urlstate.index("niveau", list(data.NIVEAUX), "epci"),
        format_func=data.NIVEAUX.get,
    )
with cols[1]:
    cle = st.selectbox(
        "Indicateur",
        list(INDICATEURS),
        index=urlstate.index("indicateur", list(INDICATEURS), "taux_couverture"),
        format_func=lambda k: INDICATEURS[k].libelle,
    )
with cols[2]:
    textes = [str(a) for a in annees]
    annee = int(
        st.select_slider("Année", textes, value=urlstate.choice("annee", textes, textes[-1]))
    )
departement = None
if niveau == "commune":
    departement = st.selectbox(
        "Département (les communes s'affichent un département à la fois)",
        list(noms_dep),
        index=urlstate.index("departement", list(noms_dep), "69"),
        format_func=lambda c: f"{c} — {noms_dep[c]}",
    )
st.query_params.from_dict(
    {"niveau": niveau, "indicateur": cle, "annee": str(annee)}
    | ({"departement": departement} if departement else {})
)
share(f"Carte : {INDICATEURS[cle].libelle}, {annee}")

indicateur = INDICATEURS[cle]
demo_banner(list(indicateur.sources))
values = data.carte(niveau, cle, annee, departement)
contours, bounds = data.contours(niveau, departement)
summary = _summary(values, indicateur, niveau, annee)
event = st.plotly_chart(
    _figure(values, contours, bounds if departement else METROPOLE, indicateur),
    width="stretch",
    config=PLOTLY_CONFIG,
    on_select="rerun",
    selection_mode="points",
    key="carte",
)
points = event.selection.points if event and event.selection else []
if points and points[0].get("location") in set(values["code"]):
    _open(niveau, points[0]["location"])

caption = f"{summary} Source : {citation(list(indicateur.sources))}."
if niveau != "commune":
    caption += " Outre-mer : dans le tableau ci-dessous."
st.caption(caption)

choix = st.selectbox(
    "Ouvrir la page d'un territoire",
    values["code"].tolist(),
    index=None,
    placeholder="Nom du territoire…",
    format_func=dict(zip(values["code"], values["nom"], strict=True)).get,
)
if choix:
    _open(niveau, choix)

table_on_demand(
    "Les chiffres de la carte",
    "chiffres-carte",
    values,
    {
        "nom": ("Territoire", texte),
        "code": ("Code", texte),
        "valeur": (f"{indicateur.libelle} ({indicateur.unite})", indicateur.ecrire),
        "population": ("Population", nombre),
        "part_donnees": ("Part de la population avec données", pourcent),
    },
)
csv_button(values, f"carte_{cle}_{niveau}_{annee}.csv", "Télécharger les données de la carte (CSV)")
footer(list(indicateur.sources))
