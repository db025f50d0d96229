"""Territoire: one territory's energy, its coverage against the TEPOS trajectory, its peers."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.components import Chart, Columns, Table, french, new_figure, wrapped, written
from dashboard.db import per_publication
from dashboard.formats import OKABE_ITO, day, named, number, percent, text, yes_no
from dashboard.queries.objectives import objective
from dashboard.queries.territory import Profile, profile

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
# Comparable territories drawn on each side of the territory, by rank.
PEERS_AROUND = 7
CONTRACT_COLUMNS: Columns = {
    "nom": ("Contrat", text),
    "type": ("Type", text),
    "vague": ("Vague", text),
    "date_signature": ("Signé le", day),
    "epci": ("EPCI du territoire", number),
}
MEMBER_COLUMNS: Columns = {
    "nom": ("Adhérent", text),
    "type": ("Type", text),
    "sous_type": ("Sous-type", text),
    "date_adhesion": ("Adhésion", day),
    "reseau_tepos": ("Réseau TEPOS", yes_no),
    "siege_ici": ("Siège sur le territoire", yes_no),
}
DEMARCHE_COLUMNS: Columns = {
    "type": ("Type", text),
    "nom": ("Démarche", text),
    "etat": ("État (PCAET)", text),
    "oblige": ("Obligé", yes_no),
    "date_lancement": ("Lancée le", day),
    "date_modification": ("Fiche modifiée le", day),
    "collectivites": ("Porteurs", text),
}


def origins(frame: pd.DataFrame, source: str) -> list[str]:
    """The sources a territory's energy rows come from (``origine``), or ``source`` itself."""
    found = sorted(set(frame["origine"].dropna())) if "origine" in frame else []
    return found or [source]


def coverage_sources(series: pd.DataFrame) -> list[str]:
    """Coverage is made of the région series when the marts say so, else of the communes."""
    if "origine" in series and series["origine"].eq("séries régionales").any():
        return [SERIES["production"], SERIES["consommation"]]
    return ["production", "consommation"]


def energy_sources(facts: Profile) -> list[str]:
    """The page's sources, with the energy ones this territory's rows actually come from."""
    used = set(origins(facts.consumption, "consommation")) | set(
        origins(facts.production, "production")
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


@per_publication
def consumption(level: str, code: str, name: str) -> Chart:
    """Electricity and gas consumed, year by year, stacked by energy."""
    consumption = profile(level, code).consumption
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
    return Chart(
        figure,
        consumption,
        title="Consommation d'électricité et de gaz",
        summary=(
            f"{name} : {number(total.iloc[-1] / 1000, 1)} GWh en {total.index[-1]}, "
            f"{number(total.iloc[0] / 1000, 1)} GWh en {total.index[0]}."
            if len(total)
            else f"{name} : aucune donnée de consommation."
        ),
        sources=tuple(origins(consumption, "consommation")),
        period=_years(consumption),
        file_name=f"consommation_{level}_{code}.csv",
        columns={
            "annee": ("Année", text),
            "filiere": ("Énergie", text),
            "conso_mwh": ("Consommation (MWh)", number),
            "part_population_couverte": ("Part de la population avec données", percent),
        },
    )


@per_publication
def production(level: str, code: str, name: str) -> Chart:
    """Electricity produced, year by year, stacked by sector."""
    prod = profile(level, code).production
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
    return Chart(
        figure,
        prod,
        title="Production d'électricité par filière",
        summary=(
            f"{name} : {number(total.iloc[-1] / 1000, 1)} GWh produits en {total.index[-1]}."
            if len(total)
            else f"{name} : aucune donnée de production."
        ),
        sources=(*origins(prod, "production"), "installations")
        if "production" in origins(prod, "production")
        else tuple(origins(prod, "production")),
        period=_years(prod),
        file_name=f"production_{level}_{code}.csv",
        columns={
            "annee": ("Année", text),
            "filiere": ("Filière", named(SECTORS)),
            "energie_mwh": ("Production (MWh)", number),
            "puissance_kw": ("Puissance en service (kW)", number),
        },
    )


@per_publication
def coverage(level: str, code: str, name: str) -> tuple[Chart, str, int | None]:
    """Measured coverage against the TEPOS trajectory the marts computed; the status of its
    latest year, and that year."""
    series = profile(level, code).series
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
    shown = Chart(
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
        sources=tuple(coverage_sources(series)),
        period=_years(known),  # the years measured: the rows go on as far as either series
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
    return shown, status, year


def _peer_names(level: str, peers: pd.DataFrame) -> pd.Series:
    """Each peer's name, with its département unless a région, and its code if still not unique:
    « Saint-Denis (93) », « Saint-Denis (974) »."""
    names = peers["nom"] if level == "region" else peers["nom"] + " (" + peers["departement"] + ")"
    return names.where(~names.duplicated(keep=False), names + " " + peers["code"])


@per_publication
def peers(level: str, code: str, name: str) -> Chart | None:
    """The territory among those of its level and size, by renewable coverage (None: it has
    no comparable territory)."""
    facts = profile(level, code)
    peers, sources = facts.peers, coverage_sources(facts.series)
    if len(peers) < 2:
        return None
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
    return Chart(
        figure,
        peers.assign(nom=_peer_names(level, peers)),
        title="Parmi les territoires comparables",
        summary=(
            f"{name} est {'1er' if rank == 1 else f'{rank}e'} sur {len(peers)} territoires de "
            "même échelle dont la population va de la moitié au double de la sienne, par sa "
            f"couverture renouvelable en {year}.{window}"
        ),
        sources=(*sources, "territoires"),
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


@dataclass(frozen=True)
class Tables:
    """The territory's lists, written in French (None: nothing to list)."""

    contracts: Table | None
    members: Table | None
    demarches: Table | None


@per_publication
def tables(level: str, code: str) -> Tables:
    """Its contracts, the network's members in it and its climate démarches (ADEME)."""
    facts = profile(level, code)
    contracts = None if facts.contracts.empty else written(facts.contracts, CONTRACT_COLUMNS)
    members = None if facts.members.empty else written(facts.members, MEMBER_COLUMNS)
    # names of démarches are the collectivités' own writing: a grid shows them as they are,
    # st.table would read them as Markdown
    demarches = (
        None
        if facts.demarches.empty
        else Table(french(facts.demarches, DEMARCHE_COLUMNS), plain=False)
    )
    return Tables(contracts, members, demarches)
