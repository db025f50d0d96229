"""Entry point: ``streamlit run dashboard/app.py`` (or ``observatoire dashboard``)."""

from __future__ import annotations

import streamlit as st

st.set_page_config(
    page_title="Observatoire de la transition énergétique — réseau CLER",
    page_icon="⚡",
    layout="wide",
)

page = st.navigation(
    [
        st.Page(
            "views/territoires.py",
            title="Territoires",
            icon="🗺️",
            url_path="territoires",
            default=True,
        )
    ]
)
page.run()
