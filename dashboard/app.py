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
            "views/carte.py", title="Carte", icon=":material/map:", url_path="carte", default=True
        ),
        st.Page(
            "views/territoire.py",
            title="Territoire",
            icon=":material/location_city:",
            url_path="territoire",
        ),
    ]
)
page.run()
