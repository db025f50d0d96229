"""The citation under every page: each source shown, its publisher, vintage and load date."""

from __future__ import annotations

import re

import streamlit as st

from dashboard import db
from dashboard.formats import md


def demo_banner(names: list[str]) -> None:
    """Say, at the top of the page, that some of the sources it shows are demo data."""
    demo = [s.source for s in db.provenance().of(names) if s.demo]
    if demo:
        st.warning(
            "**Données de démonstration** : "
            + ", ".join(md(s) for s in demo)
            + " — chiffres générés par le projet sur des territoires réels, pas mesurés.",
            icon="⚠️",
        )


def population_vintage() -> str:
    """Which populations the figures use, as the territories' provenance says: « population
    municipale INSEE 2017 »."""
    for source in db.provenance().of(["territoires"]):
        year = re.search(r"populations? municipales? INSEE (\d{4})", source.vintage)
        if year:
            return f"population municipale INSEE {year[1]}"
    return "population municipale INSEE"


def footer(names: list[str]) -> None:
    """Cite the sources ``names`` and the publication the page reads."""
    provenance = db.provenance()
    lines = [
        f"**Source** : {md(s.publisher)} — {md(s.dataset)} ({md(s.vintage)}), "
        f"licence {md(s.licence)}, chargé le {s.loaded_at:%d/%m/%Y à %H:%M}."
        for s in provenance.of(names)
    ]
    lines.append(f"Publication du {provenance.published_at:%d/%m/%Y à %H:%M} (heure de Paris).")
    st.divider()
    failed = provenance.failed
    if failed:
        st.warning(
            f"**Publication partielle** : {', '.join(map(md, failed))} en échec lors de ce "
            "rafraîchissement ; ces données restent celles de leur dernier chargement réussi.",
            icon="⚠️",
        )
    st.caption("  \n".join(lines))
