"""Accueil: where each objective stands against its trajectory."""

from __future__ import annotations

from dashboard.components import (
    STATUSES,
    Chart,
    new_figure,
    objective_name,
    wrapped,
)
from dashboard.db import per_publication
from dashboard.formats import percent, text
from dashboard.queries.objectives import objectives_status

# Every source an objective is measured on: the home page cites them all.
SOURCES = [
    "membres",
    "contrats",
    "demarches",
    "consommation",
    "consommation_regions",
    "production",
    "production_regions",
    "emissions",
    "territoires",
]


@per_publication
def objectives_state() -> Chart:
    """Each objective's latest value against the value its trajectory expects."""
    status = objectives_status()
    shown = status[status["statut"] != "sans données"].iloc[::-1]
    names = shown["libelle"].map(lambda label: wrapped(objective_name(label)))
    figure = new_figure()
    for state, group in shown.groupby("statut", sort=False):
        figure.add_bar(
            y=names[group.index],
            x=group["valeur"],
            orientation="h",
            name=state,
            marker_color=STATUSES[state][2],
            customdata=group[["annee"]],
            hovertemplate="%{y} : %{x:.1%} en %{customdata[0]}<extra>" + state + "</extra>",
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
    return Chart(
        figure,
        status.drop(columns="serie"),
        title="Objectifs : valeur mesurée et trajectoire attendue",
        summary=(
            f"{len(shown)} objectifs mesurés, dont {late} en retard sur leur trajectoire ; "
            f"cible{'s' if len(targets) > 1 else ''} en pointillés : "
            f"{', '.join(percent(t, 0) for t in targets)}."
        ),
        sources=tuple(SOURCES),
        period=f"dernière année mesurée de chaque objectif ({shown['annee'].min()}-"
        f"{shown['annee'].max()})",
        file_name="objectifs_etat.csv",
        columns={
            "libelle": ("Objectif", text),
            "annee": ("Année", text),
            "valeur": ("Valeur", percent),
            "trajectoire": ("Trajectoire attendue", percent),
            "cible": ("Cible", lambda v: percent(v, 0)),
            "annee_cible": ("Année visée", text),
            "statut": ("Statut", text),
            "part_donnees": ("Part du périmètre avec données", lambda v: percent(v, 0)),
        },
        height=160 + 48 * len(shown),
    )
