"""Contrats: signatures month by month, and the share of the territories under contract."""

from __future__ import annotations

import pandas as pd

from dashboard.components import Chart, counts_axis, new_figure
from dashboard.db import per_publication
from dashboard.formats import OKABE_ITO, day, month, number, percent, plotly_text, plural, text
from dashboard.queries.contracts import contracts
from dashboard.queries.objectives import objective
from dashboard.sources import population_vintage

SOURCES = ["contrats", "territoires"]
# The objective « un contrat sur chaque territoire », whose target year the coverage marks.
OBJECTIVE = "contrats_partout"


@per_publication
def signatures(kind: str | None, region: str | None, scope: str) -> Chart | None:
    """Contracts signed month by month, stacked by wave (None: none of them is dated)."""
    frame = contracts(kind, region).signatures
    if frame.empty:
        return None
    figure = new_figure()
    for i, (wave, group) in enumerate(frame.groupby("vague", sort=False)):
        figure.add_bar(
            x=group["mois"],
            y=group["contrats"],
            name=plotly_text(wave),
            marker_color=OKABE_ITO[i % len(OKABE_ITO)],
            hovertemplate="%{x|%m/%Y} : %{y} contrats<extra>" + plotly_text(wave) + "</extra>",
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
    return Chart(
        figure,
        frame,
        title="Signatures par mois",
        summary=(
            f"{plural(frame['contrats'].sum(), 'contrat daté', 'contrats datés')} {scope}, "
            f"signés entre {month(frame['mois'].min())} et {month(frame['mois'].max())} ; "
            f"mois le plus chargé : {month(busiest)}."
        ),
        sources=tuple(SOURCES),
        period=f"{frame['mois'].min():%Y}-{frame['mois'].max():%Y}",
        file_name="signatures_par_mois.csv",
        columns={
            "mois": ("Mois", month),
            "vague": ("Vague", text),
            "contrats": ("Contrats signés", number),
        },
    )


@per_publication
def coverage(kind: str | None, region: str | None, scope: str) -> Chart:
    """Share of the EPCI and of their population under a signed contract, day by day."""
    frame = contracts(kind, region).coverage
    target_year = int(objective(OBJECTIVE)["annee_cible"])
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
        annotation_text=f"cible : chaque territoire en {target_year}",
        annotation_position="bottom right",
    )
    figure.update_layout(
        yaxis={"tickformat": ".0%", "range": [0, 1.05]},
        xaxis={"tickformat": "%Y", "title": None},
        hovermode="x unified",
    )
    today = frame.iloc[-1]
    at_target = frame[frame["date"] <= pd.Timestamp(target_year, 12, 31)]
    reached = percent(at_target.iloc[-1]["part_epci"]) if len(at_target) else "–"
    return Chart(
        figure,
        frame,
        title="Part des territoires sous contrat",
        summary=(
            f"Au {day(today['date'])}, {plural(today['epci_couverts'], 'EPCI', 'EPCI')} sur "
            f"{number(today['epci'])} {scope} sont couverts par un contrat signé "
            f"({percent(today['part_epci'])} des EPCI, {percent(today['part_population'])} de "
            f"leur population) ; fin {target_year}, année visée : {reached} des EPCI."
        ),
        sources=tuple(SOURCES),
        period=f"signatures jusqu'au {day(today['date'])}, {population_vintage()}",
        file_name="couverture_contrats.csv",
        columns={
            "date": ("Date", day),
            "epci_couverts": ("EPCI couverts", number),
            "epci": ("EPCI", number),
            "part_epci": ("Part des EPCI", percent),
            "part_population": ("Part de la population", percent),
        },
    )
