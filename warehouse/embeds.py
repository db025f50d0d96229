"""The static embeds on disk: where they are served, and which publication they show.

Each chart of the dashboard also exists as files a partner's site can show without opening a
Streamlit session (``dashboard/embeds.py`` writes them after a publish): ``<slug>.svg``,
``<slug>.png``, ``<slug>.html`` and ``<slug>.csv``, in a versioned folder behind the link
``static/integrer`` (like the open data package, :class:`warehouse.versions.Versions`), served at
``/app/static/integrer/<fichier>``. The folder's ``manifest.json`` names the publication its
files were drawn from and each chart's key; the refresh reads it to know whether the embeds are
those of the public file, without starting anything heavy.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

# Which charts (see dashboard/embeds.py), and how long their images may take, in seconds. By
# default the national charts and the régions' (73, about 0.4 s each per format on two busy
# cores): the départements' 403 more took 5 minutes a publish, which `make run` would wait for;
# a deployment that wants them says « national,regions,departements ».
SCOPE, DEFAULT_SCOPE = "OBSERVATOIRE_INTEGRER", "national,regions"
DEADLINE, DEFAULT_DEADLINE_S = "OBSERVATOIRE_INTEGRER_DELAI", 180.0
# Why images are missing when the deadline stopped their drawing.
OVERRUN = "délai dépassé"
CURRENT = "integrer"
BUILDING = ".integrer-"
MANIFEST = "manifest.json"
# Under the app's root address, like the open data package's /app/static/donnees/.
URL_PATH = f"app/static/{CURRENT}"


def current(static: Path) -> Path:
    return static / CURRENT


def publication(public: Path) -> str | None:
    """The identity of the publication in the public file (run and time), None without one."""
    if not public.exists():
        return None
    with duckdb.connect(str(public), read_only=True) as con:
        row = con.execute("select id_execution, publie_le::varchar from publication").fetchone()
    return None if row is None else f"{row[0]} {row[1]}"


def manifest(static: Path) -> dict:
    """The manifest of the embeds served now ({} when none)."""
    try:
        return json.loads((current(static) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def up_to_date(static: Path, public: Path) -> bool:
    """Whether the embeds served now were drawn from the public file published now, all of
    them (a set cut short by its deadline is finished by the next refresh)."""
    served = manifest(static)
    if served.get("reason") == OVERRUN:
        return False
    return served.get("publication") is not None and served["publication"] == publication(public)
