"""Static embeds: each chart of the dashboard also written as files, for partners' sites to show
without opening a Streamlit session per visitor. For each chart: ``<slug>.svg`` and
``<slug>.png`` (the same figure as the page, drawn by Kaleido in Chromium), ``<slug>.html`` (a
snapshot without any script: title, image, summary, source line, datasets, links to the CSV and
to the live view) and ``<slug>.csv`` (the rows behind it, as the page's CSV button gives them).

Run after each publish that changed the public file (``flows/embeds.py`` starts
``python -m dashboard.embeds`` in a process of its own, so that Chromium and the charts' caches
never weigh on the refresh). The set is written in a new version folder and swapped in behind
the link ``static/integrer`` (:mod:`warehouse.embeds`): a reader sees the previous set or the
new one, never half of one. Each chart is keyed by a hash of its figure as drawn (its data,
title and source line): a chart whose key is the previous set's reuses its images (hard links),
so only what changed is drawn again. Without Chromium, or past the time given, the snapshots
and CSV are still written, without image, and the summary printed last says which images are
missing and why. Maps (Carte) are not written: their outlines are served as a URL that
Chromium would have to fetch.

Which charts (``--portee`` or ``OBSERVATOIRE_INTEGRER``, comma separated): ``national`` (home,
réseau, contrats, données, unfiltered), ``regions`` and ``departements`` (each one's
consumption, production, coverage and peers), or single territories (``region:84``,
``departement:69``); ``aucun`` writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import json
import logging
import os
import re
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import plotly.graph_objects as go

from dashboard import db
from dashboard.charts import accueil, contrats, donnees, reseau, territoire
from dashboard.components import Chart
from dashboard.formats import day, md, plain_csv, plotly_text
from dashboard.queries.territory import territories
from dashboard.urlstate import PUBLIC_URL
from warehouse import embeds as served
from warehouse.paths import Home
from warehouse.versions import Versions

# The width the images are drawn at: the page's main column on a laptop. Their height is the
# chart's own.
WIDTH = 800
# What a snapshot may load: its own images and inline style; no script, no frame, no form.
CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)
STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "padding:.5rem;color:#262730;background:#fff;line-height:1.4}"
    "h1{font-size:1.2rem;margin:.2rem 0 .5rem}img{max-width:100%;height:auto}"
    "figure{margin:0}p{margin:.4rem 0}.source{font-size:.85rem;color:#555}"
)
# The network's filters whose values mean « all »: a chart of the whole network is offered on
# the Réseau and Contrats views only when they show it.
ALL = {"type": "tous", "region": "toutes"}
# Room above the page's figure for the title and the source line, drawn into the images so that
# an image shown alone still cites its source.
HEADING = 36
# A source line longer than this many characters goes on to the next line, each line this high.
SOURCE_WIDTH, SOURCE_LINE = 120, 17
# Room under a snapshot's image for its title and caption, in pixels.
SNAPSHOT_TEXT = 200
TERRITORY_CHARTS = ("consommation", "production", "couverture", "comparables")
NATIONAL = {
    "": ["accueil-objectifs"],
    "reseau": ["reseau-types", "reseau-lieux", "reseau-croissance"],
    "contrats": ["contrats-signatures", "contrats-couverture"],
    "donnees": ["donnees-qualite"],
}


@dataclass(frozen=True)
class Embed:
    """One chart to write: its file names' stem, and the live view it comes from."""

    slug: str
    chart: Chart
    page: str  # the view's url path ("" for the home page)
    params: dict[str, str]
    subject: str = ""  # the territory's name, as its source wrote it (the page shows it above)

    @property
    def title(self) -> str:
        """The chart's title, after the territory's name when the page says it elsewhere."""
        return f"{self.subject} — {self.chart.title}" if self.subject else self.chart.title


@dataclass
class Summary:
    """What a run wrote, printed as JSON on its last line for the refresh to report."""

    charts: int = 0
    rendered: int = 0
    reused: int = 0
    without_image: list[str] = field(default_factory=list)
    reason: str | None = None
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    render_seconds: float = 0.0
    folder: str | None = None


def slugs_for_view(page: str, params: dict[str, str]) -> list[str]:
    """The charts of the view ``page`` (url path) with filters ``params`` that have a static
    embed, whatever the set holds now: the national charts only where the view shows them
    unfiltered, a territory's for a région or a département."""
    if page == "territoire":
        level, code = params.get("niveau", "region"), params.get("code", "84")
        if level in ("region", "departement"):
            return [f"territoire-{level}-{code}-{chart}" for chart in TERRITORY_CHARTS]
        return []
    unfiltered = all(params.get(key, value) == value for key, value in ALL.items())
    if page == "reseau":
        return (NATIONAL["reseau"] if unfiltered else []) + ["reseau-objectifs"]
    if page == "contrats":
        return NATIONAL["contrats"] if unfiltered else []
    return NATIONAL.get("" if page == "accueil" else page, [])  # the home page answers both


def offered(page: str, params: dict[str, str]) -> list[tuple[str, dict]]:
    """The static embeds the set served now holds for this view: (slug, its manifest entry)."""
    charts = served.manifest(Home.from_env().static).get("charts", {})
    return [(slug, charts[slug]) for slug in slugs_for_view(page, params) if slug in charts]


def share_code(slug: str, entry: dict, url: Callable[[str], str]) -> str:
    """The addresses of one chart's static embed, and the ``<iframe>`` of its snapshot
    (``url`` makes a path under the app's root absolute)."""
    base = f"{served.URL_PATH}/{slug}"
    snapshot = html.escape(url(f"{base}.html"))
    lines = [f"Instantané HTML : {url(f'{base}.html')}"]
    if entry.get("images"):
        lines += [f"Image SVG : {url(f'{base}.svg')}", f"Image PNG : {url(f'{base}.png')}"]
    lines += [f"Données (CSV) : {url(f'{base}.csv')}", ""]
    lines.append(
        f'<iframe src="{snapshot}" title="{html.escape(entry.get("title", ""))}" width="100%" '
        f'height="{entry.get("height", 520)}" style="border: 0" loading="lazy"></iframe>'
    )
    return "\n".join(lines)


def unmarkdown(text: str) -> str:
    """A text escaped for Markdown by :func:`dashboard.formats.md` as its plain characters."""
    return re.sub(r"\\(.)", r"\1", text)


def _scope(value: str) -> tuple[bool, set[str], set[tuple[str, str]]]:
    """The scope's words: national charts or not, levels whole, single territories."""
    words = {w.strip() for w in value.split(",") if w.strip()} - {"aucun"}
    levels = {w.removesuffix("s") for w in words if w in ("regions", "departements")}
    single = {tuple(w.split(":", 1)) for w in words if ":" in w}
    return "national" in words, levels, {(lv, c) for lv, c in single}


def _embeds(scope: str, skipped: list[str]) -> Iterator[Embed]:
    """Every chart in ``scope``, built as the pages build it. A chart that cannot be built (no
    rows) is skipped and named."""
    national, levels, single = _scope(scope)

    def built(slug: str, build: Callable[[], Any]) -> Any:
        try:
            return build()
        except Exception as error:  # an empty selection (iloc[0]) must not stop the others
            skipped.append(f"{slug} ({type(error).__name__}: {error})")
            return None

    jobs: list[tuple[str, Callable[[], Any], str, dict[str, str]]] = []
    if national:
        period = f"situation au {day(db.provenance().published_at)}"
        network = "de tout le réseau"
        jobs += [
            ("accueil-objectifs", accueil.objectives_state, "", {}),
            (
                "reseau-types",
                lambda: reseau.by_kind(None, None, network, period),
                "reseau",
                dict(ALL),
            ),
            (
                "reseau-lieux",
                lambda: reseau.by_place(None, None, network, period),
                "reseau",
                dict(ALL),
            ),
            (
                "reseau-croissance",
                lambda: reseau.over_time(None, None, network, period),
                "reseau",
                dict(ALL),
            ),
            ("reseau-objectifs", reseau.objectives, "reseau", dict(ALL)),
            (
                "contrats-signatures",
                lambda: contrats.signatures(None, None, "en France"),
                "contrats",
                dict(ALL),
            ),
            (
                "contrats-couverture",
                lambda: contrats.coverage(None, None, "en France"),
                "contrats",
                dict(ALL),
            ),
            (
                "donnees-qualite",
                lambda: donnees.quality_by_year(("consommation", "production", "territoires")),
                "donnees",
                {},
            ),
        ]
    for slug, build, page, params in jobs:
        chart = built(slug, build)
        if chart is not None:
            yield Embed(slug, chart, page, params)
    if not (levels or single):
        return
    places = territories()
    for level, code, nom in places[["niveau", "code", "nom"]].itertuples(index=False):
        if level not in levels and (level, code) not in single:
            continue
        if not re.fullmatch(r"[0-9A-Za-z]+", code):  # a code becomes a file name
            skipped.append(f"{level} {code!r} (code inattendu)")
            continue
        name, stem = md(nom), f"territoire-{level}-{code}"
        params = {"niveau": level, "code": code}

        def charts(level: str = level, code: str = code, name: str = name) -> list:
            coverage, _, year = territoire.coverage(level, code, name)
            peers = territoire.peers(level, code, name) if year is not None else None
            return [
                territoire.consumption(level, code, name),
                territoire.production(level, code, name),
                coverage,
                peers,
            ]

        made = built(stem, charts)
        for kind, chart in zip(TERRITORY_CHARTS, made or [], strict=True):
            if chart is not None:
                yield Embed(f"{stem}-{kind}", chart, "territoire", params, nom)


def _publishers(chart: Chart) -> str:
    # a no-break space before the semicolon, as French writes it: no line starts with it
    return "\u00a0; ".join(dict.fromkeys(s.publisher for s in db.provenance().of(chart.sources)))


def _source_lines(embed: Embed) -> list[str]:
    """The image's source line, on as many lines as it needs."""
    chart = embed.chart
    source = f"Source : {_publishers(chart)} — {unmarkdown(chart.period)}"
    return textwrap.wrap(source, SOURCE_WIDTH) or [source]


def _heading(embed: Embed) -> int:
    return HEADING + SOURCE_LINE * len(_source_lines(embed))


def _height(embed: Embed) -> int:
    return int(embed.chart.figure.layout.height or embed.chart.height) + _heading(embed)


def static_figure(embed: Embed) -> go.Figure:
    """The page's figure as an image shows it: its title and source line above it (texts from
    sources escaped for Plotly), every axis making room for its labels (the page's theme does
    it in the browser)."""
    # the page's figure was validated when built: copied without validating again (a third of
    # the time of an unchanged set)
    figure = go.Figure(embed.chart.figure, _validate=False)
    figure.update_xaxes(automargin=True)
    figure.update_yaxes(automargin=True)
    if any(getattr(trace, "orientation", None) == "h" for trace in figure.data):
        # automargin sets a label flush with the image's edge, where a viewer may crop its
        # first letter: two blank spaces before each name keep it off the edge
        figure.update_yaxes(tickprefix="\u00a0\u00a0")
    figure.update_layout(
        # a no-break space between thousands: fonts without the narrow one (Liberation Sans,
        # Chromium's Arial) drew « 1600 »
        separators=",\u00a0",
        title={
            "text": plotly_text(embed.title),
            "x": 0.01,
            "xanchor": "left",
            # at the top, its source lines under it: centred in the margin, they overran it
            "yref": "container",
            "y": 1 - 10 / _height(embed),
            "yanchor": "top",
            "subtitle": {"text": "<br>".join(plotly_text(s) for s in _source_lines(embed))},
        },
        margin={"t": figure.layout.margin.t + _heading(embed), "l": 30},
        height=_height(embed),
    )
    return figure


def _live_url(embed: Embed) -> str:
    """The live view's address: absolute under the public address when known, else relative
    to the snapshot's (``<racine>/app/static/integrer/x.html`` → ``<racine>/``)."""
    root = os.environ.get(PUBLIC_URL, "").rstrip("/")
    path = embed.page + (f"?{urlencode(embed.params)}" if embed.params else "")
    return f"{root}/{path}" if root else f"../../../{path}"


def _snapshot(embed: Embed, image: bool, live: str) -> str:
    """The HTML snapshot: every text from the sources escaped, no script."""
    chart = embed.chart
    e = html.escape
    sources = db.provenance().of(chart.sources)
    summary = unmarkdown(chart.summary)
    publishers = _publishers(chart)
    datasets = " ; ".join(f"{s.dataset} ({s.vintage}, {s.licence})" for s in sources)
    demo = [s.source for s in sources if s.demo]
    figure = (
        f'<img src="{e(embed.slug)}.svg" alt="{e(summary)}" width="{WIDTH}" '
        f'height="{_height(embed)}">'
        if image
        else "<p><em>Image non disponible : les chiffres sont dans le CSV ci-dessous.</em></p>"
    )
    lines = [
        "<!doctype html>",
        '<html lang="fr">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(embed.title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<figure>",
        f"<h1>{e(embed.title)}</h1>",
        figure,
        "<figcaption>",
        f"<p>{e(summary)}</p>",
        f'<p class="source">Source : {e(publishers)} — {e(unmarkdown(chart.period))}.</p>',
        f'<p class="source">Jeux de données : {e(datasets)}.</p>',
        *(
            [
                '<p class="source"><strong>Données de démonstration</strong> (fictives) : '
                f"{e(', '.join(demo))}.</p>"
            ]
            if demo
            else []
        ),
        f'<p><a href="{e(embed.slug)}.csv" download>Les données du graphique (CSV)</a> · '
        f'<a href="{e(live)}" target="_blank" rel="noopener">'
        "Voir dans l'observatoire du réseau CLER</a></p>",
        "</figcaption>",
        "</figure>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(lines)


def kaleido_version() -> str:
    """Kaleido's version: another may draw the same figure otherwise."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kaleido")
    except PackageNotFoundError:
        return "absent"


def _key(figure: go.Figure) -> str:
    """What the chart's images are drawn from: the figure as drawn (its title and source line
    included), the width and Kaleido's version. The snapshot and the CSV are written again
    each time: a few milliseconds."""
    digest = hashlib.sha256(figure.to_json().encode())
    digest.update(f"{WIDTH} {kaleido_version()}".encode())
    return digest.hexdigest()


async def _render(
    jobs: list[tuple[Embed, go.Figure, Path]], deadline: float, failed: dict[str, str]
) -> tuple[int, str | None]:
    """Draw each job's SVG and PNG; return how many were drawn, and why the others were not
    (``failed`` gets the slugs of those that failed one by one)."""
    import kaleido

    drawn = 0
    if time.monotonic() > deadline:  # no time left: Chromium is not even started
        return drawn, served.OVERRUN
    try:
        async with kaleido.Kaleido(n=1, timeout=30, mathjax=False) as browser:
            for embed, figure, stem in jobs:
                if time.monotonic() > deadline:
                    return drawn, served.OVERRUN
                size = {"width": WIDTH, "height": _height(embed)}
                try:
                    for form in ("svg", "png"):
                        await browser.write_fig(
                            figure,
                            path=stem.with_suffix(f".{form}"),
                            opts={"format": form, **size},
                            cancel_on_error=True,
                        )
                    drawn += 1
                except Exception as error:
                    failed[embed.slug] = f"{type(error).__name__}: {error}"[:200]
                    for form in ("svg", "png"):
                        stem.with_suffix(f".{form}").unlink(missing_ok=True)
    except Exception as error:  # no Chromium, or one that does not start
        browser_path = os.environ.get("BROWSER_PATH")
        where = f" (BROWSER_PATH={browser_path})" if browser_path else ""
        first = str(error).split(". ")[0][:200]  # Kaleido's message goes on with how to install
        return drawn, f"Chromium indisponible{where} : {type(error).__name__}: {first}"
    return drawn, None


def _reuse(previous: Path, stem: Path) -> bool:
    """Hard-link the previous set's images of this chart into the new one (a copy across
    file systems)."""
    import shutil

    try:
        for form in ("svg", "png"):
            source, target = previous / f"{stem.name}.{form}", stem.with_suffix(f".{form}")
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)
        return True
    except OSError:
        for form in ("svg", "png"):
            stem.with_suffix(f".{form}").unlink(missing_ok=True)
        return False


def write(
    home: Home, scope: str = served.DEFAULT_SCOPE, deadline_s: float = served.DEFAULT_DEADLINE_S
) -> Summary:
    """Write the embeds of ``home``'s public file, reusing the images of unchanged charts, and
    make them the served set."""
    started = time.monotonic()
    deadline = started + deadline_s
    summary = Summary()
    previous_manifest = served.manifest(home.static)
    previous_charts = previous_manifest.get("charts", {})
    previous = served.current(home.static).resolve()
    versions = Versions(home.static, served.CURRENT, served.BUILDING)
    build = versions.start()
    charts: dict[str, dict] = {}
    to_draw: list[tuple[Embed, go.Figure, Path]] = []
    written: list[tuple[Embed, str]] = []
    for embed in _embeds(scope, summary.skipped):
        stem = build / embed.slug
        csv = plain_csv(embed.chart.frame)
        live = _live_url(embed)
        figure = static_figure(embed)
        key = _key(figure)
        stem.with_suffix(".csv").write_bytes(csv)
        before = previous_charts.get(embed.slug, {})
        if before.get("key") == key and before.get("images") and _reuse(previous, stem):
            summary.reused += 1
        else:
            to_draw.append((embed, figure, stem))
        charts[embed.slug] = {
            "key": key,
            "title": embed.title,
            # the snapshot's height in an <iframe>: image, title and caption
            "height": _height(embed) + SNAPSHOT_TEXT,
        }
        written.append((embed, live))
    failed: dict[str, str] = {}
    if to_draw:
        render_started = time.monotonic()
        summary.rendered, summary.reason = asyncio.run(_render(to_draw, deadline, failed))
        summary.render_seconds = round(time.monotonic() - render_started, 3)
    for embed, live in written:
        image = (build / f"{embed.slug}.svg").exists() and (build / f"{embed.slug}.png").exists()
        charts[embed.slug]["images"] = image
        if not image:
            summary.without_image.append(embed.slug)
        (build / f"{embed.slug}.html").write_text(_snapshot(embed, image, live), encoding="utf-8")
    if failed and summary.reason is None:
        summary.reason = "; ".join(f"{slug} : {why}" for slug, why in list(failed.items())[:3])
    summary.charts = len(charts)
    (build / served.MANIFEST).write_text(
        json.dumps(
            {
                "publication": served.publication(home.public),
                "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "scope": scope,
                "charts": charts,
                "without_image": summary.without_image,
                "reason": summary.reason,
                "skipped": summary.skipped,
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    summary.folder = str(versions.finish(build, stamp))
    summary.seconds = round(time.monotonic() - started, 3)
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dashboard.embeds", description=__doc__)
    parser.add_argument("--portee", default=os.environ.get(served.SCOPE, served.DEFAULT_SCOPE))
    parser.add_argument(
        "--delai",
        type=float,
        default=float(os.environ.get(served.DEADLINE, served.DEFAULT_DEADLINE_S)),
        help="secondes au-delà desquelles les graphiques restants sont écrits sans image",
    )
    args = parser.parse_args(argv)
    # builders are cached with st.cache_resource, which warns once outside a Streamlit server
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    summary = write(Home.from_env(), args.portee, args.delai)
    sys.stdout.write(json.dumps(summary.__dict__, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
