"""Entry point: ``observatoire dashboard``, which links ``dashboard/static`` to the home's served
files (see ``dashboard/opendata.py``) before ``streamlit run dashboard/app.py``."""

from __future__ import annotations

import duckdb
import streamlit as st

from dashboard import db

st.set_page_config(
    page_title="Observatoire de la transition énergétique — réseau CLER",
    page_icon="⚡",
    layout="wide",
)

page = st.navigation(
    [
        st.Page("views/accueil.py", title="Accueil", icon=":material/home:", default=True),
        st.Page("views/carte.py", title="Carte", icon=":material/map:", url_path="carte"),
        st.Page(
            "views/territoire.py",
            title="Territoire",
            icon=":material/location_city:",
            url_path="territoire",
        ),
        st.Page("views/reseau.py", title="Réseau", icon=":material/groups:", url_path="reseau"),
        st.Page(
            "views/contrats.py",
            title="Contrats",
            icon=":material/handshake:",
            url_path="contrats",
        ),
        st.Page(
            "views/donnees.py", title="Données", icon=":material/database:", url_path="donnees"
        ),
    ],
    # an embedded view (?embed=true, in another site's iframe) is one page: no menu
    position="hidden" if st.context.is_embedded else "sidebar",
)
try:
    page.run()
except duckdb.Error:
    # a damaged or unreadable public file: say so in French, never with a Python traceback
    st.error(
        "Les données publiées sont illisibles pour l'instant (fichier endommagé ou en cours de "
        "remplacement). Réessayez dans quelques minutes ; si cela dure, l'équipe de "
        "l'observatoire doit relancer « observatoire refresh ».",
        icon="⚠️",
    )
    st.caption(f"Fichier : {db.public_file().name}")
