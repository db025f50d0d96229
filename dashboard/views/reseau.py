"""Page « Réseau » : who the members are, where, since when; the objectives over the years."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, urlstate
from dashboard.components import (
    OBJECTIVE_NOTES,
    chart,
    counts_axis,
    listing,
    new_figure,
    objective_name,
    share,
)
from dashboard.formats import OKABE_ITO, en_region, jour, nombre, oui_non, pluriel, pourcent, texte
from dashboard.sources import demo_banner, footer

TOUS = "tous"
TOUTES = "toutes"
MEMBRES = ["membres", "territoires"]
OBJECTIFS = ["membres", "contrats", "consommation", "production", "territoires"]
ROW_HEIGHT = 28


def _colours(types: list[str]) -> dict[str, str]:
    """One Okabe-Ito colour per kind of member, the same whatever the filter."""
    return {kind: OKABE_ITO[i % len(OKABE_ITO)] for i, kind in enumerate(types)}


def _by_kind(frame: pd.DataFrame, colours: dict[str, str], perimetre: str, period: str) -> None:
    order = frame.sort_values("adherents")["sous_type"].tolist()
    figure = new_figure()
    for kind, group in frame.groupby("type"):
        figure.add_bar(
            y=group["sous_type"],
            x=group["adherents"],
            orientation="h",
            name=kind,
            marker_color=colours[kind],
            text=group["adherents"],
            textposition="outside",
            hovertemplate="%{y} : %{x} adhérents<extra>" + kind + "</extra>",
        )
    figure.update_layout(
        yaxis={"categoryorder": "array", "categoryarray": order},
        xaxis=counts_axis(frame["adherents"].max()),
    )
    top = frame.sort_values("adherents", ascending=False).iloc[0]
    chart(
        figure,
        frame,
        title="Adhérents actifs par type",
        summary=(
            f"{pluriel(frame['adherents'].sum(), 'adhérent actif', 'adhérents actifs')} "
            f"{perimetre} ; le premier sous-type est « {top['sous_type']} » "
            f"({nombre(top['adherents'])})."
        ),
        sources=MEMBRES,
        period=period,
        file_name="adherents_par_type.csv",
        colonnes={
            "sous_type": ("Sous-type", texte),
            "type": ("Type", texte),
            "adherents": ("Adhérents actifs", nombre),
        },
        height=max(260, ROW_HEIGHT * len(frame) + 80),
    )


def _by_place(
    frame: pd.DataFrame, colours: dict[str, str], region: str | None, perimetre: str, period: str
) -> None:
    totals = frame.groupby("lieu", as_index=False)["adherents"].sum()
    figure = new_figure()
    for kind, group in frame.dropna(subset=["type"]).groupby("type"):
        figure.add_bar(
            y=group["lieu"],
            x=group["adherents"],
            orientation="h",
            name=kind,
            marker_color=colours[kind],
            hovertemplate="%{y} : %{x} adhérents<extra>" + kind + "</extra>",
        )
    figure.update_layout(
        barmode="stack",
        yaxis={
            "categoryorder": "array",
            "categoryarray": totals.sort_values("adherents")["lieu"].tolist(),
        },
        xaxis={"title": "adhérents actifs", **counts_axis(totals["adherents"].max())},
    )
    level = "département" if region else "région"
    top = totals.sort_values("adherents", ascending=False).iloc[0]
    kinds = sorted(frame["type"].dropna().unique())
    wide = totals.merge(
        frame.pivot_table("adherents", "lieu", "type", aggfunc="sum").reset_index(),
        on="lieu",
        how="left",
    ).fillna(dict.fromkeys(kinds, 0))
    chart(
        figure,
        wide,
        title=f"Adhérents actifs par {level} du siège",
        summary=(
            f"Adhérents actifs {perimetre}, par {level} de leur siège : "
            f"{top['lieu']} en compte le plus ({nombre(top['adherents'])}) ; "
            f"{pluriel((totals['adherents'] == 0).sum(), level)} sans adhérent."
        ),
        sources=MEMBRES,
        period=period,
        file_name=f"adherents_par_{level.replace('é', 'e')}.csv",
        colonnes={
            "lieu": (level.capitalize(), texte),
            "adherents": ("Adhérents actifs", nombre),
            **{kind: (kind.capitalize(), nombre) for kind in kinds},
        },
        height=max(300, ROW_HEIGHT * len(totals) + 80),
    )


def _over_time(frame: pd.DataFrame, perimetre: str, period: str) -> None:
    figure = new_figure()
    figure.add_scatter(
        x=frame["annee"],
        y=frame["actifs"],
        mode="lines",
        name="adhérents actifs au 31 décembre",
        line={"width": 3, "color": OKABE_ITO[0]},
        hovertemplate="%{x} : %{y} adhérents actifs<extra></extra>",
    )
    figure.add_bar(
        x=frame["annee"],
        y=frame["adhesions"],
        name="adhésions dans l'année",
        marker_color=OKABE_ITO[2],
        hovertemplate="%{x} : %{y} adhésions<extra></extra>",
    )
    figure.add_bar(
        x=frame["annee"],
        y=-frame["sorties"],
        name="départs dans l'année (en négatif)",
        marker_color=OKABE_ITO[5],
        customdata=frame["sorties"],
        hovertemplate="%{x} : %{customdata} départs<extra></extra>",
    )
    figure.update_layout(
        barmode="relative",
        xaxis={"dtick": 5},
        yaxis=counts_axis(frame["actifs"].max()) | {"rangemode": "normal"},
        hovermode="x unified",
    )
    first, last = frame.iloc[0], frame.iloc[-1]
    best = frame.sort_values("adhesions", ascending=False).iloc[0]
    chart(
        figure,
        frame,
        title="Croissance du réseau",
        summary=(
            f"Adhérents actifs {perimetre} : {nombre(first['actifs'])} fin {first['annee']}, "
            f"{nombre(last['actifs'])} aujourd'hui ; année record : {best['annee']} "
            f"({pluriel(best['adhesions'], 'adhésion')}). Adhésions et départs d'après les dates "
            "du registre."
        ),
        sources=MEMBRES,
        period=period,
        file_name="adherents_par_annee.csv",
        colonnes={
            "annee": ("Année", texte),
            "adhesions": ("Adhésions", nombre),
            "sorties": ("Départs", nombre),
            "actifs": ("Actifs au 31 décembre (aujourd'hui pour l'année en cours)", nombre),
        },
    )


def _objectives(series: pd.DataFrame) -> None:
    figure = new_figure()
    for i, (libelle, group) in enumerate(series.groupby("libelle", sort=False)):
        name = objective_name(libelle)
        figure.add_scatter(
            x=group["annee"],
            y=group["valeur"],
            mode="lines+markers" if len(group) > 1 else "markers",
            name=name,
            marker={"size": 9, "symbol": i, "line": {"width": 1, "color": "#333333"}},
            line={"color": OKABE_ITO[i % len(OKABE_ITO)]},
            marker_color=OKABE_ITO[i % len(OKABE_ITO)],
            hovertemplate="%{x} : %{y:.1%}<extra>" + name + "</extra>",
        )
    targets = sorted(series["cible"].unique())
    for target in targets:
        figure.add_hline(y=target, line_dash="dot", line_color="#555555")
    figure.update_layout(
        yaxis={"tickformat": ".0%", "range": [0, max(1.0, series["valeur"].max()) * 1.05]},
        legend={"orientation": "v", "y": 0.5, "yanchor": "middle", "x": 1.02},
        hovermode="closest",
    )
    single = series.groupby("id_objectif")["annee"].nunique().eq(1).sum()
    names = series.drop_duplicates("id_objectif").set_index("id_objectif")["libelle"]
    notes = [
        f"{objective_name(names[i])} — {OBJECTIVE_NOTES[i]}"
        for i in names.index
        if i in OBJECTIVE_NOTES
    ]
    chart(
        figure,
        series,
        title="Les objectifs du réseau, année par année",
        summary=" ".join(
            [
                f"Valeur de chacun des {len(names)} objectifs (en pointillés, la cible : "
                f"{', '.join(pourcent(t, 0) for t in targets)}). "
                f"{pluriel(single, 'objectif')} issus des réponses au registre des adhérents "
                "n'ont qu'une mesure, l'année en cours.",
                *notes,
            ]
        ),
        sources=OBJECTIFS,
        period=f"{series['annee'].min()}-{series['annee'].max()}",
        file_name="objectifs_valeurs.csv",
        colonnes={
            "libelle": ("Objectif", texte),
            "annee": ("Année", texte),
            "valeur": ("Valeur", pourcent),
            "part_perimetre_avec_donnees": ("Part du périmètre avec données", pourcent),
        },
        height=420,
    )


st.title("Le réseau")
st.markdown(
    "Les adhérents du CLER : collectivités, associations (agences locales de l'énergie, espaces "
    "conseil France Rénov'…), entreprises et autres organismes, d'après le registre des "
    "adhérents. Les filtres s'appliquent aux adhérents ; l'adresse de la page les garde."
)
try:
    types = data.types_membres()
    regions = data.regions()
except data.NotPublished:
    st.error("Aucune donnée publiée pour l'instant : lancez « observatoire refresh ».")
    st.stop()
demo_banner(OBJECTIFS)

noms = dict(zip(regions["code_region"], regions["nom"], strict=True))
type_options = [TOUS, *types]
region_options = [TOUTES, *noms]
left, right = st.columns(2)
with left:
    kind = st.selectbox(
        "Type d'adhérent",
        type_options,
        index=urlstate.index("type", type_options, TOUS),
        format_func=lambda t: "Tous les types" if t == TOUS else t,
    )
with right:
    region = st.selectbox(
        "Région du siège",
        region_options,
        index=urlstate.index("region", region_options, TOUTES),
        format_func=lambda r: "Toutes les régions" if r == TOUTES else noms[r],
    )
st.query_params.update(type=kind, region=region)
share("Le réseau CLER : adhérents et objectifs")
kind_filter = None if kind == TOUS else kind
region_filter = None if region == TOUTES else region
parts = [f"de type « {kind} »"] if kind_filter else []
parts += [en_region(noms[region])] if region_filter else []
perimetre = " ".join(parts) or "de tout le réseau"
period = f"situation au {jour(data.provenance().publie_le)}"

vue = data.reseau(kind_filter, region_filter)
members = vue.membres
if members.empty:
    st.info(f"Aucun adhérent actif {perimetre}.")
else:
    counts = st.columns(3)
    counts[0].metric("Adhérents actifs", nombre(len(members)), border=True)
    counts[1].metric("Membres du réseau TEPOS", nombre(members["reseau_tepos"].sum()), border=True)
    counts[2].metric(
        "Territoires listés (EPCI ou communes)", nombre(members["territoires"].sum()), border=True
    )
    colours = _colours(types)
    left, right = st.columns(2)
    with left:
        _by_kind(vue.par_sous_type, colours, perimetre, period)
    with right:
        _by_place(vue.par_lieu, colours, region_filter, perimetre, period)
    _over_time(vue.par_annee, perimetre, period)

    listing(
        "Liste des adhérents actifs",
        members,
        {
            "nom": ("Adhérent", texte),
            "type": ("Type", texte),
            "sous_type": ("Sous-type", texte),
            "region": ("Région", texte),
            "departement": ("Département", texte),
            "date_adhesion": ("Adhésion", jour),
            "reseau_tepos": ("Réseau TEPOS", oui_non),
            "territoires": ("Territoires listés", nombre),
        },
        "adherents.csv",
    )

st.header("Les objectifs à travers le réseau")
st.markdown(
    "Les objectifs sont mesurés sur l'ensemble des collectivités adhérentes (ou de tous les EPCI "
    "pour les contrats) : les filtres ci-dessus ne s'y appliquent pas, seules les parts "
    "nationales sont publiées. La page d'accueil dit où chacun en est de sa trajectoire."
)
_objectives(vue.objectifs)
footer(OBJECTIFS)
