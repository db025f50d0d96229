"""Building blocks the pages share: a chart with its source, its numbers and its data, a table in
French formats, a CSV button, the objectives' status badge and the « Partager / Intégrer »
control."""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import db, urlstate
from dashboard.formats import (
    OKABE_ITO,
    PLOTLY_FRENCH,
    PLOTLY_SEPARATORS,
    excel_csv,
    md,
    number,
    plain_csv,
    plotly_text,
)

# Column → its label, and how to write a value in French (see dashboard/formats.py).
Columns = Mapping[str, tuple[str, Callable[[Any], str]]]
PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    "locale": "fr",
    "locales": {"fr": PLOTLY_FRENCH},
}
# Beyond this many rows the numbers behind a chart go in a scrollable grid, not a plain table.
PLAIN_TABLE_ROWS = 40
# A phone's width for a table, in pixels (390 less the page's margins and an expander's), the width
# of a character and the padding of a cell, for :func:`fits_a_phone`.
PHONE_WIDTH, CHARACTER, CELL_PADDING = 320, 8, 24
# Height of an embedded view: a chart and its caption without scrolling, on most pages.
EMBED_HEIGHT = 720
# Start of the session state keys of the expanders and the popover whose content is written only
# once opened: True while open.
OPENED = "ouvert-"

# The colours of st.badge the statuses use.
BadgeColor = Literal["blue", "green", "orange", "violet", "gray"]
# Badge colour, icon, chart colour: the words say the status, colour and icon only repeat it.
STATUSES: dict[str, tuple[BadgeColor, str, str]] = {
    "atteint": ("violet", ":material/verified:", OKABE_ITO[3]),
    "en avance": ("blue", ":material/trending_up:", OKABE_ITO[0]),
    "sur la trajectoire": ("green", ":material/check_circle:", OKABE_ITO[2]),
    "en retard": ("orange", ":material/trending_down:", OKABE_ITO[5]),
    "année de référence": ("gray", ":material/flag:", "#8C8C8C"),
    "avant la référence": ("gray", ":material/history:", "#A6A6A6"),
    "sans référence": ("gray", ":material/timeline:", "#A6A6A6"),
    "sans données": ("gray", ":material/help:", "#BDBDBD"),
}
# What a reader must know to read an objective's series right.
OBJECTIVE_NOTES = {
    "trajectoire_tepos": (
        "Chaque territoire adhérent est comparé à la même trajectoire : de la couverture "
        "renouvelable de la France en 2015 à 100 % en 2050."
    ),
}


class FrozenFigure(go.Figure):
    """A figure no one changes once built, shared by every reader: ``st.plotly_chart`` asks for
    its ``to_dict()`` at every run, a deep copy of all its data (a tenth of a warm page run);
    this one makes it once and gives the same dict again, read only."""

    def to_dict(self) -> dict:
        made = self.__dict__.get("_as_dict")
        if made is None:
            made = self._as_dict = super().to_dict()
        return made


@dataclass(frozen=True)
class Chart:
    """A chart as a page shows it and an embed writes it: the figure, the rows behind it and the
    words around it. Built once per publication (:func:`dashboard.db.per_publication`), then
    shared by every reader: nothing may change it once built."""

    figure: go.Figure
    frame: pd.DataFrame = field(repr=False)
    title: str
    summary: str  # Markdown-safe: names from sources went through ``md``
    sources: tuple[str, ...]
    period: str
    file_name: str
    columns: Columns = field(repr=False)
    height: int = 380

    def __post_init__(self) -> None:
        self.figure.update_layout(height=self.height)
        object.__setattr__(self, "figure", FrozenFigure(self.figure))


def citation(names: list[str] | tuple[str, ...]) -> str:
    """Publishers of the sources ``names``, as the caption under a chart cites them (the footer
    of the page gives each dataset, vintage and licence)."""
    return " ; ".join(md(s.publisher) for s in db.provenance().of(names))


def objective_name(label: str) -> str:
    """The short name of an objective: its label before the colon, without parentheses."""
    return re.sub(r"\s*\(.*?\)", "", label.partition(" : ")[0])


def new_figure() -> go.Figure:
    """An empty figure with the dashboard's defaults: French separators, Okabe-Ito colours,
    legend on top in the order of the traces, tight margins. Pages may override any of them."""
    figure = go.Figure()
    figure.update_layout(
        separators=PLOTLY_SEPARATORS,
        colorway=OKABE_ITO,
        margin={"l": 8, "r": 10, "t": 30, "b": 0},
        # under the chart: above it, the tool bar covers it on a phone
        legend={
            "orientation": "h",
            "yref": "container",
            "yanchor": "bottom",
            "y": 0,
            "x": 0,
            "title": None,
            "traceorder": "normal",
        },
    )
    return figure


def wrapped(label: str, width: int = 24) -> str:
    """A category label from a source on lines of ``width`` characters at most, for a chart's
    axis: a long label on one line squashes the chart on a phone."""
    return "<br>".join(plotly_text(line) for line in textwrap.wrap(label, width)) or "–"


def counts_axis(largest: float) -> dict:
    """An axis of whole counts: no 0,5 tick when the counts are small."""
    return {"rangemode": "tozero", "tickformat": ",d", **({"dtick": 1} if largest <= 8 else {})}


def french(frame: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """The columns named in ``columns``, written in French and renamed, as text."""
    return pd.DataFrame({label: frame[name].map(write) for name, (label, write) in columns.items()})


def fits_a_phone(shown: pd.DataFrame) -> bool:
    """Whether a plain table of these texts fits a phone's width (:data:`PHONE_WIDTH`), its
    cells broken at spaces only: wider, the page or the table scrolls sideways, and a table that
    scrolls is out of reach of the keyboard."""
    widths = [
        max(len(word) for cell in (name, *values) for word in str(cell).split() or [""])
        for name, values in shown.items()
    ]
    return sum(CHARACTER * width + CELL_PADDING for width in widths) <= PHONE_WIDTH


@dataclass(frozen=True)
class Table:
    """A table written in French, ready to show (:func:`show_table`): as a plain table when
    ``plain`` (its cells escaped for Markdown, first column as index) or a grid."""

    shown: pd.DataFrame
    plain: bool


def written(frame: pd.DataFrame, columns: Columns) -> Table:
    """``frame`` in French formats, laid out as :func:`table` shows it: a builder of
    :mod:`dashboard.charts` makes it once per publication."""
    shown = french(frame, columns)
    if len(shown) <= PLAIN_TABLE_ROWS and fits_a_phone(shown):
        # st.table reads its cells and headers as Markdown: names from sources are escaped
        plain = shown.map(md).rename(columns=md)
        return Table(plain.set_index(plain.columns[0]), plain=True)
    return Table(shown, plain=False)


def show_table(table: Table) -> None:
    if table.plain:
        st.table(table.shown)
    else:
        st.dataframe(table.shown, hide_index=True, width="stretch")


def table(frame: pd.DataFrame, columns: Columns) -> None:
    """A table in French formats: plain HTML when short and narrow enough for a phone (read by
    screen readers), else a grid (it scrolls within itself and takes the keyboard's focus)."""
    show_table(written(frame, columns))


def csv_button(frame: pd.DataFrame, file_name: str, label: str = "Télécharger (CSV)") -> None:
    """The raw rows (column names of the public file) in two CSV files, each written when its
    button is clicked (a file given up front is written at every run of the page and fetched by
    the browser at every load to check its address): one for Excel in French
    (:func:`dashboard.formats.excel_csv`), one for programs (:func:`~dashboard.formats.plain_csv`).
    ``label`` names the second."""
    row = st.container(horizontal=True)
    row.download_button(
        "CSV pour Excel (français)",
        lambda: excel_csv(frame),
        file_name=file_name.removesuffix(".csv") + "_excel.csv",
        mime="text/csv",
        key=f"excel-{file_name}",
        on_click="ignore",
        icon=":material/table_view:",
    )
    row.download_button(
        label,
        lambda: plain_csv(frame),
        file_name=file_name,
        mime="text/csv",
        key=f"csv-{file_name}",
        on_click="ignore",
        icon=":material/download:",
    )


@contextmanager
def on_demand(label: str, key: str) -> Iterator[bool]:
    """An expander whose content the block writes only when it is open (opening it reruns the
    page): the browser renders what a collapsed expander holds as if it were shown, and grids
    and code blocks are the slowest elements to render."""
    expander = st.expander(label, key=OPENED + key, on_change="rerun")
    opened = expander.open
    assert opened is not None, "an expander with on_change='rerun' tracks whether it is open"
    with expander:
        yield opened


def chart(shown: Chart) -> None:
    """A chart, then what it says in words with its source and period, the numbers behind it
    (the text alternative) and the same rows as CSV."""
    st.markdown(f"### {shown.title}")
    st.plotly_chart(
        shown.figure,
        width="stretch",
        config=PLOTLY_CONFIG,
        alt=f"{shown.title}. {shown.summary}",
    )
    st.caption(f"{shown.summary} Source : {citation(shown.sources)} — {shown.period}.")
    table_on_demand(
        f"Les chiffres du graphique « {shown.title} »",
        f"chiffres-{shown.file_name}",
        shown.frame,
        shown.columns,
    )
    csv_button(shown.frame, shown.file_name, "Télécharger les données du graphique (CSV)")


def table_on_demand(label: str, key: str, frame: pd.DataFrame, columns: Columns) -> None:
    """:func:`table` behind an expander, written once the expander is opened."""
    with on_demand(label, key) as shown:
        if shown:
            table(frame, columns)


def listing(
    title: str, frame: pd.DataFrame, columns: Columns, file_name: str, key: str | None = None
) -> None:
    """A long list behind an expander, written once opened, then its rows as CSV. ``key`` keeps
    the expander open across views whose file names differ (default: the file name)."""
    table_on_demand(f"{title} ({number(len(frame))})", f"liste-{key or file_name}", frame, columns)
    csv_button(frame, file_name, "Télécharger la liste (CSV)")


def status_badge(status: str) -> None:
    color, icon, _ = STATUSES[status]
    st.badge(status, icon=icon, color=color)


def iframe(title: str) -> str:
    """The HTML that embeds this view in another site, in Streamlit's embed mode."""
    source = html.escape(urlstate.view_url(embed=True))
    return (
        f'<iframe src="{source}" title="{html.escape(title)}" width="100%" '
        f'height="{EMBED_HEIGHT}" style="border: 0" loading="lazy"></iframe>'
    )


def share(title: str) -> None:
    """The « Partager / Intégrer » control: the link to this view, filters included, and the
    ``<iframe>`` that embeds it. Once embedded, a link back to the full view instead. Call it
    once the page has written its filters into the URL."""
    if st.context.is_embedded:
        st.markdown(f"[Ouvrir cette vue dans l'observatoire]({urlstate.view_url()})")
        return
    # written only once opened: its code blocks took 0.48 s of the browser's time on Données
    popover = st.popover(
        "Partager / Intégrer", icon=":material/share:", key=f"{OPENED}partager", on_change="rerun"
    )
    with popover:
        if not popover.open:
            return
        st.markdown("**Lien vers cette vue**, filtres compris :")
        st.code(urlstate.view_url(), language=None, wrap_lines=True)
        st.markdown("**Intégrer cette vue** dans une page web :")
        st.code(iframe(title), language="html", wrap_lines=True)
        st.caption(
            "La vue intégrée garde ses filtres et s'affiche sans menu ni barre d'outils. "
            "Citez la source des données, indiquée sous chaque graphique."
        )
        static_embeds()


def static_embeds() -> None:
    """The view's charts that exist as static files (:mod:`dashboard.embeds`): their image and
    snapshot addresses and the ``<iframe>`` of the snapshot, which cost no session to show."""
    from dashboard import embeds

    found = embeds.offered(urlstate.page_path(), st.query_params.to_dict())
    if not found:
        return
    st.markdown(
        "**Intégrer une image fixe** : chaque graphique de cette vue existe aussi en image "
        "(SVG, PNG) et en page HTML sans script, avec sa source, mises à jour à chaque "
        "publication ; elles s'affichent sans ouvrir de session sur l'observatoire."
    )
    for slug, entry in found:
        st.caption(md(entry.get("title", slug)))
        st.code(embeds.share_code(slug, entry, urlstate.app_url), language="html", wrap_lines=True)
