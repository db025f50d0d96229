"""The network's objectives (``objectifs.yaml``) and their measured value for every year.

Indicators are computed in ``sql/objectifs.sql`` over the members' answers, their territories'
coverage and the contracts; only aggregates reach the marts: member-level rows stay in
``interne``, which is never published. Each value is read against its objective's one
trajectory, from the value of its reference year (the macros of ``sql/trajectoire.sql``), here:
the dashboard shows these statuses, it does not compute them.
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


def write_list(con: duckdb.DuckDBPyConnection) -> None:
    """Write ``marts.objectifs``, as ``objectifs.yaml`` states them: the TEPOS trajectory
    (``sql/couverture_trajectoire.sql``) reads its reference year and target there."""
    table = pl.DataFrame(objectives()).with_columns(
        pl.col("cible").cast(pl.Float64),
        pl.col("document_annee").cast(pl.Int64),
        pl.col("document_page").cast(pl.String),
        pl.col("document_url").cast(pl.String),
    )
    con.register("objectifs_relus", table)
    con.execute(
        """create or replace table marts.objectifs as
           select id as id_objectif, libelle, indicateur, cible, annee_cible, annee_reference,
                  reference, document, document_annee, document_page, document_url, sources
           from objectifs_relus"""
    )
    con.unregister("objectifs_relus")


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Write ``marts.objectifs_valeurs`` (``warehouse/marts.py`` calls it once what it reads
    exists): each objective's value by year, against one line from its value in its reference
    year to its target (« année de référence » that year, « avant la référence » before it,
    « sans référence » without a value that year, « atteint » at or past the target)."""
    con.execute(sql("objectifs"))
    con.execute(
        """create or replace table marts.objectifs_valeurs as
           with valeurs as (
               select o.id_objectif, i.annee,
                      round(i.numerateur / nullif(i.denominateur, 0), 4) as valeur,
                      o.cible, o.annee_cible, o.annee_reference,
                      round(i.numerateur, 3) as numerateur,
                      round(i.denominateur, 3) as denominateur,
                      round(i.part_donnees, 4) as part_perimetre_avec_donnees
               from marts.objectifs as o
               join interne.indicateurs as i using (indicateur)
           ), depart as (
               select id_objectif, valeur as valeur_depart
               from valeurs
               where annee = annee_reference and valeur is not null
           ), ligne as (
               select v.*,
                      case when v.annee >= v.annee_reference
                           then trajectoire(d.valeur_depart, v.annee_reference, v.cible,
                                            v.annee_cible, v.annee) end as trajectoire
               from valeurs as v
               left join depart as d using (id_objectif)
           )
           select id_objectif, annee, valeur, cible, numerateur, denominateur,
                  part_perimetre_avec_donnees, trajectoire,
                  case when valeur is not null and valeur < cible and annee = annee_reference
                           then 'année de référence'
                       when valeur is not null and valeur < cible and annee < annee_reference
                           then 'avant la référence'
                       else statut_trajectoire(valeur, trajectoire, cible) end as statut
           from ligne
           order by id_objectif, annee"""
    )
