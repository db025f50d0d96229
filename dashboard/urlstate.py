"""Filters live in the URL, so that any view can be shared and reopened as it was.

A page reads each filter with ``choice`` before drawing its widget, then writes the widgets'
values back with ``st.query_params.update``. A value the page does not know is said, never
executed nor echoed as Markdown: the warning shows only its letters, digits, spaces and dashes.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

SHOWN = 60


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
