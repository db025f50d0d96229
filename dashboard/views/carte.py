"""Page « Carte » : one indicator for every région, département, EPCI or commune, in one year."""

from __future__ import annotations

import streamlit as st

from dashboard import urlstate
from dashboard.charts.carte import INDICATORS, choropleth
from dashboard.components import PLOTLY_CONFIG, citation, csv_button, share, table_on_demand
from dashboard.db import NotPublished
from dashboard.formats import number, percent, text
from dashboard.queries.common import LEVELS, departements
from dashboard.queries.map import energy_years
from dashboard.sources import demo_banner, footer

TERRITORY_PAGE = "views/territoire.py"


def _phone() -> bool:
    """Whether the reader's browser is a phone's (it says « Mobi »: MDN's advice for telling
    one): the map is then framed for it. Plotly's maps fit no bounds by themselves: fitted to a
    desktop's width, a phone's map lost Brittany, Alsace and Corsica."""
    agent = st.context.headers.get("User-Agent") or ""
    return "Mobi" in agent


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
try:
    figure, summary, values, sources = choropleth(level, key, year, departement, _phone())
except NotPublished:
    st.error(
        "Les contours des cartes n'ont pas encore été écrits : ils le seront au prochain "
        "« observatoire refresh »."
    )
    st.stop()
demo_banner(list(sources))
event = st.plotly_chart(
    figure,
    width="stretch",
    config=PLOTLY_CONFIG,
    on_select="rerun",
    selection_mode="points",
    key="carte",
)
points = event.selection.points if event and event.selection else []
if points and points[0].get("location") in set(values["code"]):
    _open(level, points[0]["location"])

caption = f"{summary} Source : {citation(sources)}."
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
footer(list(sources))
