"""What several pages read: the levels of territory, régions and départements."""

from __future__ import annotations

import pandas as pd

from dashboard import db

# Level of territory → its name on the pages.
LEVELS = {"region": "Région", "departement": "Département", "epci": "EPCI", "commune": "Commune"}


def regions() -> pd.DataFrame:
    return db.query("select code_region, nom from regions order by nom")


def departements() -> pd.DataFrame:
    return db.query(
        "select code_departement, nom, code_region from departements order by code_departement"
    )
