"""Données: the series the quality checks flagged, year by year."""

from __future__ import annotations

from dashboard.components import Chart, counts_axis, new_figure
from dashboard.db import per_publication
from dashboard.formats import OKABE_ITO, named, number, plural, text
from dashboard.queries import data

LEVEL_CHOICES = {
    "tous": "Tous les niveaux",
    "epci": "EPCI",
    "departement": "Départements",
    "region": "Régions",
}
LEVEL_NAMES = {"epci": "EPCI", "departement": "département", "region": "région"}


@per_publication
def quality_by_year(sources: tuple[str, ...]) -> Chart:
    """Flagged series per year, stacked by level."""
    by_year = data.quality_by_year()
    figure = new_figure()
    for i, (level, group) in enumerate(by_year.groupby("niveau")):
        figure.add_bar(
            x=group["annee"],
            y=group["signalements"],
            name=LEVEL_CHOICES.get(level, level),
            marker_color=OKABE_ITO[i % len(OKABE_ITO)],
            hovertemplate="%{x} : %{y} signalements<extra>" + level + "</extra>",
        )
    figure.update_layout(
        barmode="stack",
        xaxis={"dtick": 1},
        yaxis=counts_axis(by_year.groupby("annee")["signalements"].sum().max()),
        hovermode="x unified",
    )
    peak = by_year.groupby("annee")["signalements"].sum().sort_values().index[-1]
    return Chart(
        figure,
        by_year,
        title="Séries signalées par année",
        summary=(
            f"{plural(by_year['signalements'].sum(), 'signalement')} en tout ; le plus en {peak}."
        ),
        sources=sources,
        period=f"{by_year['annee'].min()}-{by_year['annee'].max()}",
        file_name="qualite_par_annee.csv",
        columns={
            "annee": ("Année", text),
            "niveau": ("Niveau", named(LEVEL_NAMES)),
            "signalements": ("Signalements", number),
        },
        height=320,
    )
