"""Page « Réseau » : who the members are, where, since when; the objectives over the years."""

from __future__ import annotations

import streamlit as st

from dashboard import db, urlstate
from dashboard.charts import reseau as charts
from dashboard.charts.reseau import OBJECTIVE_SOURCES
from dashboard.components import chart, listing, share
from dashboard.db import NotPublished
from dashboard.formats import day, in_region, md, number, text, yes_no
from dashboard.queries.common import regions
from dashboard.queries.network import member_types, network
from dashboard.sources import demo_banner, footer

ALL_KINDS = "tous"
ALL_REGIONS = "toutes"


st.title("Le réseau")
st.markdown(
    "Les adhérents du CLER : collectivités, associations (agences locales de l'énergie, espaces "
    "conseil France Rénov'…), entreprises et autres organismes, d'après le registre des "
    "adhérents. Les filtres s'appliquent aux adhérents ; l'adresse de la page les garde."
)
try:
    kinds = member_types()
    region_list = regions()
except NotPublished:
    st.error("Aucune donnée publiée pour l'instant : lancez « observatoire refresh ».")
    st.stop()
demo_banner(OBJECTIVE_SOURCES)

names = dict(zip(region_list["code_region"], region_list["nom"], strict=True))
type_options = [ALL_KINDS, *kinds]
region_options = [ALL_REGIONS, *names]
left, right = st.columns(2)
with left:
    kind = st.selectbox(
        "Type d'adhérent",
        type_options,
        index=urlstate.index("type", type_options, ALL_KINDS),
        key="reseau-type",
        format_func=lambda t: "Tous les types" if t == ALL_KINDS else t,
    )
with right:
    region = st.selectbox(
        "Région du siège",
        region_options,
        index=urlstate.index("region", region_options, ALL_REGIONS),
        key="reseau-region",
        format_func=lambda r: "Toutes les régions" if r == ALL_REGIONS else names[r],
    )
st.query_params.update(type=kind, region=region)
share("Le réseau CLER : adhérents et objectifs")
kind_filter = None if kind == ALL_KINDS else kind
region_filter = None if region == ALL_REGIONS else region
parts = [f"de type « {md(kind)} »"] if kind_filter else []
parts += [in_region(md(names[region]))] if region_filter else []
scope = " ".join(parts) or "de tout le réseau"
period = f"situation au {day(db.provenance().published_at)}"

view = network(kind_filter, region_filter)
members = view.members
st.header(f"Les adhérents {scope}")
if members.empty:
    st.info(f"Aucun adhérent actif {scope}.")
else:
    counts = st.columns(3)
    counts[0].metric("Adhérents actifs", number(len(members)), border=True)
    counts[1].metric("Membres du réseau TEPOS", number(members["reseau_tepos"].sum()), border=True)
    counts[2].metric(
        "Territoires listés (EPCI ou communes)", number(members["territoires"].sum()), border=True
    )
    left, right = st.columns(2)
    with left:
        chart(charts.by_kind(kind_filter, region_filter, scope, period))
    with right:
        chart(charts.by_place(kind_filter, region_filter, scope, period))
    chart(charts.over_time(kind_filter, region_filter, scope, period))

    listing(
        "Liste des adhérents actifs",
        members,
        {
            "nom": ("Adhérent", text),
            "type": ("Type", text),
            "sous_type": ("Sous-type", text),
            "region": ("Région", text),
            "departement": ("Département", text),
            "date_adhesion": ("Adhésion", day),
            "reseau_tepos": ("Réseau TEPOS", yes_no),
            "territoires": ("Territoires listés", number),
        },
        "adherents.csv",
    )

st.header("Les objectifs à travers le réseau")
st.markdown(
    "Les objectifs sont mesurés sur l'ensemble des collectivités adhérentes (ou de tous les EPCI "
    "pour les contrats) : les filtres ci-dessus ne s'y appliquent pas, seules les parts "
    "nationales sont publiées. La page d'accueil dit où chacun en est de sa trajectoire."
)
chart(charts.objectives())
footer(OBJECTIVE_SOURCES)
