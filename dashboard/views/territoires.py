"""Page « Territoires » : the EPCI of a région on a map, by population or density."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import streamlit as st

from dashboard import data, urlstate
from dashboard.formats import PLOTLY_SEPARATORS, SEQUENTIAL, nombre
from dashboard.sources import demo_banner, footer

INDICATEURS = {
    "population": ("Population municipale", "habitants", 0),
    "densite": ("Densité de population", "hab./km²", 1),
}
MAP_HEIGHT = 560


def _zoom(bounds: tuple[float, float, float, float], width: int = 900) -> tuple[dict, float]:
    """Centre and zoom that fit ``bounds`` in a map of ``width`` × MAP_HEIGHT pixels."""
    lon_min, lat_min, lon_max, lat_max = bounds
    centre = {"lon": (lon_min + lon_max) / 2, "lat": (lat_min + lat_max) / 2}
    stretch = 1 / math.cos(math.radians(centre["lat"]))  # Web Mercator stretches latitudes
    zoom_lon = math.log2(360 * width / (512 * max(lon_max - lon_min, 1e-3)))
    zoom_lat = math.log2(360 * MAP_HEIGHT / (512 * max(lat_max - lat_min, 1e-3) * stretch))
    return centre, max(min(zoom_lon, zoom_lat) - 0.3, 1)


st.title("Territoires")
st.markdown(
    "Les EPCI (intercommunalités à fiscalité propre) d'une région, d'après le Code officiel "
    "géographique de l'INSEE. Les EPCI à cheval sur plusieurs régions apparaissent dans chacune, "
    "avec leurs chiffres complets."
)

try:
    regions = data.regions()
except data.NotPublished:
    st.error("Aucune donnée publiée pour l'instant : lancez « observatoire refresh ».")
    st.stop()

demo_banner(["territoires"])
noms = dict(zip(regions["code_region"], regions["nom"], strict=True))
default_region = "84" if "84" in noms else next(iter(noms))
left, right = st.columns([2, 1])
with left:
    code_region = st.selectbox(
        "Région",
        list(noms),
        index=urlstate.index("region", list(noms), default_region),
        format_func=noms.get,
    )
with right:
    indicateur = st.radio(
        "Indicateur",
        list(INDICATEURS),
        index=urlstate.index("indicateur", list(INDICATEURS), "population"),
        format_func=lambda k: INDICATEURS[k][0],
        horizontal=True,
    )
st.query_params.update(region=code_region, indicateur=indicateur)

libelle, unite, decimales = INDICATEURS[indicateur]
epci = data.epci_of_region(code_region)
geojson, bounds = data.epci_geojson(code_region)
centre, zoom = _zoom(bounds)

figure = go.Figure(
    go.Choroplethmap(
        geojson=geojson,
        locations=epci["code_epci"],
        z=epci[indicateur],
        featureidkey="id",
        colorscale=SEQUENTIAL,
        marker={"line": {"width": 0.6, "color": "white"}, "opacity": 0.9},
        colorbar={"title": {"text": unite}, "tickformat": ",.0f"},
        customdata=epci[["nom", "population", "densite", "nb_communes"]],
        hovertemplate=(
            "<b>%{customdata[0]}</b><br>%{customdata[1]:,.0f} habitants<br>"
            "%{customdata[2]:,.1f} hab./km²<br>%{customdata[3]} communes<extra></extra>"
        ),
    )
)
figure.update_layout(
    map={"style": "white-bg", "center": centre, "zoom": zoom},
    height=MAP_HEIGHT,
    margin={"l": 0, "r": 0, "t": 0, "b": 0},
    separators=PLOTLY_SEPARATORS,
)
st.plotly_chart(figure, width="stretch", config={"displaylogo": False})
st.caption(
    f"{libelle} ({unite}) des {len(epci)} EPCI de la région {noms[code_region]}. "
    f"Total : {nombre(epci['population'].sum())} habitants dans ces EPCI. "
    "Les mêmes chiffres figurent dans le tableau ci-dessous."
)

table = epci.rename(
    columns={
        "code_epci": "SIREN",
        "nom": "EPCI",
        "nature": "Nature",
        "population": "Population",
        "nb_communes": "Communes",
        "superficie_km2": "Superficie (km²)",
        "densite": "Densité (hab./km²)",
        "a_cheval": "À cheval sur plusieurs régions",
    }
)
st.dataframe(
    table.style.format(
        {"Population": "{:,.0f}", "Superficie (km²)": "{:,.1f}", "Densité (hab./km²)": "{:,.1f}"},
        thousands="\u202f",
        decimal=",",
    ),
    hide_index=True,
    width="stretch",
)
st.download_button(
    "Télécharger le tableau (CSV)",
    epci.to_csv(index=False).encode("utf-8"),
    file_name=f"epci_region_{code_region}.csv",
    mime="text/csv",
)
footer(["territoires"])
