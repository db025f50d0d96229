"""Filters live in the URL, so that any view can be shared and reopened as it was.

A page reads each filter with ``choice`` before drawing its widget, then writes the widgets'
values back with ``st.query_params.update``. Each such widget has a key: without one, Streamlit
identifies a widget by its parameters too, its index among them, which the URL moves at each
choice; the next choice then went to a widget the page no longer drew, and was lost. A value
the page does not know is said, never executed nor echoed as Markdown: the warning shows only its
letters, digits, spaces and dashes.

Links to a view or to a published file start at the app's public address: the environment
variable ``OBSERVATOIRE_URL_PUBLIQUE`` when set (behind a proxy that rewrites the host), else
the address the browser reached the app at (``st.context.url``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

SHOWN = 60
PUBLIC_URL = "OBSERVATOIRE_URL_PUBLIQUE"


def _shown(value: str) -> str:
    """A URL value made harmless for Markdown: no link, image, directive or emphasis."""
    return "".join(c if c.isalnum() or c in " -" else "�" for c in value[:SHOWN])


def choice(param: str, options: Sequence[str], default: str) -> str:
    """The option named in the URL, or the default; an unknown value is said, never executed."""
    wanted = st.query_params.get(param)
    if wanted is None or wanted in options:
        return wanted or default
    st.warning(
        f"Valeur inconnue pour « {param} » dans l'adresse : « {_shown(wanted)} ». "
        "Affichage par défaut.",
        icon="❓",
    )
    return default


def index(param: str, options: Sequence[str], default: str) -> int:
    """Position of ``choice(...)`` in ``options``, for a selectbox or radio's ``index``."""
    return list(options).index(choice(param, options, default))


def _root_and_page() -> tuple[str, str]:
    """The app's root address, and the path of the page shown (empty for the home page).

    ``st.context.url`` is the browser's address of the page, without its query: the root
    followed by ``server.baseUrlPath`` and the page's own path."""
    url = urlsplit(st.context.url or "")
    base = st.get_option("server.baseUrlPath").strip("/")
    page = url.path.strip("/").removeprefix(base).strip("/")
    root = urlunsplit((url.scheme, url.netloc, f"/{base}" if base else "", "", ""))
    return os.environ.get(PUBLIC_URL, "").rstrip("/") or root, page


def page_path() -> str:
    """The url path of the page shown, without the app's root (empty for the home page)."""
    return _root_and_page()[1]


def view_url(embed: bool = False) -> str:
    """The address of this view: its page and its filters; ``embed`` adds Streamlit's
    ``embed=true``, which shows the page without menu nor toolbar, to be put in an iframe."""
    root, page = _root_and_page()
    params = ({"embed": "true"} if embed else {}) | st.query_params.to_dict()
    return f"{root}/{page}" + (f"?{urlencode(params)}" if params else "")


def app_url(path: str) -> str:
    """The address of ``path`` under the app's root, e.g. a static file's."""
    return f"{_root_and_page()[0]}/{path}"
