"""The files the dashboard serves as they are, through Streamlit's static file serving: the open
data package at stable addresses (``/app/static/donnees/<fichier>`` always gives the latest
publish's files) and the map outlines (``/app/static/cartes-<version>/…``). The publish writes
them all (``warehouse/opendata.py``, ``warehouse/outlines.py``); the dashboard only reads them.

Streamlit serves the folder ``static`` beside the app's script, resolved once when the server
starts, and refuses any file whose real path leaves it. Those files belong to the home, not to
the code: ``dashboard/static`` is a link to ``$OBSERVATOIRE_HOME/static``, made by
``observatoire dashboard``; inside it, the links ``donnees`` and ``cartes`` that each publish
swaps point to the current versions.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from warehouse import opendata
from warehouse.paths import Home

STATIC = Path(__file__).parent / "static"
# Where the current package's files are served, under the app's root address.
URL_PATH = f"app/static/{opendata.CURRENT}"


def serve(home: Home) -> Path:
    """Point ``dashboard/static`` at ``home``'s served files (replacing the link atomically, so
    that a running server started on another home keeps the folder it resolved). A real folder
    there (a checkout from before the link) is removed only when empty: nothing in the code's
    folders is deleted."""
    home.static.mkdir(parents=True, exist_ok=True)  # the link's target, before any publish
    if STATIC.is_dir() and not STATIC.is_symlink():
        try:
            STATIC.rmdir()
        except OSError:
            raise FileExistsError(
                f"{STATIC} est un dossier, pas un lien vers les fichiers publiés : déplacez-le "
                "(il ne contient que des contours de cartes, que chaque publication réécrit)."
            ) from None
    link = STATIC.with_name(f".static-{uuid.uuid4().hex}")
    link.symlink_to(home.static, target_is_directory=True)
    os.replace(link, STATIC)
    return STATIC
