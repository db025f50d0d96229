"""The citation under every page: each source shown, its publisher, vintage and load date."""

from __future__ import annotations

import streamlit as st

from dashboard import data


def demo_banner(names: list[str]) -> None:
    """Say, at the top of the page, that some of the sources it shows are demo data."""
    sources = data.sources()
    demo = sources[sources["source"].isin(names) & sources["demo"]]
    if len(demo):
        st.warning(
            "**Données de démonstration** : "
            + ", ".join(demo["source"])
            + " — chiffres générés par le projet sur des territoires réels, pas mesurés.",
            icon="⚠️",
        )


def footer(names: list[str]) -> None:
    """Cite the sources ``names`` and the publication the page reads."""
    sources = data.sources()
    shown = sources[sources["source"].isin(names)]
    lines = [
        f"**Source** : {row.editeur} — {row.jeu_de_donnees} ({row.millesime}), "
        f"licence {row.licence}, chargé le {row.charge_le:%d/%m/%Y à %H:%M}."
        for row in shown.itertuples()
    ]
    publication = data.publication()
    lines.append(f"Publication du {publication['publie_le']:%d/%m/%Y à %H:%M} (heure de Paris).")
    st.divider()
    failed = data.failed_sources()
    if failed:
        st.warning(
            f"**Publication partielle** : {', '.join(failed)} en échec lors de ce "
            "rafraîchissement ; ces données restent celles de leur dernier chargement réussi.",
            icon="⚠️",
        )
    st.caption("  \n".join(lines))
