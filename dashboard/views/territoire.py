"""Page « Territoire » : one territory's energy over time, its trajectory, its peers, its
contracts, its climate démarches (ADEME) and the network's members in it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import urlstate
from dashboard.components import (
    OPENED,
    chart,
    french,
    new_figure,
    share,
    status_badge,
    table,
    wrapped,
)
from dashboard.db import NotPublished
from dashboard.formats import (
    OKABE_ITO,
    day,
    md,
    named,
    number,
    percent,
    plural,
    text,
    yes_no,
)
from dashboard.queries.common import LEVELS
from dashboard.queries.objectives import objective
from dashboard.queries.territory import Profile, profile, territories
from dashboard.sources import demo_banner, footer, population_vintage

SOURCES = [
    "consommation",
    "production",
    "installations",
    "contrats",
    "demarches",
    "membres",
    "territoires",
]
# Where a région's energy comes from when the publishers' région series are loaded (the marts'
# `origine`): its charts cite those, not the commune files (demo by default).
SERIES = {"consommation": "consommation_regions", "production": "production_regions"}
# The objective whose trajectory (100 % renewable in 2050) the marts draw for every territory.
TEPOS = "couverture_renouvelable"
SECTORS = {
    "photovoltaique": "Photovoltaïque",
    "eolien": "Éolien",
    "hydraulique": "Hydraulique",
    "bio_energie": "Bioénergies",
    "autres_filieres": "Autres renouvelables",
    "cogeneration": "Cogénération (non renouvelable)",
}
DEFAULT = "region"
# The territory shown at each level when the URL names none (or an unknown one): Lyon's, whose
# every chart is drawn (the most populated, Paris, has no territory of comparable size).
DEFAULTS = {"region": "84", "departement": "69", "epci": "200046977", "commune": "69123"}
# Comparable territories drawn on each side of the territory, by rank.
PEERS_AROUND = 7
# Level → how a territory's kind is written after its name in the list to choose from.
# Level → the name of its territories in the plural.
PLURALS = {"departement": "Départements", "epci": "EPCI"}
KINDS = {"region": "région", "departement": "département", "epci": "EPCI", "commune": "commune"}


def _choose() -> tuple[str, str]:
    """The territory named in the URL (unknown values are said), or the one chosen in a list of
    every territory of France, searched by any part of its name. The list (36 000 names, 1 MB)
    is sent to the browser once its popover is opened: sent with the page, it delayed the first
    chart by 1.4 s."""
    choices = territories()
    level = urlstate.choice("niveau", list(LEVELS), DEFAULT)
    codes = choices.loc[choices["niveau"] == level, "code"].tolist()
    code = urlstate.choice("code", codes, DEFAULTS[level])
    popover = st.popover(
        "Choisir un autre territoire",
        icon=":material/search:",
        key=f"{OPENED}territoire",
        on_change="rerun",
    )
    with popover:
        if not popover.open:
            return level, code
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


def _origins(frame: pd.DataFrame, source: str) -> list[str]:
    """The sources a territory's energy rows come from (``origine``), or ``source`` itself."""
    found = sorted(set(frame["origine"].dropna())) if "origine" in frame else []
    return found or [source]


def _coverage_sources(series: pd.DataFrame) -> list[str]:
    """Coverage is made of the région series when the marts say so, else of the communes."""
    if "origine" in series and series["origine"].eq("séries régionales").any():
        return [SERIES["production"], SERIES["consommation"]]
    return ["production", "consommation"]


def energy_sources(facts: Profile) -> list[str]:
    """The page's sources, with the energy ones this territory's rows actually come from."""
    used = set(_origins(facts.consumption, "consommation")) | set(
        _origins(facts.production, "production")
    )
    if "production" in used:
        used.add("installations")  # capacities of the commune series: ODRÉ's registry
    return [s for s in SOURCES if s in used or s not in (*SERIES, "installations")] + sorted(
        used - set(SOURCES)
    )


def _years(frame: pd.DataFrame) -> str:
    """The years a chart's rows span: the région series do not end the same year."""
    if frame.empty:
        return "aucune année"
    return f"{int(frame['annee'].min())}-{int(frame['annee'].max())}"


def _energy(facts: Profile, level: str, code: str, name: str) -> None:
    consumption, prod = facts.consumption, facts.production
    left, right = st.columns(2)
    with left:
        figure = new_figure()
        for i, (sector, group) in enumerate(consumption.groupby("filiere")):
            figure.add_bar(
                x=group["annee"],
                y=group["conso_mwh"] / 1000,
                name=sector.capitalize(),
                marker_color=OKABE_ITO[i],
                hovertemplate="%{x} : %{y:,.1f} GWh<extra>" + sector + "</extra>",
            )
        figure.update_layout(barmode="stack", yaxis={"title": "GWh", "tickformat": ",.0f"})
        total = consumption.groupby("annee")["conso_mwh"].sum()
        chart(
            figure,
            consumption,
            title="Consommation d'électricité et de gaz",
            summary=(
                f"{name} : {number(total.iloc[-1] / 1000, 1)} GWh en {total.index[-1]}, "
                f"{number(total.iloc[0] / 1000, 1)} GWh en {total.index[0]}."
                if len(total)
                else f"{name} : aucune donnée de consommation."
            ),
            sources=_origins(consumption, "consommation"),
            period=_years(consumption),
            file_name=f"consommation_{level}_{code}.csv",
            columns={
                "annee": ("Année", text),
                "filiere": ("Énergie", text),
                "conso_mwh": ("Consommation (MWh)", number),
                "part_population_couverte": ("Part de la population avec données", percent),
            },
        )
    with right:
        figure = new_figure()
        for i, (sector, label) in enumerate(SECTORS.items()):
            group = prod[prod["filiere"] == sector]
            if len(group):
                figure.add_bar(
                    x=group["annee"],
                    y=group["energie_mwh"] / 1000,
                    name=label,
                    marker_color=OKABE_ITO[i],
                    hovertemplate="%{x} : %{y:,.1f} GWh<extra>" + label + "</extra>",
                )
        figure.update_layout(barmode="stack", yaxis={"title": "GWh", "tickformat": ",.0f"})
        total = prod.groupby("annee")["energie_mwh"].sum()
        chart(
            figure,
            prod,
            title="Production d'électricité par filière",
            summary=(
                f"{name} : {number(total.iloc[-1] / 1000, 1)} GWh produits en {total.index[-1]}."
                if len(total)
                else f"{name} : aucune donnée de production."
            ),
            sources=[*_origins(prod, "production"), "installations"]
            if "production" in _origins(prod, "production")
            else _origins(prod, "production"),
            period=_years(prod),
            file_name=f"production_{level}_{code}.csv",
            columns={
                "annee": ("Année", text),
                "filiere": ("Filière", named(SECTORS)),
                "energie_mwh": ("Production (MWh)", number),
                "puissance_kw": ("Puissance en service (kW)", number),
            },
        )


def _coverage(level: str, code: str, name: str, series: pd.DataFrame, period: str) -> None:
    """Measured coverage against the TEPOS trajectory the marts computed."""
    tepos = objective(TEPOS)
    target, target_year = float(tepos["cible"]), int(tepos["annee_cible"])
    known = series.dropna(subset=["taux_couverture"])
    year = int(known["annee"].iloc[-1]) if len(known) else None
    status = known["statut"].iloc[-1] if len(known) else "sans données"
    line = series.dropna(subset=["trajectoire"])
    figure = new_figure()
    figure.add_scatter(
        x=series["annee"],
        y=series["taux_couverture"],
        mode="lines+markers",
        name="Couverture mesurée",
        line_color=OKABE_ITO[0],
        hovertemplate="%{x} : %{y:.1%}<extra></extra>",
    )
    if len(line):
        figure.add_scatter(
            x=[*line["annee"], target_year],
            y=[*line["trajectoire"], target],
            mode="lines",
            name=f"Trajectoire vers {number(100 * target)} % en {target_year}",
            line={"color": OKABE_ITO[5], "dash": "dash"},
            hovertemplate="%{x} : %{y:.1%}<extra>trajectoire</extra>",
        )
    figure.update_layout(yaxis={"tickformat": ".0%", "rangemode": "tozero"})
    st.markdown(f"**Par rapport à la trajectoire TEPOS en {year or '–'}** :")
    status_badge(status)
    chart(
        figure,
        series,
        title="Couverture renouvelable et trajectoire TEPOS",
        summary=(
            f"{name} couvre {percent(known['taux_couverture'].iloc[-1])} de sa consommation par "
            f"sa production renouvelable en {year} ({status}) ; la trajectoire, la même pour "
            f"chaque territoire, va de la couverture de la France en "
            f"{int(tepos['annee_reference'])} à {number(100 * target)} % en {target_year}."
            if len(known)
            else f"{name} : couverture non mesurable (production ou consommation manquante)."
        ),
        sources=_coverage_sources(series),
        period=period,
        file_name=f"couverture_{level}_{code}.csv",
        columns={
            "annee": ("Année", text),
            "taux_couverture": ("Couverture mesurée", percent),
            "trajectoire": ("Trajectoire", percent),
            "statut": ("Par rapport à la trajectoire", text),
            "production_enr_mwh": ("Production renouvelable (MWh)", number),
            "consommation_mwh": ("Consommation (MWh)", number),
        },
    )


def _peer_names(level: str, peers: pd.DataFrame) -> pd.Series:
    """Each peer's name, with its département unless a région, and its code if still not unique:
    « Saint-Denis (93) », « Saint-Denis (974) »."""
    names = peers["nom"] if level == "region" else peers["nom"] + " (" + peers["departement"] + ")"
    return names.where(~names.duplicated(keep=False), names + " " + peers["code"])


def _peers(level: str, code: str, name: str, peers: pd.DataFrame, sources: list[str]) -> None:
    if len(peers) < 2:
        st.info("Pas de territoire comparable (même échelle, population de la moitié au double).")
        return
    me = int(peers.index[peers["lui_meme"]][0])
    rank, year = int(peers["rang"].iloc[me]), int(peers["annee"].iloc[0])
    # the territory and those ranked just before and after it: every bar named, on a phone too
    shown = peers.iloc[max(0, me - PEERS_AROUND) : me + PEERS_AROUND + 1].iloc[::-1]
    labels = _peer_names(level, peers).loc[shown.index].map(lambda n: wrapped(n, 28))
    labels = labels.where(~shown["lui_meme"], "<b>" + labels + "</b>")
    figure = new_figure()
    figure.add_bar(
        y=labels,
        x=shown["taux_couverture"],
        orientation="h",
        marker_color=[OKABE_ITO[5] if mine else OKABE_ITO[4] for mine in shown["lui_meme"]],
        text=shown["rang"].map(lambda r: f"{r}e"),
        textposition="inside",
        insidetextanchor="start",
        hovertemplate="%{y} : %{x:.1%}<extra></extra>",
    )
    figure.update_layout(xaxis={"tickformat": ".0%"}, yaxis={"type": "category"})
    window = (
        f" Le graphique montre les rangs {shown['rang'].min()} à {shown['rang'].max()}, autour "
        "du sien ; le tableau et le CSV, tous."
        if len(shown) < len(peers)
        else ""
    )
    chart(
        figure,
        peers.assign(nom=_peer_names(level, peers)),
        title="Parmi les territoires comparables",
        summary=(
            f"{name} est {'1er' if rank == 1 else f'{rank}e'} sur {len(peers)} territoires de "
            "même échelle dont la population va de la moitié au double de la sienne, par sa "
            f"couverture renouvelable en {year}.{window}"
        ),
        sources=[*sources, "territoires"],
        period=str(year),
        file_name=f"comparables_{level}_{code}_{year}.csv",
        columns={
            "rang": ("Rang", text),
            "nom": ("Territoire", text),
            "population": ("Population", number),
            "taux_couverture": ("Couverture renouvelable", percent),
        },
        height=80 + 34 * len(shown),
    )


def _demarches(demarches: pd.DataFrame) -> None:
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
    st.dataframe(
        french(
            demarches,
            {
                "type": ("Type", text),
                "nom": ("Démarche", text),
                "etat": ("État (PCAET)", text),
                "oblige": ("Obligé", yes_no),
                "date_lancement": ("Lancée le", day),
                "date_modification": ("Fiche modifiée le", day),
                "collectivites": ("Porteurs", text),
            },
        ),
        hide_index=True,
        width="stretch",
    )
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
series = facts.series
_energy(facts, level, code, name)
_coverage(level, code, name, series, _years(series))
if len(series.dropna(subset=["taux_couverture"])):
    _peers(level, code, name, facts.peers, _coverage_sources(facts.series))

left, right = st.columns(2)
with left:
    st.markdown("### Contrats de transition écologique")
    contracts = facts.contracts
    if contracts.empty:
        st.info("Aucun contrat connu sur ce territoire.")
    else:
        table(
            contracts,
            {
                "nom": ("Contrat", text),
                "type": ("Type", text),
                "vague": ("Vague", text),
                "date_signature": ("Signé le", day),
                "epci": ("EPCI du territoire", number),
            },
        )
with right:
    st.markdown("### Adhérents du réseau présents")
    members = facts.members
    if members.empty:
        st.info("Aucun adhérent actif sur ce territoire.")
    else:
        table(
            members,
            {
                "nom": ("Adhérent", text),
                "type": ("Type", text),
                "sous_type": ("Sous-type", text),
                "date_adhesion": ("Adhésion", day),
                "reseau_tepos": ("Réseau TEPOS", yes_no),
                "siege_ici": ("Siège sur le territoire", yes_no),
            },
        )
_demarches(facts.demarches)
for parent_level in order[order.index(level) + 1 :]:
    names = [p["nom"] for p in smaller if p["niveau"] == parent_level]
    if names:
        with st.expander(f"{PLURALS[parent_level]} ayant des communes ici ({number(len(names))})"):
            st.text("\n".join(names))  # names from the sources: shown as text
footer(energy_sources(facts))
