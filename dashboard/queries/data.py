"""Données: the state of every source, the quality checks, the public tables and the open data
package the publish wrote."""

from __future__ import annotations

import json

import pandas as pd

from dashboard import db
from warehouse import opendata
from warehouse.paths import Home
from warehouse.status import Status


def sources_status() -> pd.DataFrame:
    """Per source: provenance; the load published now (the last success); the last run whatever
    its outcome; and rows rejected to quarantine at the last run and over every recorded run."""
    return db.query(
        f"""with fichiers as (
               select source, any_value(editeur) as editeur,
                      any_value(jeu_de_donnees) as jeu_de_donnees, any_value(licence) as licence,
                      any_value(millesime) as millesime, count(*) as fichiers,
                      sum(octets) as octets, bool_or(demo) as demo,
                      timezone('Europe/Paris', max(charge_le)) as charge_le
               from sources
               group by source
           ), runs as (
               select source,
                      arg_max(lignes_lues, fin) filter (where statut = {Status.PUBLISHED.sql})
                        as lignes_lues,
                      arg_max(lignes_acceptees, fin) filter (where statut = {Status.PUBLISHED.sql})
                        as lignes_acceptees,
                      arg_max(lignes_rejetees, fin) filter (where statut = {Status.PUBLISHED.sql})
                        as lignes_rejetees,
                      arg_max(statut, debut) as dernier_statut,
                      timezone('Europe/Paris', max(debut)) as dernier_run,
                      arg_max(message, debut) as dernier_message,
                      arg_max(lignes_rejetees, debut) as rejetees_dernier_run,
                      count(*) as runs, sum(lignes_rejetees) as rejetees_total,
                      count(*) filter (where statut = {Status.FAILED.sql}) as echecs
               from executions
               group by source
           )
           select * from fichiers left join runs using (source) order by source"""
    )


def runs(limit: int = 100) -> pd.DataFrame:
    return db.query(
        """select timezone('Europe/Paris', debut) as debut, timezone('Europe/Paris', fin) as fin,
                  source, statut, lignes_lues, lignes_acceptees, lignes_rejetees, message
           from executions
           order by debut desc, source
           limit $1""",
        limit,
    )


def quality_summary() -> pd.DataFrame:
    return db.query(
        """select mesure, niveau, probleme, count(*) as signalements,
                  count(distinct code) as territoires, min(annee) as premiere_annee,
                  max(annee) as derniere_annee
           from qualite_series
           group by all
           order by mesure, niveau, probleme"""
    )


def quality_by_year() -> pd.DataFrame:
    return db.query(
        """select annee, niveau, count(*) as signalements
           from qualite_series
           group by all
           order by annee, niveau"""
    )


def quality_detail(level: str | None, limit: int = 200) -> pd.DataFrame:
    """Flagged series with the territory's name, largest relative change first."""
    return db.query(
        """select q.niveau, q.code, coalesce(e.nom, d.nom, r.nom) as territoire, q.mesure,
                  q.detail, q.annee, q.probleme, q.valeur_precedente, q.valeur,
                  q.valeur / nullif(q.valeur_precedente, 0) as rapport
           from qualite_series as q
           left join epci as e on q.niveau = 'epci' and e.code_epci = q.code
           left join departements as d on q.niveau = 'departement' and d.code_departement = q.code
           left join regions as r on q.niveau = 'region' and r.code_region = q.code
           where $1::varchar is null or q.niveau = $1
           order by abs(ln(rapport)) desc nulls last, q.niveau, q.code, q.annee
           limit $2""",
        level,
        limit,
    )


def tables() -> pd.DataFrame:
    """Every table of the public file: rows, and its columns with their types."""
    return db.query(
        """select t.table_name as table, t.estimated_size as lignes,
                  list(c.column_name || ' (' || lower(c.data_type) || ')'
                       order by c.column_index) as colonnes
           from duckdb_tables() as t
           join duckdb_columns() as c using (database_name, schema_name, table_name)
           where t.database_name = current_database() and t.schema_name = 'main'
           group by all
           order by t.table_name"""
    )


def package() -> dict | None:
    """The open data package published now (its ``datapackage.json``), None before the first."""
    path = opendata.current(Home.from_env().static) / "datapackage.json"
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
