"""Page « Accueil » : the network at a glance, and where each of its objectives stands."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.charts import accueil as charts
from dashboard.charts.accueil import SOURCES
from dashboard.components import (
    OBJECTIVE_NOTES,
    chart,
    share,
    status_badge,
)
from dashboard.db import NotPublished, provenance
from dashboard.formats import day, md, number, percent, plural, points
from dashboard.queries.home import france, key_figures
from dashboard.queries.objectives import objectives_status
from dashboard.sources import demo_banner, footer, population_vintage

CARDS_PER_ROW = 4
# Objectives measured on real published data whatever the other sources are (ADEME's exports)
REAL_DATA_NOTES = {
    objective: (
        "Mesure réelle (pas de démonstration) : démarches déclarées à l'ADEME, Territoires & "
        "Climat, février 2021. Les années avant 2021 sont des minimums (l'adoption n'est datée "
        "que par la dernière modification de la fiche)."
    )
    for objective in ("strategie_pcaet", "strategie_pcaet_population")
}
LINKS = [
    ("reseau", "Les adhérents en détail", "groups"),
    ("contrats", "Les contrats, vague par vague", "handshake"),
    ("donnees", "Sources, qualité et téléchargements", "database"),
]


def _key_figures() -> None:
    shown = key_figures()
    first, second, third, fourth = st.columns(4)
    first.metric("Adhérents actifs", number(shown["adherents"]), border=True)
    first.caption(", ".join(plural(t["adherents"], md(t["type"])) for t in shown["par_type"]) + ".")
    second.metric("Communes couvertes", number(shown["communes"]), border=True)
    second.caption(
        "Territoires listés par les collectivités adhérentes : "
        f"{plural(shown['epci_listes'], 'EPCI', 'EPCI')} et "
        f"{plural(shown['communes_listees'], 'commune')}."
    )
    third.metric(
        "Population couverte", f"{number(shown['population'] / 1e6, 1)} M hab.", border=True
    )
    third.caption(
        f"{number(shown['population'])} habitants ({population_vintage()}), "
        f"{percent(shown['population'] / shown['population_france'])} de la population française."
    )
    fourth.metric(
        "EPCI sous contrat (CTE ou CRTE)",
        percent(shown["epci_sous_contrat"] / shown["epci"], 0),
        border=True,
    )
    fourth.caption(
        (
            f"{plural(shown['cte'], 'CTE', 'CTE')} en {plural(shown['vagues_cte'], 'vague')}, "
            if shown["cte"]
            else ""
        )
        + f"{plural(shown['crte'], 'CRTE', 'CRTE')} (liste de l'ANCT) ; "
        f"{percent(shown['part_population_sous_contrat'])} de la population des EPCI, "
        f"au {day(shown['date'])}."
    )


def _card(objective: dict) -> None:
    title, _, detail = objective["libelle"].partition(" : ")
    with st.container(border=True, height="stretch"):
        st.markdown(f"**{title}**")
        if detail:
            st.caption(detail)
        if objective["statut"] == "sans données":
            st.write("Pas encore de mesure publiée.")
            status_badge("sans données")
            return
        has_previous = not pd.isna(objective["valeur_precedente"])
        st.metric(
            f"Valeur {objective['annee']}",
            percent(objective["valeur"]),
            delta=points(objective["valeur"] - objective["valeur_precedente"])
            if has_previous
            else None,
            delta_color="blue",
            delta_description=f"depuis {objective['annee_precedente']}" if has_previous else None,
            chart_data=list(objective["serie"]) if objective["nb_annees"] > 1 else None,
            chart_type="area",
        )
        status_badge(objective["statut"])
        lines = [f"Cible : {percent(objective['cible'], 0)} en {objective['annee_cible']}."]
        lines.append(_line_text(objective))
        lines.append(_document(objective))
        if objective["id_objectif"] in OBJECTIVE_NOTES:
            lines.append(OBJECTIVE_NOTES[objective["id_objectif"]])
        if objective["id_objectif"] in REAL_DATA_NOTES:
            lines.append(REAL_DATA_NOTES[objective["id_objectif"]])
        if objective["part_donnees"] < 1:
            lines.append(f"Données pour {percent(objective['part_donnees'], 0)} du périmètre.")
        st.caption("  \n".join(lines))


def _france() -> None:
    """France's renewable coverage from the publishers' real région series."""
    shown = france()
    if shown is None:
        return
    latest, first = shown["latest"], shown["first"]
    st.markdown(
        f"**La France** couvre {percent(latest['taux_couverture'])} de sa consommation "
        f"d'électricité et de gaz par de l'électricité renouvelable en {int(latest['annee'])} "
        f"({percent(first['taux_couverture'])} en {int(first['annee'])}) : données réelles, "
        "séries régionales de l'Agence ORE (consommation) et d'Enedis (production du seul réseau "
        "Enedis, donc un minorant)."
    )


def _line_text(objective: dict) -> str:
    """Where the objective's one trajectory starts, and what it expects this year."""
    start, state = objective["annee_depart"], objective["statut"]
    if state == "atteint":
        return f"Cible atteinte en {objective['annee']}."
    if state == "année de référence":
        return f"{objective['annee']} est l'année de référence : la trajectoire part d'ici."
    if pd.isna(objective["valeur_depart"]):
        return (
            f"Pas de mesure en {start}, l'année de référence : pas de trajectoire, seulement "
            "la valeur mesurée."
        )
    return (
        f"Trajectoire attendue en {objective['annee']} : {percent(objective['trajectoire'])} "
        f"(droite depuis {percent(objective['valeur_depart'])} en {start}, année de référence)."
    )


def _document(objective: dict) -> str:
    """The document the target comes from: title, year, page, and its address when known."""
    parts = [md(objective["document"])]
    if not pd.isna(objective["document_annee"]):
        parts.append(str(int(objective["document_annee"])))
    if pd.notna(objective["document_page"]):
        parts.append(md(objective["document_page"]))
    cited = ", ".join(parts)
    url = objective["document_url"]
    return f"Document : [{cited}]({url})." if pd.notna(url) else f"Document : {cited}."


def _progress(status: pd.DataFrame) -> str:
    """One sentence answering « is the network progressing toward its objectives? », from the
    measured statuses, saying which rest on real data and which on demo data."""
    demo = {s.source for s in provenance().sources if s.demo}
    measured = status[status["statut"] != "sans données"]
    on_demo = measured["sources"].map(lambda names: bool(demo & set(names)))
    real, shown = measured[~on_demo], measured[on_demo]

    def count(frame: pd.DataFrame) -> str:
        states = frame["statut"]
        groups = [
            (states == "atteint").sum(),
            states.isin(["en avance", "sur la trajectoire"]).sum(),
            (states == "en retard").sum(),
            states.isin(["sans référence", "année de référence", "avant la référence"]).sum(),
        ]
        words = ["atteint", "en avance ou sur sa trajectoire", "en retard", "sans trajectoire"]
        said = [f"{n} {w}" for n, w in zip(groups, words, strict=True) if n]
        return ", ".join(said) if said else "aucun"

    sentence = (
        f"**Le réseau progresse-t-il vers ses objectifs ?** Sur données réelles, "
        f"{plural(len(real), 'objectif mesuré', 'objectifs mesurés')} : {count(real)}"
        f" ({', '.join(real['annee'].astype(str).unique())})."
    )
    if len(shown):
        sentence += (
            f" {plural(len(shown), 'autre objectif repose', 'autres objectifs reposent')} sur "
            f"des données de démonstration ({count(shown)}) : ce ne sont pas des résultats."
        )
    return sentence


st.title("Observatoire de la transition énergétique du réseau CLER")
st.markdown(
    "Le CLER – Réseau pour la transition énergétique rassemble collectivités, associations et "
    "entreprises engagées pour la sobriété, l'efficacité et les énergies renouvelables. Cette page "
    "résume le réseau et ses objectifs ; les pages suivantes détaillent le réseau, les "
    "contrats de transition écologique et les données."
)
try:
    status = objectives_status()
except NotPublished:
    st.error("Aucune donnée publiée pour l'instant : lancez « observatoire refresh ».")
    st.stop()
demo_banner(SOURCES)
st.markdown(_progress(status))
share("Observatoire de la transition énergétique du réseau CLER")

st.header("Le réseau aujourd'hui")
_key_figures()
_france()
for column, (view, label, icon) in zip(st.columns(3), LINKS, strict=True):
    column.page_link(f"views/{view}.py", label=label, icon=f":material/{icon}:")

st.header("Les objectifs du réseau")
st.markdown(
    "Chaque objectif est mesuré chaque année sur les collectivités adhérentes (ou sur tous les "
    "EPCI pour les contrats, et sur tous les EPCI de plus de 20 000 habitants, que la loi oblige "
    "à adopter un PCAET, pour les plans climat : ceux-là sont mesurés sur les données réelles de "
    "l'ADEME, jamais sur une démonstration). Son statut compare la dernière valeur à une "
    "seule droite, tirée de la valeur mesurée l'année de référence de l'objectif jusqu'à la "
    "cible l'année visée : **en avance** au-delà de 5 % au-dessus, **en retard** au-delà de 5 % "
    "au-dessous, **sur la trajectoire** entre les deux, **atteint** une fois la cible atteinte. "
    "Chaque cible cite le document qui la fonde."
)
# plain dicts: slicing and iterating the frame's rows took a tenth of a warm run of the page
objectives = status.to_dict("records")
for start in range(0, len(objectives), CARDS_PER_ROW):
    row = objectives[start : start + CARDS_PER_ROW]
    for column, objective in zip(st.columns(CARDS_PER_ROW), row, strict=False):
        with column:
            _card(objective)
chart(charts.objectives_state())
footer(SOURCES)
