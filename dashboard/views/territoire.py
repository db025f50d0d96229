"""Page « Territoire » : one territory's energy over time, its trajectory, its peers, its
contracts, its climate démarches (ADEME) and the network's members in it."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import urlstate
from dashboard.components import chart, french, share, status_badge, table
from dashboard.db import NotPublished
from dashboard.formats import (
    OKABE_ITO,
    day,
    md,
    named,
    number,
    percent,
    plotly_text,
    text,
    yes_no,
)
from dashboard.queries.common import LEVELS, departements
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
DEFAULT = ("region", "84")


def _choose() -> tuple[str, str]:
    """The territory named in the URL, else the one chosen here; unknown codes are said."""
    levels = list(LEVELS)
    left, middle, right = st.columns([1, 2, 3])
    with left:
        level = st.selectbox(
            "Échelle",
            levels,
            index=urlstate.index("niveau", levels, DEFAULT[0]),
            format_func=lambda lvl: LEVELS[lvl],
        )
    parent = None
    wanted = st.query_params.get("code")
    if level in ("epci", "commune"):
        deps = departements()
        dep_names = dict(zip(deps["code_departement"], deps["nom"], strict=True))
        codes = list(dep_names)
        guess = wanted[:3] if wanted and wanted.startswith("97") else (wanted or "69")[:2]
        with middle:
            parent = st.selectbox(
                "Département",
                codes,
                index=codes.index(guess) if guess in dep_names else codes.index("69"),
                format_func=lambda c: f"{c} — {dep_names[c]}",
            )
    choices = territories(level, parent)
    if level == "epci" and wanted and wanted not in set(choices["code"]):
        choices = territories(level, None)  # an EPCI listed under another département
    names = dict(zip(choices["code"], choices["nom"], strict=True))
    fallback = DEFAULT[1] if level == DEFAULT[0] else next(iter(names))
    with right:
        code = st.selectbox(
            "Territoire",
            list(names),
            index=urlstate.index("code", list(names), fallback),
            format_func=lambda c: f"{names[c]} ({c})",
        )
    return level, code


def _energy(facts: Profile, level: str, code: str, name: str, period: str) -> None:
    consumption, prod = facts.consumption, facts.production
    left, right = st.columns(2)
    with left:
        figure = go.Figure()
        for i, (sector, group) in enumerate(consumption.groupby("filiere")):
            figure.add_bar(
                x=group["annee"],
                y=group["conso_mwh"] / 1000,
                name=sector.capitalize(),
                marker_color=OKABE_ITO[i],
                hovertemplate="%{x} : %{y:,.1f} GWh<extra>" + sector + "</extra>",
            )
        figure.update_layout(barmode="stack", yaxis_title="GWh")
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
            sources=["consommation"],
            period=period,
            file_name=f"consommation_{level}_{code}.csv",
            columns={
                "annee": ("Année", text),
                "filiere": ("Énergie", text),
                "conso_mwh": ("Consommation (MWh)", number),
                "part_population_couverte": ("Part de la population avec données", percent),
            },
        )
    with right:
        figure = go.Figure()
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
        figure.update_layout(barmode="stack", yaxis_title="GWh")
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
            sources=["production", "installations"],
            period=period,
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
    figure = go.Figure()
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
        sources=["production", "consommation"],
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


def _peers(level: str, code: str, name: str, peers: pd.DataFrame) -> None:
    if len(peers) < 2:
        st.info("Pas de territoire comparable (même échelle, population de la moitié au double).")
        return
    rank = int(peers.index[peers["lui_meme"]][0]) + 1
    year = int(peers["annee"].iloc[0])
    colours = [OKABE_ITO[5] if me else OKABE_ITO[4] for me in peers["lui_meme"]]
    figure = go.Figure(
        go.Bar(
            x=peers["nom"].map(plotly_text),
            y=peers["taux_couverture"],
            marker_color=colours,
            hovertemplate="%{x} : %{y:.1%}<extra></extra>",
        )
    )
    figure.update_layout(yaxis={"tickformat": ".0%"}, xaxis={"showticklabels": len(peers) <= 30})
    chart(
        figure,
        peers,
        title="Parmi les territoires comparables",
        summary=(
            f"{name} est {rank}e sur {len(peers)} territoires de même échelle dont la population "
            f"va de la moitié au double de la sienne, par sa couverture renouvelable en {year}."
        ),
        sources=["production", "consommation", "territoires"],
        period=str(year),
        file_name=f"comparables_{level}_{code}_{year}.csv",
        columns={
            "nom": ("Territoire", text),
            "population": ("Population", number),
            "taux_couverture": ("Couverture renouvelable", percent),
        },
    )


def _demarches(demarches: pd.DataFrame) -> None:
    """The territory's climate démarches as ADEME lists them, as plain text (names are the
    collectivités' own writing: never read as markdown or HTML)."""
    st.markdown("#### Démarches climat-air-énergie (ADEME)")
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
demo_banner(SOURCES)

st.header(name)
st.markdown(
    f"{LEVELS[level]} · {number(info['population'])} habitants ({population_vintage()}) · "
    f"{number(info['nb_communes'])} commune(s)"
    + "".join(f" · {LEVELS[p['niveau']]} : {md(p['nom'])}" for p in info["parents"])
)
series = facts.series
period = (
    f"{int(series['annee'].min())}-{int(series['annee'].max())}" if len(series) else "aucune année"
)
_energy(facts, level, code, name, period)
_coverage(level, code, name, series, period)
if len(series.dropna(subset=["taux_couverture"])):
    _peers(level, code, name, facts.peers)

left, right = st.columns(2)
with left:
    st.markdown("#### Contrats de transition écologique")
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
    st.markdown("#### Adhérents du réseau présents")
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
footer(SOURCES)
