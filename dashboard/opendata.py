"""The open data package, served by Streamlit's static file serving at stable addresses:
``/app/static/donnees/<fichier>`` always gives the files of the latest publish.

Streamlit serves the folder ``static`` beside the app's script, resolved once when the server
starts, and refuses any file whose real path leaves it. So ``dashboard/static`` is a link to the
home's package folder (``$OBSERVATOIRE_HOME/opendata``), made by ``observatoire dashboard``;
inside it, the link ``donnees`` that each publish swaps points to the current version.
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
    """Point ``dashboard/static`` at ``home``'s package folder (replacing the link atomically,
    so that a running server started on another home keeps the folder it resolved)."""
    home.opendata.mkdir(parents=True, exist_ok=True)
    link = STATIC.with_name(f".static-{uuid.uuid4().hex}")
    link.symlink_to(home.opendata, target_is_directory=True)
    os.replace(link, STATIC)
    return STATIC
