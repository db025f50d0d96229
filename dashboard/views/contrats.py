"""Page « Contrats » : CTE waves and CRTE, their signatures, and how much of the country they
cover against the network's target « un contrat sur chaque territoire »."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, urlstate
from dashboard.components import (
    chart,
    counts_axis,
    csv_button,
    listing,
    new_figure,
    share,
    table,
)
from dashboard.formats import OKABE_ITO, en_region, jour, mois, nombre, pluriel, pourcent, texte
from dashboard.sources import demo_banner, footer

TOUS = "tous"
TOUTES = "toutes"
TYPES = {TOUS: "CTE et CRTE", "CTE": "CTE (2018-2020)", "CRTE": "CRTE (depuis 2021)"}
SOURCES = ["contrats", "territoires"]
OBJECTIF = "contrats_partout"


def _signatures(frame: pd.DataFrame, perimetre: str) -> None:
    figure = new_figure()
    for i, (vague, group) in enumerate(frame.groupby("vague", sort=False)):
        figure.add_bar(
            x=group["mois"],
            y=group["contrats"],
            name=vague,
            marker_color=OKABE_ITO[i % len(OKABE_ITO)],
            hovertemplate="%{x|%m/%Y} : %{y} contrats<extra>" + vague + "</extra>",
        )
    figure.update_layout(
        barmode="stack",
        xaxis={"tickformat": "%m/%Y", "title": None},
        yaxis={
            "title": "contrats signés dans le mois",
            **counts_axis(frame.groupby("mois")["contrats"].sum().max()),
        },
    )
    busiest = frame.groupby("mois")["contrats"].sum().sort_values().index[-1]
    chart(
        figure,
        frame,
        title="Signatures par mois",
        summary=(
            f"{pluriel(frame['contrats'].sum(), 'contrat daté', 'contrats datés')} {perimetre}, "
            f"signés entre {mois(frame['mois'].min())} et {mois(frame['mois'].max())} ; "
            f"mois le plus chargé : {mois(busiest)}."
        ),
        sources=SOURCES,
        period=f"{frame['mois'].min():%Y}-{frame['mois'].max():%Y}",
        file_name="signatures_par_mois.csv",
        colonnes={
            "mois": ("Mois", mois),
            "vague": ("Vague", texte),
            "contrats": ("Contrats signés", nombre),
        },
    )


def _coverage(frame: pd.DataFrame, annee_cible: int, perimetre: str) -> None:
    figure = new_figure()
    for column, name, colour in (
        ("part_epci", "part des EPCI", OKABE_ITO[0]),
        ("part_population", "part de la population", OKABE_ITO[1]),
    ):
        figure.add_scatter(
            x=frame["date"],
            y=frame[column],
            name=name,
            mode="lines",
            line={"shape": "hv", "width": 3, "color": colour},
            hovertemplate="%{x|%d/%m/%Y} : %{y:.1%}<extra>" + name + "</extra>",
        )
    figure.add_hline(
        y=1,
        line_dash="dot",
        line_color="#555555",
        annotation_text=f"cible : chaque territoire en {annee_cible}",
        annotation_position="bottom right",
    )
    figure.update_layout(
        yaxis={"tickformat": ".0%", "range": [0, 1.05]},
        xaxis={"tickformat": "%Y", "title": None},
        hovermode="x unified",
    )
    today = frame.iloc[-1]
    at_target = frame[frame["date"] <= pd.Timestamp(annee_cible, 12, 31)]
    reached = pourcent(at_target.iloc[-1]["part_epci"]) if len(at_target) else "–"
    chart(
        figure,
        frame,
        title="Part des territoires sous contrat",
        summary=(
            f"Au {jour(today['date'])}, {pluriel(today['epci_couverts'], 'EPCI', 'EPCI')} sur "
            f"{nombre(today['epci'])} {perimetre} sont couverts par un contrat signé "
            f"({pourcent(today['part_epci'])} des EPCI, {pourcent(today['part_population'])} de "
            f"leur population) ; fin {annee_cible}, année visée : {reached} des EPCI."
        ),
        sources=SOURCES,
        period=f"signatures jusqu'au {jour(today['date'])}, population légale INSEE",
        file_name="couverture_contrats.csv",
        colonnes={
            "date": ("Date", jour),
            "epci_couverts": ("EPCI couverts", nombre),
            "epci": ("EPCI", nombre),
            "part_epci": ("Part des EPCI", pourcent),
            "part_population": ("Part de la population", pourcent),
        },
    )


def _rapprochement(rapprochement: pd.DataFrame) -> None:
    st.header("Rapprochement des périmètres dessinés")
    if rapprochement.empty:
        st.markdown(
            "Les contrats publiés sont tous donnés par EPCI : aucun périmètre dessiné (liste CTE "
            "2019 de l'ANCT) n'a eu à être rapproché des EPCI actuels."
        )
        return
    counts = rapprochement.groupby("statut", sort=False).size()
    st.markdown(
        "La liste CTE 2019 de l'ANCT donne des périmètres dessinés : chacun est rapproché des "
        "EPCI actuels (un EPCI en fait partie quand au moins la moitié de sa population y "
        "habite), avec le nom et le nombre de communes comme contre-vérification. "
        + " ; ".join(f"{statut} : {nombre(n)}" for statut, n in counts.items())
        + "."
    )
    table(
        rapprochement,
        {
            "nom": ("Contrat", texte),
            "statut": ("Statut", texte),
            "perimetre": ("Périmètre", texte),
            "communes_declarees": ("Communes déclarées", nombre),
            "communes_trouvees": ("Communes trouvées", nombre),
            "epci": ("EPCI retenus", texte),
            "similarite_nom": ("Similarité des noms", lambda v: pourcent(v, 0)),
            "motif": ("Motif", texte),
        },
    )
    csv_button(rapprochement, "contrats_rapprochement.csv", "Télécharger le rapprochement (CSV)")


st.title("Les contrats de transition écologique")
st.markdown(
    "Les contrats de transition écologique (CTE), signés par vagues de 2018 à 2020 entre l'État "
    "et des territoires volontaires, puis les contrats de relance et de transition écologique "
    "(CRTE), qui doivent couvrir tout le territoire. Le CLER demande un contrat sur chaque "
    "territoire : la page mesure la part des EPCI, et de leur population, couverte par un "
    "contrat signé."
)
try:
    regions = data.regions()
except data.NotPublished:
    st.error("Aucune donnée publiée pour l'instant : lancez « observatoire refresh ».")
    st.stop()
demo_banner(SOURCES)

noms = dict(zip(regions["code_region"], regions["nom"], strict=True))
region_options = [TOUTES, *noms]
left, right = st.columns(2)
with left:
    kind = st.radio(
        "Contrats",
        list(TYPES),
        index=urlstate.index("type", list(TYPES), TOUS),
        format_func=TYPES.get,
        horizontal=True,
    )
with right:
    region = st.selectbox(
        "Région",
        region_options,
        index=urlstate.index("region", region_options, TOUTES),
        format_func=lambda r: "France entière" if r == TOUTES else noms[r],
    )
st.query_params.update(type=kind, region=region)
share("Les contrats de transition écologique")
kind_filter = None if kind == TOUS else kind
region_filter = None if region == TOUTES else region
perimetre = en_region(noms[region]) if region_filter else "en France"

vue = data.contrats(kind_filter, region_filter)
contracts = vue.liste
if contracts.empty:
    st.info(f"Aucun contrat {TYPES[kind]} {perimetre}.")
else:
    vagues = vue.par_vague
    coverage = vue.couverture
    objectif = data.objectif(OBJECTIF)
    today = coverage.iloc[-1]
    counts = st.columns(3)
    counts[0].metric("Contrats", nombre(len(contracts)), border=True)
    counts[1].metric(
        "EPCI couverts",
        f"{nombre(today['epci_couverts'])} / {nombre(today['epci'])}",
        border=True,
    )
    counts[2].metric("Population couverte", pourcent(today["part_population"]), border=True)

    left, right = st.columns(2)
    with left:
        signatures = vue.signatures
        if signatures.empty:
            st.info("Aucun de ces contrats n'a de date de signature.")
        else:
            _signatures(signatures, perimetre)
    with right:
        _coverage(coverage, int(objectif["annee_cible"]), perimetre)

    st.markdown("#### Vagues")
    table(
        vagues,
        {
            "type": ("Type", texte),
            "vague": ("Vague", texte),
            "contrats": ("Contrats", nombre),
            "premiere_signature": ("Première signature", jour),
            "derniere_signature": ("Dernière signature", jour),
            "sans_date": ("Sans date de signature", nombre),
        },
    )
    undated = int(vagues["sans_date"].sum())
    if undated:
        st.caption(
            f"{pluriel(undated, 'contrat')} sans date de signature : hors de la chronologie, "
            "comptés dans la couverture à partir de la fin de l'année de leur vague."
        )
    listing(
        "Liste des contrats",
        contracts,
        {
            "nom": ("Contrat", texte),
            "type": ("Type", texte),
            "vague": ("Vague", texte),
            "date_signature": ("Signature", jour),
            "epci": ("EPCI" + (" dans la région" if region_filter else ""), nombre),
            "population": (
                "Population" + (" dans la région" if region_filter else ""),
                nombre,
            ),
            "id_contrat": ("Identifiant", texte),
        },
        "contrats.csv",
    )

_rapprochement(vue.rapprochement)
footer(SOURCES)
