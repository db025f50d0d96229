"""Page « Territoire » : one territory's energy over time, its trajectory, its peers, its
contracts, its climate démarches (ADEME) and the network's members in it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import urlstate
from dashboard.charts import territoire as charts
from dashboard.charts.territoire import Table, energy_sources
from dashboard.components import (
    OPENED,
    chart,
    share,
    show_table,
    status_badge,
)
from dashboard.db import NotPublished
from dashboard.formats import (
    md,
    number,
    plural,
)
from dashboard.queries.common import LEVELS
from dashboard.queries.territory import known, profile, territories
from dashboard.sources import demo_banner, footer, population_vintage

DEFAULT = "region"
# The territory shown at each level when the URL names none (or an unknown one): Lyon's, whose
# every chart is drawn (the most populated, Paris, has no territory of comparable size).
DEFAULTS = {"region": "84", "departement": "69", "epci": "200046977", "commune": "69123"}
# Level → how a territory's kind is written after its name in the list to choose from.
# Level → the name of its territories in the plural.
PLURALS = {"departement": "Départements", "epci": "EPCI"}
KINDS = {"region": "région", "departement": "département", "epci": "EPCI", "commune": "commune"}


def _choose() -> tuple[str, str]:
    """The territory named in the URL (unknown values are said), or the one chosen in a list of
    every territory of France, searched by any part of its name. The list (36 000 names, 1 MB)
    is read, and sent to the browser, once its popover is opened: sent with the page, it delayed
    the first chart by 1.4 s; read at each cold load, it was a third of the page's query time."""
    level = urlstate.choice("niveau", list(LEVELS), DEFAULT)
    wanted = st.query_params.get("code", "")
    valid = [wanted] if wanted and known(level, wanted) else []
    code = urlstate.choice("code", valid, DEFAULTS[level])
    popover = st.popover(
        "Choisir un autre territoire",
        icon=":material/search:",
        key=f"{OPENED}territoire",
        on_change="rerun",
    )
    with popover:
        if not popover.open:
            return level, code
        choices = territories()
        keys = (choices["niveau"] + ":" + choices["code"]).tolist()
        # « Saint-Denis (commune, 93) »: the kind and the département tell homonyms apart
        where = (", " + choices["departement"]).where(choices["niveau"] != "region", "")
        labels = choices["nom"] + " (" + choices["niveau"].map(KINDS) + where.fillna("") + ")"
        chosen = st.selectbox(
            "Territoire : région, département, EPCI ou commune",
            keys,
            index=keys.index(f"{level}:{code}"),
            format_func=dict(zip(keys, labels, strict=True)).__getitem__,
            filter_mode="contains",
            placeholder="Tapez un nom : Grenoble, Bretagne, Métropole de Lyon…",
            # its identity: without a key, it is its index too, which each choice moves, and the
            # next choice went to a widget the page no longer drew (a second choice was lost)
            key="territoire",
        )
    level, _, code = chosen.partition(":")
    return level, code


def _demarches(demarches: pd.DataFrame, shown: Table | None) -> None:
    """The territory's climate démarches as ADEME lists them, as plain text (names are the
    collectivités' own writing: never read as markdown or HTML)."""
    st.markdown("### Démarches climat-air-énergie (ADEME)")
    if demarches.empty:
        st.info("Aucune démarche déclarée à l'ADEME (Territoires & Climat) sur ce territoire.")
        return
    pcaet = demarches[demarches["types"].str.contains("PCAET", regex=False)]
    labels = [
        "Cit'ergie (devenu Territoire engagé transition écologique)",
        "TEPOS",
        "CTE",
        "Ancien PCET",
    ]
    kinds = ["Cit'ergie", "TEPOS", "CTE", "Ancien PCET"]
    found = [
        label
        for label, kind in zip(labels, kinds, strict=True)
        if demarches["types"].str.contains(kind, regex=False).any()
    ]
    summary = (
        "PCAET : " + ", ".join(sorted({e for e in pcaet["etat"].dropna()}) or ["état non précisé"])
        if len(pcaet)
        else "Aucun PCAET déclaré"
    )
    st.text(summary + (" · Autres démarches : " + ", ".join(found) if found else ""))
    # st.table reads its cells as Markdown: a grid shows them as they are
    assert shown is not None
    show_table(shown)
    st.caption(
        "Démarches déclarées par les collectivités sur la plateforme Territoires & Climat de "
        "l'ADEME (exports de septembre 2020 et février 2021) : données réelles, état à la date "
        "de la fiche. Une démarche portée par un syndicat (SCoT, PETR) n'est pas rattachée."
    )


st.title("Territoire")
try:
    level, code = _choose()
except NotPublished:
    st.error("Aucune donnée publiée pour l'instant : lancez « observatoire refresh ».")
    st.stop()
st.query_params.from_dict({"niveau": level, "code": code})
facts = profile(level, code)
info = facts.territory
assert info is not None, f"{level} {code} is listed among the territories but has no row"
share(f"{info['nom']} : énergie, contrats et adhérents")
name = md(info["nom"])  # a name from the sources, written into Markdown
demo_banner(energy_sources(facts))

st.header(name)
# the larger territories it is in, on its line; the smaller ones it holds part of (170 EPCI for
# a région), folded after the charts
order = list(LEVELS)
larger = [p for p in info["parents"] if order.index(p["niveau"]) < order.index(level)]
smaller = [p for p in info["parents"] if order.index(p["niveau"]) > order.index(level)]
st.markdown(
    f"{LEVELS[level]} · {number(info['population'])} habitants ({population_vintage()}) · "
    f"{plural(info['nb_communes'], 'commune')}"
    + "".join(f" · {LEVELS[p['niveau']]} : {md(p['nom'])}" for p in larger)
)
left, right = st.columns(2)
with left:
    chart(charts.consumption(level, code, name))
with right:
    chart(charts.production(level, code, name))
coverage, status, year = charts.coverage(level, code, name)
st.markdown(f"**Par rapport à la trajectoire TEPOS en {year or '–'}** :")
status_badge(status)
chart(coverage)
if year is not None:
    peers = charts.peers(level, code, name)
    if peers is None:
        st.info("Pas de territoire comparable (même échelle, population de la moitié au double).")
    else:
        chart(peers)

tables = charts.tables(level, code)
left, right = st.columns(2)
with left:
    st.markdown("### Contrats de transition écologique")
    if tables.contracts is None:
        st.info("Aucun contrat connu sur ce territoire.")
    else:
        show_table(tables.contracts)
with right:
    st.markdown("### Adhérents du réseau présents")
    if tables.members is None:
        st.info("Aucun adhérent actif sur ce territoire.")
    else:
        show_table(tables.members)
_demarches(facts.demarches, tables.demarches)
for parent_level in order[order.index(level) + 1 :]:
    names = [p["nom"] for p in smaller if p["niveau"] == parent_level]
    if names:
        with st.expander(f"{PLURALS[parent_level]} ayant des communes ici ({number(len(names))})"):
            st.text("\n".join(names))  # names from the sources: shown as text
footer(energy_sources(facts))
