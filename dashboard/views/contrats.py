"""Page « Contrats » : CTE waves and CRTE, their signatures, and how much of the country they
cover against the network's target « un contrat sur chaque territoire »."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import urlstate
from dashboard.charts import contrats as charts
from dashboard.charts.contrats import SOURCES
from dashboard.components import (
    chart,
    csv_button,
    listing,
    share,
    table,
)
from dashboard.db import NotPublished
from dashboard.formats import (
    day,
    in_region,
    md,
    number,
    percent,
    plural,
    text,
)
from dashboard.queries.common import regions
from dashboard.queries.contracts import contracts as contract_queries
from dashboard.sources import demo_banner, footer

ALL_KINDS = "tous"
ALL_REGIONS = "toutes"
TYPES = {ALL_KINDS: "CTE et CRTE", "CTE": "CTE (2018-2020)", "CRTE": "CRTE (depuis 2021)"}


def _matching(matching: pd.DataFrame) -> None:
    st.header("Rapprochement avec les territoires actuels")
    if matching.empty:
        st.markdown("Aucun contrat publié n'a eu à être rapproché des territoires actuels.")
        return
    counts = matching.groupby("statut", sort=False).size()
    st.markdown(
        "Chaque contrat est rapproché des territoires actuels. La liste CRTE de l'ANCT nomme ses "
        "signataires par leur SIREN : EPCI, communes (placées par leur nom et leur "
        "département), EPT du Grand Paris (par leurs communes), EPCI fusionnés depuis (par le "
        "nouvel EPCI de leur département qui porte leur nom). La liste CTE 2019 donne des "
        "périmètres dessinés : un EPCI en fait partie quand au moins la moitié de sa population "
        "y habite, avec le nom et le nombre de communes comme contre-vérification. "
        + " ; ".join(f"{status} : {number(n)}" for status, n in counts.items())
        + "."
    )
    doubtful = matching[matching["statut"] != "rapproché"]
    if doubtful.empty:
        st.markdown("Tous les contrats sont rapprochés.")
    else:
        _doubtful(doubtful)
    csv_button(matching, "contrats_rapprochement.csv", "Télécharger le rapprochement (CSV)")


def _doubtful(matching: pd.DataFrame) -> None:
    """The contracts to check, and why."""
    table(
        matching,
        {
            "nom": ("Contrat", text),
            "statut": ("Statut", text),
            "perimetre": ("Périmètre", text),
            "communes_declarees": ("Communes déclarées", number),
            "communes_trouvees": ("Communes trouvées", number),
            "epci": ("EPCI retenus", text),
            "similarite_nom": ("Similarité des noms", lambda v: percent(v, 0)),
            "motif": ("Motif", text),
        },
    )


st.title("Les contrats de transition écologique")
st.markdown(
    "Les contrats de transition écologique (CTE), signés par vagues de 2018 à 2020 entre l'État "
    "et des territoires volontaires, puis les contrats de relance et de transition écologique "
    "(CRTE), qui doivent couvrir tout le territoire. Le CLER demande un contrat sur chaque "
    "territoire : la page mesure la part des EPCI, et de leur population, couverte par un "
    "contrat signé."
)
try:
    region_list = regions()
except NotPublished:
    st.error("Aucune donnée publiée pour l'instant : lancez « observatoire refresh ».")
    st.stop()
demo_banner(SOURCES)

names = dict(zip(region_list["code_region"], region_list["nom"], strict=True))
region_options = [ALL_REGIONS, *names]
left, right = st.columns(2)
with left:
    kind = st.radio(
        "Contrats",
        list(TYPES),
        index=urlstate.index("type", list(TYPES), ALL_KINDS),
        key="contrats-type",
        format_func=TYPES.get,
        horizontal=True,
    )
with right:
    region = st.selectbox(
        "Région",
        region_options,
        index=urlstate.index("region", region_options, ALL_REGIONS),
        key="contrats-region",
        format_func=lambda r: "France entière" if r == ALL_REGIONS else names[r],
    )
st.query_params.update(type=kind, region=region)
share("Les contrats de transition écologique")
kind_filter = None if kind == ALL_KINDS else kind
region_filter = None if region == ALL_REGIONS else region
scope = in_region(md(names[region])) if region_filter else "en France"

view = contract_queries(kind_filter, region_filter)
contracts = view.listing
st.header(f"Les contrats {scope}")
if contracts.empty:
    st.info(f"Aucun contrat {TYPES[kind]} {scope}.")
else:
    waves = view.by_wave
    coverage = view.coverage
    today = coverage.iloc[-1]
    counts = st.columns(3)
    counts[0].metric("Contrats", number(len(contracts)), border=True)
    counts[1].metric(
        "EPCI couverts",
        f"{number(today['epci_couverts'])} / {number(today['epci'])}",
        border=True,
    )
    counts[2].metric("Population couverte", percent(today["part_population"]), border=True)

    left, right = st.columns(2)
    with left:
        signatures = charts.signatures(kind_filter, region_filter, scope)
        if signatures is None:
            st.info("Aucun de ces contrats n'a de date de signature.")
        else:
            chart(signatures)
    with right:
        chart(charts.coverage(kind_filter, region_filter, scope))

    st.markdown("### Vagues")
    table(
        waves,
        {
            "type": ("Type", text),
            "vague": ("Vague", text),
            "contrats": ("Contrats", number),
            "premiere_signature": ("Première signature", day),
            "derniere_signature": ("Dernière signature", day),
            "sans_date": ("Sans date de signature", number),
        },
    )
    undated = int(waves["sans_date"].sum())
    if undated:
        st.caption(
            f"{plural(undated, 'contrat')} sans date de signature : hors de la chronologie, "
            "comptés dans la couverture à partir de la fin de l'année de leur vague."
        )
    listing(
        "Liste des contrats",
        contracts,
        {
            "nom": ("Contrat", text),
            "type": ("Type", text),
            "vague": ("Vague", text),
            "date_signature": ("Signature", day),
            "epci": ("EPCI" + (" dans la région" if region_filter else ""), number),
            "population": (
                "Population" + (" dans la région" if region_filter else ""),
                number,
            ),
            "id_contrat": ("Identifiant", text),
        },
        "contrats.csv",
    )

_matching(view.matching)
footer(SOURCES)
