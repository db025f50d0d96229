"""The files the dashboard serves as they are, through Streamlit's static file serving: the open
data package at stable addresses (``/app/static/donnees/<fichier>`` always gives the latest
publish's files) and the map outlines (``/app/static/cartes/…``).

Streamlit serves the folder ``static`` beside the app's script, resolved once when the server
starts, and refuses any file whose real path leaves it. Those files belong to the home, not to
the code: ``dashboard/static`` is a link to ``$OBSERVATOIRE_HOME/static``, made by
``observatoire dashboard``; inside it, the link ``donnees`` that each publish swaps points to the
package's current version.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from warehouse import opendata
from warehouse.paths import Home

STATIC = Path(__file__).parent / "static"
# Where the current package's files are served, under the app's root address.
URL_PATH = f"app/static/{opendata.CURRENT}"


def serve(home: Home) -> Path:
    """Point ``dashboard/static`` at ``home``'s served files (replacing the link atomically, so
    that a running server started on another home keeps the folder it resolved)."""
    home.static.mkdir(parents=True, exist_ok=True)
    if STATIC.is_dir() and not STATIC.is_symlink():  # a checkout from before the link
        shutil.rmtree(STATIC)  # held only map outlines, derived again from the public file
    link = STATIC.with_name(f".static-{uuid.uuid4().hex}")
    link.symlink_to(home.static, target_is_directory=True)
    os.replace(link, STATIC)
    return STATIC
