"""The network's objectives (Accueil, Réseau, Contrats): each value's trajectory and status are
columns of ``objectifs_valeurs``, computed when the marts are built (``warehouse/objectifs.py``)."""

from __future__ import annotations

import pandas as pd

from dashboard import db
from dashboard.db import Statement

# Each objective at its latest measured year, with the year before and its whole series. An
# objective never measured has no status row: « sans données ».
STATUS = """
with measured as (
    select *, row_number() over (partition by id_objectif order by annee desc) as recent
    from objectifs_valeurs
    where valeur is not null
), series as (
    select m.id_objectif, count(*) as nb_annees,
           any_value(m.valeur) filter (where m.annee = o.annee_reference) as valeur_depart,
           list(m.valeur order by m.annee) as serie
    from measured as m
    join objectifs as o using (id_objectif)
    group by m.id_objectif
)
select o.id_objectif, o.libelle, o.cible, o.annee_cible, o.annee_reference as annee_depart,
       o.reference, o.document, o.document_annee, o.document_page, o.document_url, o.sources,
       latest.annee, latest.valeur, latest.part_perimetre_avec_donnees as part_donnees,
       s.nb_annees, s.valeur_depart, s.serie,
       previous.annee as annee_precedente, previous.valeur as valeur_precedente,
       latest.trajectoire, coalesce(latest.statut, 'sans données') as statut
from objectifs as o
left join series as s using (id_objectif)
left join measured as latest on latest.id_objectif = o.id_objectif and latest.recent = 1
left join measured as previous on previous.id_objectif = o.id_objectif and previous.recent = 2
order by o.rowid
"""


def objectives_status() -> pd.DataFrame:
    """Each objective: latest value and year, previous value, expected value, status, and the
    series of its values (oldest first)."""
    return db.query(STATUS)


def objectives_series() -> Statement:
    """Every measured value of every objective, with the objective's label."""
    return (
        """select v.id_objectif, o.libelle, v.annee, v.valeur, v.cible,
                  v.part_perimetre_avec_donnees
           from objectifs_valeurs as v
           join objectifs as o using (id_objectif)
           where v.valeur is not null
           order by o.rowid, v.annee""",
        (),
    )


def objective(id_objectif: str) -> dict:
    """One objective of ``objectifs``: label, target, target year, reference."""
    return db.query("select * from objectifs where id_objectif = $1", id_objectif).iloc[0].to_dict()
