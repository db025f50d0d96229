"""The network's objectives (``objectifs.yaml``) and their measured value for every year.

Indicators are computed in ``sql/objectifs.sql`` over the members' answers, their territories'
coverage and the contracts; only aggregates reach the marts: member-level rows stay in
``interne``, which is never published. Each value is read against its trajectory (the macros
of ``sql/trajectoire.sql``) here: the dashboard shows these statuses, it does not compute them.
"""

from __future__ import annotations

from importlib.resources import files

import duckdb
import polars as pl
import yaml

from warehouse.internal import sql


def objectives() -> list[dict]:
    text = (files("warehouse") / "objectifs.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["objectifs"]


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Write ``marts.objectifs`` and ``marts.objectifs_valeurs`` (``warehouse/marts.py`` calls
    it once what it reads exists)."""
    con.execute(sql("objectifs"))
    table = pl.DataFrame(objectives()).with_columns(pl.col("cible").cast(pl.Float64))
    con.register("objectifs_relus", table)
    con.execute(
        """create or replace table marts.objectifs as
           select id as id_objectif, libelle, indicateur, cible, annee_cible, reference, source_url
           from objectifs_relus"""
    )
    con.unregister("objectifs_relus")
    # The trajectory runs from the first measured value to the target in the target year; the
    # first measured year is « première mesure » (the line starts there), a year without value
    # « sans données ».
    con.execute(
        """create or replace table marts.objectifs_valeurs as
           with valeurs as (
               select o.id_objectif, i.annee,
                      round(i.numerateur / nullif(i.denominateur, 0), 4) as valeur,
                      o.cible, o.annee_cible,
                      round(i.numerateur, 3) as numerateur,
                      round(i.denominateur, 3) as denominateur,
                      round(i.part_donnees, 4) as part_perimetre_avec_donnees
               from marts.objectifs as o
               join interne.indicateurs as i using (indicateur)
           ), depart as (
               select id_objectif, min(annee) as annee_depart,
                      arg_min(valeur, annee) as valeur_depart
               from valeurs
               where valeur is not null
               group by id_objectif
           ), ligne as (
               select v.*, d.annee_depart,
                      case when v.annee >= d.annee_depart
                           then trajectoire(d.valeur_depart, d.annee_depart, v.cible,
                                            v.annee_cible, v.annee) end as trajectoire
               from valeurs as v
               left join depart as d using (id_objectif)
           )
           select id_objectif, annee, valeur, cible, numerateur, denominateur,
                  part_perimetre_avec_donnees, trajectoire,
                  case when annee = annee_depart then 'première mesure'
                       else statut_trajectoire(valeur, trajectoire) end as statut
           from ligne
           order by id_objectif, annee"""
    )
