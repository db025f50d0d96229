"""Streamlit's command line, with the libraries every page imports already loaded (the first
visitor after a start would otherwise wait for pandas, Plotly, DuckDB and PyArrow to import: 1.5 s
on two cores) and Streamlit's browser files served in French. ``observatoire dashboard`` and
``partenaires`` run it.

Streamlit has no language setting: its ``index.html`` says ``<html lang="en">`` and a few texts
of its widgets are written in its JavaScript (« Choose an option », « No results », « Skip to
main content »). Streamlit serves those files from ``file_util.get_static_dir()``; this module
points it at a copy made at start, in a temporary folder: links to Streamlit's files, except the
few rewritten here (:data:`REWRITES`).

The copy of ``index.html`` also tells the client where the app's root is
(``window.__streamlit.BACKEND_BASE_URL``, read by Streamlit's client before it connects): opened
at a page's address (``/territoire``), the client otherwise first tries that page as the app's
root, asks for ``/territoire/_stcore/health`` and ``/territoire/_stcore/host-config``, gets two
404 and logs them as errors before it tries ``/``. The root is the folder the page's address is
in (``new URL("./", location.href)``), as for the relative addresses of Streamlit's own
scripts: right behind a proxy that serves the app under a path too.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import stat
import tempfile
from pathlib import Path

import duckdb  # noqa: F401
import pandas  # noqa: F401
import plotly.graph_objects  # noqa: F401
import pyarrow  # noqa: F401
from streamlit import file_util
from streamlit.web import cli

log = logging.getLogger(__name__)

PREFIX = "observatoire-streamlit-"  # then the server's process id: see :func:`sweep`

CHARSET = '<meta charset="UTF-8" />'
ROOT = '<script>window.__streamlit = {BACKEND_BASE_URL: new URL("./", location.href).href}</script>'
NOSCRIPT = "<noscript><p>Cette page a besoin de JavaScript pour s'afficher.</p></noscript>"
# File name pattern → exact texts of Streamlit's files and what replaces them: their French, and
# the point st.metric's small chart highlights hidden from screen readers (an image without a
# name to them: axe-core's « svg-img-alt »; the metric's value says it). A text not found (a new
# Streamlit release) is logged and left as it is, never guessed.
REWRITES: dict[str, list[tuple[str, str]]] = {
    "index.html": [('<html lang="en">', '<html lang="fr">'), (CHARSET, f"{CHARSET}\n    {ROOT}")],
    "index.*.js": [
        ("`Skip to main content`", "`Aller au contenu principal`"),
        ("`Collapse sidebar`", "`Replier le menu`"),
        ("`Expand sidebar`", "`Déplier le menu`"),
        ("`Main menu`", "`Menu principal`"),
    ],
    "utils.*.js": [
        ("`Choose an option`", "`Choisissez une option`"),
        ("`Choose options`", "`Choisissez des options`"),
    ],
    "Selectbox.*.js": [
        ("`No results`", "`Aucun résultat`"),
        ("`Selectbox options`", "`Options de la liste`"),
        ("`Clear value`", "`Effacer`"),
    ],
    "Multiselect.*.js": [("`No results`", "`Aucun résultat`"), ("`Clear all`", "`Tout effacer`")],
    "DataFrame.*.js": [
        ("label:`Search`", "label:`Rechercher`"),
        ("`Download as CSV`", "`Télécharger en CSV`"),
        ("`Show/hide columns`", "`Afficher ou masquer des colonnes`"),
    ],
    "Toolbar.*.js": [("`Fullscreen`", "`Plein écran`"), ("`Close fullscreen`", "`Quitter`")],
    "PlotlyChart.*.js": [("`Fullscreen`", "`Plein écran`"), ("`Close fullscreen`", "`Quitter`")],
    "Metric.*.js": [
        (
            "mark:{type:`point`,filled:!0,size:65,tooltip:!0}",
            "mark:{type:`point`,filled:!0,size:65,tooltip:!0,aria:!1}",
        )
    ],
}


def rewritten(name: str, text: str, found: set[str]) -> str:
    """``text`` of Streamlit's browser file ``name``, the texts of :data:`REWRITES` replaced;
    adds those it found to ``found``."""
    for pattern, pairs in REWRITES.items():
        if Path(name).match(pattern):
            for english, translated in pairs:
                if english in text:
                    found.add(english)
                    text = text.replace(english, translated)
    if name == "index.html":
        start, end = text.find("<noscript>"), text.find("</noscript>")
        if 0 <= start < end:
            text = text[:start] + NOSCRIPT + text[end + len("</noscript>") :]
    return text


def static_copy(source: Path, target: Path) -> None:
    """``target`` made like Streamlit's folder of browser files ``source``: links to its files,
    except the ones :data:`REWRITES` changes."""
    found: set[str] = set()
    for folder, _, names in os.walk(source):
        here = target / Path(folder).relative_to(source)
        here.mkdir(exist_ok=True)
        for name in names:
            original = Path(folder) / name
            if any(Path(name).match(pattern) for pattern in REWRITES):
                text = rewritten(name, original.read_text("utf-8"), found)
                (here / name).write_text(text, "utf-8")
            else:
                (here / name).symlink_to(original)
    for english in {e for pairs in REWRITES.values() for e, _ in pairs} - found:
        log.warning("Streamlit's %r not found: left in English", english)


def sweep(folder: Path) -> None:
    """Remove the copies in ``folder`` that servers killed without their exit (a SIGKILL, the
    kernel's OOM killer) left behind: this user's, whose process is gone."""
    for left in folder.glob(f"{PREFIX}*-*"):
        pid = left.name.removeprefix(PREFIX).partition("-")[0]
        try:
            info = left.lstat()
            if not (pid.isdigit() and stat.S_ISDIR(info.st_mode)) or info.st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(left, ignore_errors=True)
        except OSError:  # gone meanwhile, or a process of another user's
            continue


def serve_rewritten() -> None:
    """Make Streamlit serve its browser files from a copy with :data:`REWRITES`, removed at exit
    (and by the next start, if this server is killed)."""
    sweep(Path(tempfile.gettempdir()))
    target = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    static_copy(Path(file_util.get_static_dir()), target)
    file_util.get_static_dir = lambda: str(target)


if __name__ == "__main__":
    serve_rewritten()
    cli.main(prog_name="streamlit")
