"""Page « Accueil » : the network at a glance, and where each of its objectives stands."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.components import (
    OBJECTIVE_NOTES,
    STATUTS,
    chart,
    new_figure,
    objective_name,
    share,
    status_badge,
)
from dashboard.formats import jour, nombre, pluriel, points, pourcent, texte
from dashboard.sources import demo_banner, footer

SOURCES = ["membres", "contrats", "consommation", "production", "territoires"]
CARDS_PER_ROW = 4
LINKS = [
    ("reseau", "Les adhérents en détail", "groups"),
    ("contrats", "Les contrats, vague par vague", "handshake"),
    ("donnees", "Sources, qualité et téléchargements", "database"),
]


def _key_figures() -> None:
    cles = data.chiffres_cles()
    first, second, third, fourth = st.columns(4)
    first.metric("Adhérents actifs", nombre(cles["adherents"]), border=True)
    first.caption(", ".join(pluriel(t["adherents"], t["type"]) for t in cles["par_type"]) + ".")
    second.metric("Communes couvertes", nombre(cles["communes"]), border=True)
    second.caption(
        "Territoires listés par les collectivités adhérentes : "
        f"{pluriel(cles['epci_listes'], 'EPCI', 'EPCI')} et "
        f"{pluriel(cles['communes_listees'], 'commune')}."
    )
    third.metric(
        "Population couverte", f"{nombre(cles['population'] / 1e6, 1)} M hab.", border=True
    )
    third.caption(
        f"{nombre(cles['population'])} habitants, "
        f"{pourcent(cles['population'] / cles['population_france'])} de la population française."
    )
    fourth.metric(
        "EPCI sous contrat (CTE ou CRTE)",
        pourcent(cles["epci_sous_contrat"] / cles["epci"], 0),
        border=True,
    )
    fourth.caption(
        f"{pluriel(cles['cte'], 'CTE', 'CTE')} en {pluriel(cles['vagues_cte'], 'vague')}, "
        f"{pluriel(cles['crte'], 'CRTE', 'CRTE')} ; "
        f"{pourcent(cles['part_population_sous_contrat'])} de la population des EPCI, "
        f"au {jour(cles['date'])}."
    )


def _card(objectif: pd.Series) -> None:
    title, _, detail = objectif["libelle"].partition(" : ")
    with st.container(border=True, height="stretch"):
        st.markdown(f"**{title}**")
        if detail:
            st.caption(detail)
        if objectif["statut"] == "sans données":
            st.write("Pas encore de mesure publiée.")
            status_badge("sans données")
            return
        has_previous = not pd.isna(objectif["valeur_precedente"])
        st.metric(
            f"Valeur {objectif['annee']}",
            pourcent(objectif["valeur"]),
            delta=points(objectif["valeur"] - objectif["valeur_precedente"])
            if has_previous
            else None,
            delta_color="blue",
            delta_description=f"depuis {objectif['annee_precedente']}" if has_previous else None,
            chart_data=list(objectif["serie"]) if objectif["nb_annees"] > 1 else None,
            chart_type="area",
        )
        status_badge(objectif["statut"])
        lines = [f"Cible : {pourcent(objectif['cible'], 0)} en {objectif['annee_cible']}."]
        if objectif["statut"] == "première mesure":
            lines.append(f"Première mesure ({objectif['annee']}) : la trajectoire part d'ici.")
        else:
            lines.append(
                f"Trajectoire attendue en {objectif['annee']} : "
                f"{pourcent(objectif['trajectoire'])} (droite depuis "
                f"{pourcent(objectif['valeur_depart'])} en {objectif['annee_depart']})."
            )
        if objectif["id_objectif"] in OBJECTIVE_NOTES:
            lines.append(OBJECTIVE_NOTES[objectif["id_objectif"]])
        if objectif["part_donnees"] < 1:
            lines.append(f"Données pour {pourcent(objectif['part_donnees'], 0)} du périmètre.")
        st.caption("  \n".join(lines))


def _objectives_chart(etat: pd.DataFrame) -> None:
    shown = etat[etat["statut"] != "sans données"].iloc[::-1]
    names = shown["libelle"].map(objective_name)
    figure = new_figure()
    for statut, group in shown.groupby("statut", sort=False):
        figure.add_bar(
            y=names[group.index],
            x=group["valeur"],
            orientation="h",
            name=statut,
            marker_color=STATUTS[statut][2],
            customdata=group[["annee"]],
            hovertemplate="%{y} : %{x:.1%} en %{customdata[0]}<extra>" + statut + "</extra>",
        )
    figure.add_scatter(
        y=names,
        x=shown["trajectoire"],
        mode="markers",
        name="trajectoire attendue",
        marker={"symbol": "line-ns-open", "size": 22, "line": {"width": 3}, "color": "#000000"},
        hovertemplate="%{y} : %{x:.1%} attendu<extra></extra>",
    )
    targets = sorted(shown["cible"].unique())
    for target in targets:
        figure.add_vline(x=target, line_dash="dot", line_color="#555555")
    top = max(1.0, *shown["valeur"], *targets) * 1.05
    figure.update_layout(barmode="overlay", xaxis={"tickformat": ".0%", "range": [0, top]})
    late = (shown["statut"] == "en retard").sum()
    chart(
        figure,
        etat.drop(columns="serie"),
        title="Objectifs : valeur mesurée et trajectoire attendue",
        summary=(
            f"{len(shown)} objectifs mesurés, dont {late} en retard sur leur trajectoire ; "
            f"cible{'s' if len(targets) > 1 else ''} en pointillés : "
            f"{', '.join(pourcent(t, 0) for t in targets)}."
        ),
        sources=SOURCES,
        period=f"dernière année mesurée de chaque objectif ({shown['annee'].min()}-"
        f"{shown['annee'].max()})",
        file_name="objectifs_etat.csv",
        colonnes={
            "libelle": ("Objectif", texte),
            "annee": ("Année", texte),
            "valeur": ("Valeur", pourcent),
            "trajectoire": ("Trajectoire attendue", pourcent),
            "cible": ("Cible", lambda v: pourcent(v, 0)),
            "annee_cible": ("Année visée", texte),
            "statut": ("Statut", texte),
            "part_donnees": ("Part du périmètre avec données", lambda v: pourcent(v, 0)),
        },
        height=360,
    )


st.title("Observatoire de la transition énergétique du réseau CLER")
st.markdown(
    "Le CLER – Réseau pour la transition énergétique rassemble collectivités, associations et "
    "entreprises engagées pour la sobriété, l'efficacité et les énergies renouvelables. Cette page "
    "résume le réseau et ses sept objectifs ; les pages suivantes détaillent le réseau, les "
    "contrats de transition écologique et les données."
)
try:
    etat = data.objectifs_etat()
except data.NotPublished:
    st.error("Aucune donnée publiée pour l'instant : lancez « observatoire refresh ».")
    st.stop()
demo_banner(SOURCES)
share("Observatoire de la transition énergétique du réseau CLER")

st.header("Le réseau aujourd'hui")
_key_figures()
for column, (view, label, icon) in zip(st.columns(3), LINKS, strict=True):
    column.page_link(f"views/{view}.py", label=label, icon=f":material/{icon}:")

st.header("Les objectifs du réseau")
st.markdown(
    "Chaque objectif est mesuré chaque année sur les collectivités adhérentes (ou sur tous les "
    "EPCI pour les contrats). Son statut compare la dernière valeur à une droite tirée de la "
    "première valeur mesurée jusqu'à la cible l'année visée : **en avance** au-delà de 5 % "
    "au-dessus, **en retard** au-delà de 5 % au-dessous, **sur la trajectoire** entre les deux."
)
rows = [etat.iloc[i : i + CARDS_PER_ROW] for i in range(0, len(etat), CARDS_PER_ROW)]
for row in rows:
    for column, (_, objectif) in zip(st.columns(CARDS_PER_ROW), row.iterrows(), strict=False):
        with column:
            _card(objectif)
_objectives_chart(etat)
footer(SOURCES)
