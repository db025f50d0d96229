"""Réseau: the members by kind, by place and over time; the objectives year by year."""

from __future__ import annotations

from dashboard import db
from dashboard.components import (
    OBJECTIVE_NOTES,
    Chart,
    counts_axis,
    new_figure,
    objective_name,
)
from dashboard.db import per_publication
from dashboard.formats import OKABE_ITO, md, number, percent, plotly_text, plural, text
from dashboard.queries.network import member_types, network
from dashboard.queries.objectives import objectives_series

MEMBER_SOURCES = ["membres", "territoires"]
OBJECTIVE_SOURCES = ["membres", "contrats", "consommation", "production", "territoires"]
ROW_HEIGHT = 28


def _colours(kinds: list[str]) -> dict[str, str]:
    """One Okabe-Ito colour per kind of member, the same whatever the filter."""
    return {kind: OKABE_ITO[i % len(OKABE_ITO)] for i, kind in enumerate(kinds)}


@per_publication
def by_kind(kind: str | None, region: str | None, scope: str, period: str) -> Chart:
    """Active members by kind and sub-kind."""
    frame, colours = network(kind, region).by_subtype, _colours(member_types())
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
    return Chart(
        figure,
        frame,
        title="Adhérents actifs par type",
        summary=(
            f"{plural(frame['adherents'].sum(), 'adhérent actif', 'adhérents actifs')} "
            f"{scope} ; le premier sous-type est « {md(top['sous_type'])} » "
            f"({number(top['adherents'])})."
        ),
        sources=tuple(MEMBER_SOURCES),
        period=period,
        file_name="adherents_par_type.csv",
        columns={
            "sous_type": ("Sous-type", text),
            "type": ("Type", text),
            "adherents": ("Adhérents actifs", number),
        },
        height=max(260, ROW_HEIGHT * len(frame) + 80),
    )


@per_publication
def by_place(kind: str | None, region: str | None, scope: str, period: str) -> Chart:
    """Active members by région of their seat, or by département within a région."""
    frame, colours = network(kind, region).by_place, _colours(member_types())
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
    return Chart(
        figure,
        wide,
        title=f"Adhérents actifs par {level} du siège",
        summary=(
            f"Adhérents actifs {scope}, par {level} de leur siège : "
            f"{md(top['lieu'])} en compte le plus ({number(top['adherents'])}) ; "
            f"{plural((totals['adherents'] == 0).sum(), level)} sans adhérent."
        ),
        sources=tuple(MEMBER_SOURCES),
        period=period,
        file_name=f"adherents_par_{level.replace('é', 'e')}.csv",
        columns={
            "lieu": (level.capitalize(), text),
            "adherents": ("Adhérents actifs", number),
            **{kind: (kind.capitalize(), number) for kind in kinds},
        },
        height=max(300, ROW_HEIGHT * len(totals) + 80),
    )


@per_publication
def over_time(kind: str | None, region: str | None, scope: str, period: str) -> Chart:
    """Joins, exits and active members year by year."""
    frame = network(kind, region).by_year
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
    return Chart(
        figure,
        frame,
        title="Croissance du réseau",
        summary=(
            f"Adhérents actifs {scope} : {number(first['actifs'])} fin {first['annee']}, "
            f"{number(last['actifs'])} aujourd'hui ; année record : {best['annee']} "
            f"({plural(best['adhesions'], 'adhésion')}). Adhésions et départs d'après les dates "
            "du registre."
        ),
        sources=tuple(MEMBER_SOURCES),
        period=period,
        file_name="adherents_par_annee.csv",
        columns={
            "annee": ("Année", text),
            "adhesions": ("Adhésions", number),
            "sorties": ("Départs", number),
            "actifs": ("Actifs au 31 décembre (aujourd'hui pour l'année en cours)", number),
        },
    )


@per_publication
def objectives() -> Chart:
    """Every objective's value year by year, its target dotted."""
    sql, params = objectives_series()
    series = db.query(sql, *params)
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
    return Chart(
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
        sources=tuple(OBJECTIVE_SOURCES),
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
