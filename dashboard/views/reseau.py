"""Page « Réseau » : who the members are, where, since when; the objectives over the years."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import db, urlstate
from dashboard.components import (
    OBJECTIVE_NOTES,
    chart,
    counts_axis,
    listing,
    new_figure,
    objective_name,
    share,
)
from dashboard.db import NotPublished
from dashboard.formats import (
    OKABE_ITO,
    day,
    in_region,
    md,
    number,
    percent,
    plotly_text,
    plural,
    text,
    yes_no,
)
from dashboard.queries.common import regions
from dashboard.queries.network import member_types, network
from dashboard.sources import demo_banner, footer

ALL_KINDS = "tous"
ALL_REGIONS = "toutes"
MEMBER_SOURCES = ["membres", "territoires"]
OBJECTIVE_SOURCES = ["membres", "contrats", "consommation", "production", "territoires"]
ROW_HEIGHT = 28


def _colours(kinds: list[str]) -> dict[str, str]:
    """One Okabe-Ito colour per kind of member, the same whatever the filter."""
    return {kind: OKABE_ITO[i % len(OKABE_ITO)] for i, kind in enumerate(kinds)}


def _by_kind(frame: pd.DataFrame, colours: dict[str, str], scope: str, period: str) -> None:
    order = frame.sort_values("adherents")["sous_type"].tolist()
    figure = new_figure()
    for kind, group in frame.groupby("type"):
        figure.add_bar(
            y=group["sous_type"].map(plotly_text),
            x=group["adherents"],
            orientation="h",
            name=plotly_text(kind),
            marker_color=colours[kind],
            text=group["adherents"],
            textposition="outside",
            hovertemplate="%{y} : %{x} adhérents<extra>" + plotly_text(kind) + "</extra>",
        )
    figure.update_layout(
        yaxis={"categoryorder": "array", "categoryarray": [plotly_text(o) for o in order]},
        xaxis=counts_axis(frame["adherents"].max()),
    )
    top = frame.sort_values("adherents", ascending=False).iloc[0]
    chart(
        figure,
        frame,
        title="Adhérents actifs par type",
        summary=(
            f"{plural(frame['adherents'].sum(), 'adhérent actif', 'adhérents actifs')} "
            f"{scope} ; le premier sous-type est « {md(top['sous_type'])} » "
            f"({number(top['adherents'])})."
        ),
        sources=MEMBER_SOURCES,
        period=period,
        file_name="adherents_par_type.csv",
        columns={
            "sous_type": ("Sous-type", text),
            "type": ("Type", text),
            "adherents": ("Adhérents actifs", number),
        },
        height=max(260, ROW_HEIGHT * len(frame) + 80),
    )


def _by_place(
    frame: pd.DataFrame, colours: dict[str, str], region: str | None, scope: str, period: str
) -> None:
    totals = frame.groupby("lieu", as_index=False)["adherents"].sum()
    figure = new_figure()
    for kind, group in frame.dropna(subset=["type"]).groupby("type"):
        figure.add_bar(
            y=group["lieu"].map(plotly_text),
            x=group["adherents"],
            orientation="h",
            name=plotly_text(kind),
            marker_color=colours[kind],
            hovertemplate="%{y} : %{x} adhérents<extra>" + plotly_text(kind) + "</extra>",
        )
    figure.update_layout(
        barmode="stack",
        yaxis={
            "categoryorder": "array",
            "categoryarray": totals.sort_values("adherents")["lieu"].map(plotly_text).tolist(),
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
            f"Adhérents actifs {scope}, par {level} de leur siège : "
            f"{md(top['lieu'])} en compte le plus ({number(top['adherents'])}) ; "
            f"{plural((totals['adherents'] == 0).sum(), level)} sans adhérent."
        ),
        sources=MEMBER_SOURCES,
        period=period,
        file_name=f"adherents_par_{level.replace('é', 'e')}.csv",
        columns={
            "lieu": (level.capitalize(), text),
            "adherents": ("Adhérents actifs", number),
            **{kind: (kind.capitalize(), number) for kind in kinds},
        },
        height=max(300, ROW_HEIGHT * len(totals) + 80),
    )


def _over_time(frame: pd.DataFrame, scope: str, period: str) -> None:
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
            f"Adhérents actifs {scope} : {number(first['actifs'])} fin {first['annee']}, "
            f"{number(last['actifs'])} aujourd'hui ; année record : {best['annee']} "
            f"({plural(best['adhesions'], 'adhésion')}). Adhésions et départs d'après les dates "
            "du registre."
        ),
        sources=MEMBER_SOURCES,
        period=period,
        file_name="adherents_par_annee.csv",
        columns={
            "annee": ("Année", text),
            "adhesions": ("Adhésions", number),
            "sorties": ("Départs", number),
            "actifs": ("Actifs au 31 décembre (aujourd'hui pour l'année en cours)", number),
        },
    )


def _objectives(series: pd.DataFrame) -> None:
    figure = new_figure()
    for i, (label, group) in enumerate(series.groupby("libelle", sort=False)):
        name = objective_name(label)
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
                f"{', '.join(percent(t, 0) for t in targets)}). "
                "Les réponses au registre des adhérents valent pour l'année de leur chargement, "
                "ou pour l'année que donne un fichier de réponses passées"
                + (f" ; {plural(single, 'objectif')} n'a encore qu'une mesure." if single else "."),
                *notes,
            ]
        ),
        sources=OBJECTIVE_SOURCES,
        period=f"{series['annee'].min()}-{series['annee'].max()}",
        file_name="objectifs_valeurs.csv",
        columns={
            "libelle": ("Objectif", text),
            "annee": ("Année", text),
            "valeur": ("Valeur", percent),
            "part_perimetre_avec_donnees": ("Part du périmètre avec données", percent),
        },
        height=600,  # its ten names below it, on a phone too
    )


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
    colours = _colours(kinds)
    left, right = st.columns(2)
    with left:
        _by_kind(view.by_subtype, colours, scope, period)
    with right:
        _by_place(view.by_place, colours, region_filter, scope, period)
    _over_time(view.by_year, scope, period)

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
_objectives(view.objectives)
footer(OBJECTIVE_SOURCES)
