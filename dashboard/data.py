"""The dashboard's only door to data: parameterised, read-only queries on ``public.duckdb``.

Results are cached by Streamlit under the published file's identity (path, inode and mtime), so a
new publish is seen on the next rerun without restarting the server.

Cache misses run on one in-memory DuckDB of the process, which attaches the published file
read-only and re-attaches it when the file changes. Opening a database costs 30-70 ms on a busy
2-core machine, a query a few milliseconds; and ``duckdb.connect(path)`` would return a
process-wide cached instance while any connection to that path is open, serving a file that has
since been replaced. Queries run one at a time under a lock; those of a page that needs them all
run at once on a few cursors (:func:`queries`). Whole tables are not read here: the
publish writes them as files (the open data package), which the dashboard serves as they are.

Values always travel as parameters (``$1``, ``$2``); a filter left empty is passed as ``None``.
Times are returned in Paris time, without time zone: they are shown so, and naive timestamps
convert to pandas two to three times faster than zoned ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import shutil
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from warehouse import opendata
from warehouse.paths import Home

Version = tuple[str, int, int]
Statement = tuple[str, tuple]  # SQL and its parameters
# Cursors that run one page's queries at once: on two cores, more brought nothing.
CURSORS = 3
# Map outlines, derived from the published file, among the files served at app/static/.
OUTLINES = "cartes"


class NotPublished(RuntimeError):
    """No public file yet."""


def public_file() -> Path:
    return Home.from_env().public


def version() -> Version:
    """Identity of the file published right now."""
    path = public_file()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise NotPublished(str(path)) from None
    return str(path), stat.st_ino, stat.st_mtime_ns


class _Published:
    """One in-memory DuckDB with the published file attached read-only as ``pub``, and a few
    cursors on it to run one page's queries at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version: Version | None = None
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._pool = ThreadPoolExecutor(CURSORS, thread_name_prefix="requetes")

    def _attached(self, file_version: Version) -> None:
        if self._con is None:
            self._con = duckdb.connect(":memory:")
        if self._version != file_version:
            for cursor in self._cursors:
                cursor.close()
            self._cursors = []
            self._con.execute("use memory")
            self._con.execute("detach database if exists pub")
            self._version = None
            _attach(self._con, file_version[0])
            self._version = file_version

    def run(self, sql: str, params: tuple, file_version: Version) -> pd.DataFrame:
        with self._lock:
            self._attached(file_version)
            return self._con.execute(sql, list(params)).df()

    def run_many(self, statements: tuple[Statement, ...], file_version: Version) -> list:
        """The frames of ``statements``, run at once on up to CURSORS cursors."""
        with self._lock:
            self._attached(file_version)
            while len(self._cursors) < CURSORS:
                cursor = self._con.cursor()
                cursor.execute("use pub")
                self._cursors.append(cursor)
            free: queue.SimpleQueue = queue.SimpleQueue()
            for cursor in self._cursors:
                free.put(cursor)

            def run(statement: Statement) -> pd.DataFrame:
                cursor = free.get()
                try:
                    return cursor.execute(statement[0], list(statement[1])).df()
                finally:
                    free.put(cursor)

            return list(self._pool.map(run, statements))

    def rows(self, sql: str, params: tuple, file_version: Version) -> list[tuple]:
        """The rows as Python tuples, for a few rows that become objects, not a frame."""
        with self._lock:
            self._attached(file_version)
            return self._con.execute(sql, list(params)).fetchall()


def _attach(con: duckdb.DuckDBPyConnection, path: str) -> None:
    con.execute("attach ? as pub (read_only)", [path])
    con.execute("use pub")


_published = _Published()


# Kept as they are, not pickled (``st.cache_data`` pickles every result it stores and unpickles
# it at every hit): under pandas' copy-on-write, the shallow copy each caller gets behaves as a
# copy, so no page can alter what the cache holds.
@st.cache_resource(show_spinner=False, max_entries=512)
def _query(sql: str, params: tuple, file_version: Version) -> pd.DataFrame:
    return _published.run(sql, params, file_version)


def query(sql: str, *params: object) -> pd.DataFrame:
    """Run one parameterised query on the current public file."""
    return _query(sql, params, version()).copy(deep=False)


@st.cache_resource(show_spinner=False, max_entries=256)
def _queries(statements: tuple[Statement, ...], file_version: Version) -> list[pd.DataFrame]:
    return _published.run_many(statements, file_version)


def queries(*statements: Statement) -> list[pd.DataFrame]:
    """Run several parameterised queries (SQL, parameters) at once on the current public file,
    for a page that needs them all; cached together, like :func:`query`."""
    return [frame.copy(deep=False) for frame in _queries(statements, version())]


# --- Provenance, shared by every page -------------------------------------------------------


@dataclass(frozen=True)
class Source:
    source: str
    editeur: str
    jeu_de_donnees: str
    licence: str
    millesime: str
    charge_le: datetime  # Paris time
    demo: bool


@dataclass(frozen=True)
class Provenance:
    """What every page cites: its sources, those that failed in the run this file publishes
    (they show their previous load) and when the file was published (Paris time)."""

    sources: tuple[Source, ...]
    failed: tuple[str, ...]
    publie_le: datetime

    def of(self, names: list[str]) -> list[Source]:
        return [s for s in self.sources if s.source in names]


def provenance() -> Provenance:
    return _provenance(version())


# Read once per publication and process: every chart's caption and every footer cite it, and a
# frozen object needs no copy (``st.cache_data`` unpickles a fresh frame at every call).
@st.cache_resource(show_spinner=False, max_entries=4)
def _provenance(file_version: Version) -> Provenance:
    ((sources, failed, published_at),) = _published.rows(
        """select (select list(s order by s.source) from (
                      select source, editeur, jeu_de_donnees, licence, millesime,
                             timezone('Europe/Paris', min(charge_le)) as charge_le,
                             bool_or(demo) as demo
                      from sources group by all) as s),
                  (select coalesce(list(source order by source), [])
                   from executions
                   where statut = 'échec'
                     and id_execution = (select id_execution from publication)),
                  (select timezone('Europe/Paris', max(publie_le)) from publication)""",
        (),
        file_version,
    )
    return Provenance(tuple(Source(**s) for s in sources or []), tuple(failed), published_at)


def regions() -> pd.DataFrame:
    return query("select code_region, nom from regions order by nom")


# --- Accueil, and the contract rules Contrats shares ----------------------------------------

# A contract counts from its signature, or from the end of its wave's year when undated (the
# indicator of warehouse/sql/objectifs.sql counts it from that year).
_DEBUT = "coalesce(k.date_signature, make_date(try_cast(k.vague as integer), 12, 31))"
_CONTRATS = (
    "($1::varchar is null or k.type = $1) and ($2::varchar is null or k.id_contrat in ("
    "select p.id_contrat from contrats_perimetres as p "
    "join epci_territoires as e using (code_epci) where e.code_region = $2))"
)


def chiffres_cles() -> dict:
    """The network today: active members (and by kind), what member collectivities cover
    (EPCI and communes listed, communes, population), contracts and the EPCI they cover."""
    return (
        query(
            f"""with actifs as (
                    select * from membres where actif
                ), listes as (
                    select distinct t.niveau, t.code
                    from membres_territoires as t
                    join actifs as m using (id_membre)
                    where m.type = 'collectivité'
                ), couvertes as (
                    select population from communes
                    where code_epci in (select code from listes where niveau = 'epci')
                       or code_commune in (select code from listes where niveau = 'commune')
                ), signes as (
                    select distinct p.code_epci
                    from contrats as k
                    join contrats_perimetres as p using (id_contrat)
                    where {_DEBUT} <= current_date
                ), types as (
                    select type, count(*) as adherents from actifs group by type
                )
                select (select list({{'type': type, 'adherents': adherents}}
                                    order by adherents desc, type) from types) as par_type,
                       (select count(*) from actifs) as adherents,
                       (select count(*) from listes where niveau = 'epci') as epci_listes,
                       (select count(*) from listes where niveau = 'commune') as communes_listees,
                       (select count(*) from couvertes) as communes,
                       (select sum(population) from couvertes) as population,
                       (select sum(population) from communes) as population_france,
                       (select count(*) from contrats where type = 'CTE') as cte,
                       (select count(distinct vague) from contrats where type = 'CTE')
                         as vagues_cte,
                       (select count(*) from contrats where type = 'CRTE') as crte,
                       (select count(*) from signes) as epci_sous_contrat,
                       (select count(*) from epci) as epci,
                       (select sum(population) from epci where code_epci in (from signes))
                         / (select sum(population) from epci) as part_population_sous_contrat,
                       current_date as date"""
        )
        .iloc[0]
        .to_dict()
    )


# --- Objectifs (Accueil, Réseau, Contrats) ---------------------------------------------------

# The rule of warehouse/sql/trajectoire.sql, whose macros the published file carries. One
# measure only has no line yet.
OBJECTIFS_ETAT = """
with mesures as (
    select id_objectif, annee, valeur, part_perimetre_avec_donnees as part_donnees
    from objectifs_valeurs
    where valeur is not null
), bornes as (
    select id_objectif,
           min(annee) as annee_depart, arg_min(valeur, annee) as valeur_depart,
           max(annee) as annee, arg_max(valeur, annee) as valeur,
           arg_max(part_donnees, annee) as part_donnees, count(*) as nb_annees,
           list(valeur order by annee) as serie
    from mesures
    group by id_objectif
), precedente as (
    select m.id_objectif, max(m.annee) as annee_precedente,
           arg_max(m.valeur, m.annee) as valeur_precedente
    from mesures as m
    join bornes as b using (id_objectif)
    where m.annee < b.annee
    group by m.id_objectif
)
select o.id_objectif, o.libelle, o.cible, o.annee_cible, o.reference, o.source_url,
       b.annee, b.valeur, b.part_donnees, b.nb_annees, b.annee_depart, b.valeur_depart, b.serie,
       p.annee_precedente, p.valeur_precedente,
       trajectoire(b.valeur_depart, b.annee_depart, o.cible, o.annee_cible, b.annee)
         as trajectoire,
       case when b.nb_annees = 1 then 'première mesure'
            else statut_trajectoire(b.valeur, trajectoire) end as statut
from objectifs as o
left join bornes as b using (id_objectif)
left join precedente as p using (id_objectif)
order by o.rowid
"""


def objectifs_etat() -> pd.DataFrame:
    """Each objective: latest value and year, previous value, expected value, status, and the
    series of its values (oldest first)."""
    return query(OBJECTIFS_ETAT)


def _objectifs_series() -> Statement:
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


def objectif(id_objectif: str) -> dict:
    """One objective of ``objectifs``: label, target, target year, reference."""
    return query("select * from objectifs where id_objectif = $1", id_objectif).iloc[0].to_dict()


# --- Réseau ----------------------------------------------------------------------------------

_MEMBRES = "($1::varchar is null or m.type = $1) and ($2::varchar is null or m.code_region = $2)"


@dataclass(frozen=True)
class Reseau:
    """What the Réseau page shows of the active members of a kind and a région (None: all)."""

    membres: pd.DataFrame
    par_sous_type: pd.DataFrame
    par_lieu: pd.DataFrame
    par_annee: pd.DataFrame
    objectifs: pd.DataFrame  # every objective's series, whatever the filters


def reseau(type_: str | None, code_region: str | None) -> Reseau:
    """The Réseau page's queries, run at once (see :func:`queries`)."""
    return Reseau(
        *queries(
            _membres_liste(type_, code_region),
            _membres_par_sous_type(type_, code_region),
            _membres_par_lieu(type_, code_region),
            _membres_par_annee(type_, code_region),
            _objectifs_series(),
        )
    )


def types_membres() -> list[str]:
    return query("select distinct type from membres order by type")["type"].tolist()


def _membres_par_sous_type(type_: str | None, code_region: str | None) -> Statement:
    return (
        f"""select m.type, m.sous_type, count(*) as adherents
            from membres as m
            where m.actif and {_MEMBRES}
            group by all
            order by m.type, adherents desc, m.sous_type""",
        (type_, code_region),
    )


def _membres_par_lieu(type_: str | None, code_region: str | None) -> Statement:
    """Active members by région, or by département of the chosen région, and kind."""
    if code_region is None:
        return (
            f"""select r.code_region as code, r.nom as lieu, m.type, count(m.id_membre) as adherents
                from regions as r
                left join membres as m on m.code_region = r.code_region and m.actif and {_MEMBRES}
                group by all
                order by lieu, m.type""",
            (type_, code_region),
        )
    return (
        f"""select d.code_departement as code, d.nom as lieu, m.type,
                   count(m.id_membre) as adherents
            from departements as d
            left join membres as m
              on m.code_departement = d.code_departement and m.actif and {_MEMBRES}
            where d.code_region = $2
            group by all
            order by lieu, m.type""",
        (type_, code_region),
    )


def _membres_par_annee(type_: str | None, code_region: str | None) -> Statement:
    """Per year: joins, exits and members active at the end of the year (today for this year)."""
    return (
        f"""with annees as (
                select unnest(range((select min(year(date_adhesion)) from membres as m
                                     where {_MEMBRES}),
                                    year(current_date) + 1)) as annee
            )
            select a.annee,
                   count(*) filter (where year(m.date_adhesion) = a.annee) as adhesions,
                   count(*) filter (where year(m.date_sortie) = a.annee) as sorties,
                   count(*) filter (where year(m.date_adhesion) <= a.annee
                                      and (m.date_sortie is null
                                           or year(m.date_sortie) > a.annee)) as actifs
            from annees as a
            cross join (select * from membres as m where {_MEMBRES}) as m
            group by a.annee
            order by a.annee""",
        (type_, code_region),
    )


def _membres_liste(type_: str | None, code_region: str | None) -> Statement:
    """Active members: organisation, kind, seat, join date, TEPOS, territories listed."""
    return (
        f"""select m.nom, m.type, m.sous_type, r.nom as region, d.nom as departement,
                   m.date_adhesion, m.reseau_tepos, coalesce(t.territoires, 0) as territoires
            from membres as m
            left join regions as r using (code_region)
            left join departements as d using (code_departement)
            left join (select id_membre, count(*) as territoires
                       from membres_territoires group by id_membre) as t using (id_membre)
            where m.actif and {_MEMBRES}
            order by m.nom""",
        (type_, code_region),
    )


# --- Contrats --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Contrats:
    """What the Contrats page shows of the contracts of a type and a région (None: all)."""

    liste: pd.DataFrame
    par_vague: pd.DataFrame
    couverture: pd.DataFrame
    signatures: pd.DataFrame
    rapprochement: pd.DataFrame  # every drawn perimeter, whatever the filters


def contrats(type_: str | None, code_region: str | None) -> Contrats:
    """The Contrats page's queries, run at once (see :func:`queries`)."""
    return Contrats(
        *queries(
            _contrats_liste(type_, code_region),
            _contrats_par_vague(type_, code_region),
            _couverture_contrats(type_, code_region),
            _signatures_par_mois(type_, code_region),
            _contrats_rapprochement(),
        )
    )


def _contrats_par_vague(type_: str | None, code_region: str | None) -> Statement:
    return (
        f"""select k.type, k.vague, count(*) as contrats,
                   min(k.date_signature) as premiere_signature,
                   max(k.date_signature) as derniere_signature,
                   count(*) filter (where k.date_signature is null) as sans_date
            from contrats as k
            where {_CONTRATS}
            group by all
            order by k.type desc, k.vague""",
        (type_, code_region),
    )


def _signatures_par_mois(type_: str | None, code_region: str | None) -> Statement:
    """Contracts signed each month, by kind and wave (undated contracts are left out)."""
    return (
        f"""select date_trunc('month', k.date_signature)::date as mois,
                   k.type || coalesce(' ' || k.vague, '') as vague,
                   count(*) as contrats
            from contrats as k
            where k.date_signature is not null and {_CONTRATS}
            group by all
            order by mois, vague""",
        (type_, code_region),
    )


def _couverture_contrats(type_: str | None, code_region: str | None) -> Statement:
    """Share of EPCI, and of their population, under a signed contract: one row per date it
    changed, and today. Within a région, an EPCI counts for its communes in the région."""
    return (
        f"""with signe as (
                select p.code_epci, min({_DEBUT}) as depuis
                from contrats as k
                join contrats_perimetres as p using (id_contrat)
                where ($1::varchar is null or k.type = $1)
                group by p.code_epci
            ), territoires as (
                select e.code_epci, sum(e.population) as population, any_value(s.depuis) as depuis
                from epci_territoires as e
                left join signe as s using (code_epci)
                where ($2::varchar is null or e.code_region = $2)
                group by e.code_epci
            ), etapes as (
                select date, sum(n) as n, sum(habitants) as habitants
                from (select depuis as date, 1 as n, population as habitants
                      from territoires where depuis <= current_date
                      union all
                      select current_date, 0, 0)
                group by date
            )
            select date::date as date,
                   (sum(n) over w)::bigint as epci_couverts,
                   (select count(*) from territoires) as epci,
                   sum(n) over w / (select count(*) from territoires) as part_epci,
                   sum(habitants) over w / (select sum(population) from territoires)
                     as part_population
            from etapes
            window w as (order by date)
            order by date""",
        (type_, code_region),
    )


def _contrats_liste(type_: str | None, code_region: str | None) -> Statement:
    """Contracts with their EPCI and population (within the région when one is chosen)."""
    return (
        """with perimetres as (
               select p.id_contrat, count(*) as epci, sum(e.population) as population
               from contrats_perimetres as p
               join (select code_epci, sum(population) as population
                     from epci_territoires
                     where $2::varchar is null or code_region = $2
                     group by code_epci) as e using (code_epci)
               group by p.id_contrat
           )
           select k.id_contrat, k.type, k.nom, k.vague, k.date_signature,
                  coalesce(p.epci, 0) as epci, p.population
           from contrats as k
           left join perimetres as p using (id_contrat)
           where ($1::varchar is null or k.type = $1) and ($2::varchar is null or p.epci > 0)
           order by k.date_signature nulls last, k.nom""",
        (type_, code_region),
    )


def _contrats_rapprochement() -> Statement:
    """The matching report of drawn perimeters, problems first."""
    return (
        """select statut, id_contrat, nom, perimetre, communes_declarees, communes_trouvees,
                  epci, similarite_nom, motif
           from contrats_rapprochement
           order by case statut when 'non rapproché' then 0 when 'à vérifier' then 1
                                when 'rapproché par le nom' then 2 else 3 end,
                    nom""",
        (),
    )


# --- Données ---------------------------------------------------------------------------------


def sources_etat() -> pd.DataFrame:
    """Per source: provenance; the load published now (the last success); the last run whatever
    its outcome; and rows rejected to quarantine at the last run and over every recorded run."""
    return query(
        """with fichiers as (
               select source, any_value(editeur) as editeur,
                      any_value(jeu_de_donnees) as jeu_de_donnees, any_value(licence) as licence,
                      any_value(millesime) as millesime, count(*) as fichiers,
                      sum(octets) as octets, bool_or(demo) as demo,
                      timezone('Europe/Paris', max(charge_le)) as charge_le
               from sources
               group by source
           ), runs as (
               select source,
                      arg_max(lignes_lues, fin) filter (where statut = 'succès') as lignes_lues,
                      arg_max(lignes_acceptees, fin) filter (where statut = 'succès')
                        as lignes_acceptees,
                      arg_max(lignes_rejetees, fin) filter (where statut = 'succès')
                        as lignes_rejetees,
                      arg_max(statut, debut) as dernier_statut,
                      timezone('Europe/Paris', max(debut)) as dernier_run,
                      arg_max(message, debut) as dernier_message,
                      arg_max(lignes_rejetees, debut) as rejetees_dernier_run,
                      count(*) as runs, sum(lignes_rejetees) as rejetees_total,
                      count(*) filter (where statut = 'échec') as echecs
               from executions
               group by source
           )
           select * from fichiers left join runs using (source) order by source"""
    )


def executions(limit: int = 100) -> pd.DataFrame:
    return query(
        """select timezone('Europe/Paris', debut) as debut, timezone('Europe/Paris', fin) as fin,
                  source, statut, lignes_lues, lignes_acceptees, lignes_rejetees, message
           from executions
           order by debut desc, source
           limit $1""",
        limit,
    )


def qualite_resume() -> pd.DataFrame:
    return query(
        """select mesure, niveau, probleme, count(*) as signalements,
                  count(distinct code) as territoires, min(annee) as premiere_annee,
                  max(annee) as derniere_annee
           from qualite_series
           group by all
           order by mesure, niveau, probleme"""
    )


def qualite_par_annee() -> pd.DataFrame:
    return query(
        """select annee, niveau, count(*) as signalements
           from qualite_series
           group by all
           order by annee, niveau"""
    )


def qualite_detail(niveau: str | None, limit: int = 200) -> pd.DataFrame:
    """Flagged series with the territory's name, largest relative change first."""
    return query(
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
        niveau,
        limit,
    )


def tables() -> pd.DataFrame:
    """Every table of the public file: rows, and its columns with their types."""
    return query(
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


# --- Carte et Territoire ---------------------------------------------------------------------

NIVEAUX = {"region": "Région", "departement": "Département", "epci": "EPCI", "commune": "Commune"}
# The territories of level $1 shown (communes of département $3 only, at commune level).
_TERRITOIRES = """
territoires as (
    select p.code, p.nom, p.population
    from population_territoires as p
    where p.niveau = $1
      and ($3::varchar is null or p.code in (
          select code_commune from communes where code_departement = $3))
)"""
# Population of each territory whose communes are « in » at the end of year $2.
_PART = """
select n.code,
       coalesce(sum(c.population) filter (where c.code_commune in (from dedans)), 0)
         / nullif(sum(c.population), 0) as valeur,
       1.0 as part_donnees
from communes_niveaux as n
join communes as c using (code_commune)
where n.niveau = $1
  and ($3::varchar is null or n.code in (
      select code_commune from communes where code_departement = $3))
group by n.code
"""
_INDICATEURS = {
    "taux_couverture": """
        select code, taux_couverture as valeur,
               least(part_population_production, part_population_consommation) as part_donnees
        from couverture where niveau = $1 and annee = $2""",
    "production_enr": """
        select code, production_enr_mwh as valeur, part_population_production as part_donnees
        from couverture where niveau = $1 and annee = $2""",
    "conso_hab": """
        select v.code, v.consommation_mwh / nullif(p.population, 0) as valeur,
               v.part_population_consommation as part_donnees
        from couverture as v
        join population_territoires as p using (niveau, code)
        where v.niveau = $1 and v.annee = $2""",
    "contrat": """
        with dedans as (
            select c.code_commune
            from communes as c
            join contrats_perimetres as p using (code_epci)
            join contrats as k using (id_contrat)
            where coalesce(k.date_signature, make_date(try_cast(k.vague as integer), 12, 31))
                  <= make_date($2, 12, 31)
        )"""
    + _PART,
    "adhesion": """
        with actifs as (
            select t.niveau, t.code
            from membres_territoires as t
            join membres as m using (id_membre)
            where m.type = 'collectivité' and year(m.date_adhesion) <= $2
              and (m.date_sortie is null or year(m.date_sortie) > $2)
        ), dedans as (
            select c.code_commune from communes as c
            where c.code_epci in (select code from actifs where niveau = 'epci')
               or c.code_commune in (select code from actifs where niveau = 'commune')
        )"""
    + _PART,
}


def carte(niveau: str, indicateur: str, annee: int, departement: str | None) -> pd.DataFrame:
    """One value per territory of ``niveau`` in ``annee``, with the share of its population
    whose communes had data; ``indicateur`` is a key of the fixed queries above."""
    return query(
        f"""with {_TERRITOIRES.strip()}, valeurs as ({_INDICATEURS[indicateur]})
            select t.code, t.nom, t.population, v.valeur, v.part_donnees
            from territoires as t
            left join valeurs as v using (code)
            order by t.nom""",
        niveau,
        annee,
        departement,
    )


def annees_energie() -> list[int]:
    # every commune is in a région: the régions' rows have every year, and are few to read
    years = query("select distinct annee from couverture where niveau = 'region' order by annee")
    return years["annee"].tolist()


def departements() -> pd.DataFrame:
    return query(
        "select code_departement, nom, code_region from departements order by code_departement"
    )


def contours(niveau: str, departement: str | None) -> tuple[str, tuple[float, ...]]:
    """URL of a level's outlines (a FeatureCollection, feature id = code), relative to the page,
    and their bounding box. The browser fetches the file once and keeps it: a figure carrying the
    EPCI outlines would be 1.4 MB for Plotly to serialise and send again at every rerun."""
    if departement is not None and not re.fullmatch(r"[0-9][0-9AB][0-9]?", departement):
        raise ValueError(f"code de département invalide : {departement!r}")
    file_version = version()
    name, text, bounds = _contours(niveau, departement, file_version)
    target = Home.from_env().static / name
    if not target.exists():  # first use, or removed as too old by another server process
        _write_outlines(target, text)
    return f"app/static/{name}", bounds


@st.cache_data(show_spinner=False, max_entries=256)
def _contours(niveau: str, departement: str | None, file_version: Version):
    shapes = query(
        """select code, geojson, lon_min, lat_min, lon_max, lat_max
           from geometries
           where niveau = $1
             and ($2::varchar is null or code in (
                 select code_commune from communes where code_departement = $2))""",
        niveau,
        departement,
    )
    features = ",".join(
        f'{{"type":"Feature","id":"{code}","properties":{{}},"geometry":{shape}}}'
        for code, shape in zip(shapes["code"], shapes["geojson"], strict=True)
    )
    published = hashlib.sha256(repr(file_version).encode()).hexdigest()[:16]
    file = f"{niveau}-{departement}.geojson" if departement else f"{niveau}.geojson"
    bounds = (
        float(shapes["lon_min"].min()),
        float(shapes["lat_min"].min()),
        float(shapes["lon_max"].max()),
        float(shapes["lat_max"].max()),
    )
    text = f'{{"type":"FeatureCollection","features":[{features}]}}'
    return f"{OUTLINES}/{published}/{file}", text, bounds


def _write_outlines(target: Path, text: str) -> None:
    """Write atomically (several server processes may race), keeping the outlines of the last
    two publications only: a page opened before a publish still finds its file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{uuid.uuid4().hex}.tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, target)
    folders = sorted(target.parent.parent.iterdir(), key=lambda f: f.stat().st_mtime)
    for old in folders[:-2]:
        shutil.rmtree(old, ignore_errors=True)


def territoires(niveau: str, parent: str | None) -> pd.DataFrame:
    """Territories of ``niveau`` to choose from; communes and EPCI within a département."""
    return query(
        """select n.code, n.nom
            from population_territoires as n
            where n.niveau = $1
              and ($2::varchar is null or n.code in (
                  select code from territoires_parents
                  where niveau = $1 and niveau_parent = 'departement' and code_parent = $2))
            order by n.nom, n.code""",
        niveau,
        parent,
    )


# --- Territoire: one territory's page, its queries run at once --------------------------------


@dataclass(frozen=True)
class Fiche:
    """What the Territoire page shows of one territory (see :func:`fiche`)."""

    territoire: dict | None  # nom, population, nb_communes, parents; None when unknown
    serie: pd.DataFrame
    consommation: pd.DataFrame
    production: pd.DataFrame
    comparables: pd.DataFrame
    contrats: pd.DataFrame
    membres: pd.DataFrame


def fiche(niveau: str, code: str, cible: float, annee_cible: int) -> Fiche:
    """Everything the Territoire page reads about one territory, its seven queries run at once
    on separate cursors: they wait on each other's reads less than one after the other (on two
    cores, 50 -> 31 ms for an EPCI, cold)."""
    info, *frames = queries(
        _territoire(niveau, code),
        _serie_couverture(niveau, code, cible, annee_cible),
        _consommation_par_energie(niveau, code),
        _production_par_filiere(niveau, code),
        _comparables(niveau, code),
        _contrats_du_territoire(niveau, code),
        _membres_du_territoire(niveau, code),
    )
    return Fiche(None if info.empty else info.iloc[0].to_dict(), *frames)


def _territoire(niveau: str, code: str) -> Statement:
    """Name, population, communes and the territories of other levels that hold some of its
    communes (``parents``: niveau and nom, larger levels first)."""
    return (
        """select nom, population, nb_communes,
                  coalesce((select list({'niveau': niveau_parent, 'nom': nom_parent}
                                        order by list_position(['region', 'departement', 'epci'],
                                                               niveau_parent),
                                                 communes desc)
                            from territoires_parents
                            where niveau = $1 and code = $2), []) as parents
            from population_territoires
            where niveau = $1 and code = $2""",
        (niveau, code),
    )


def _serie_couverture(niveau: str, code: str, cible: float, annee_cible: int) -> Statement:
    """A territory's coverage by year, its trajectory from the first measured year to ``cible``
    in ``annee_cible`` and its status against it (« première mesure » while there is one)."""
    return (
        """with serie as (
               select annee, production_enr_mwh, consommation_mwh, taux_couverture,
                      part_population_production, part_population_consommation,
                      min(annee) filter (taux_couverture is not null) over () as annee_depart,
                      arg_min(taux_couverture, annee) filter (taux_couverture is not null)
                        over () as depart,
                      count(taux_couverture) over () as mesures
               from couverture
               where niveau = $1 and code = $2
           ), ligne as (
               select * exclude (annee_depart, depart),
                      case when annee >= annee_depart
                           then trajectoire(depart, annee_depart, $3, $4, annee) end
                        as trajectoire
               from serie
           )
           select * exclude (mesures),
                  case when mesures = 1 and taux_couverture is not null
                       then 'première mesure'
                       else statut_trajectoire(taux_couverture, trajectoire) end as statut
           from ligne
           order by annee""",
        (niveau, code, cible, annee_cible),
    )


def _production_par_filiere(niveau: str, code: str) -> Statement:
    """A territory's production series; a commune's are the rows of ``production``."""
    return (
        """select annee, filiere, energie_mwh, puissance_kw
           from production_territoires
           where niveau = $1 and code = $2
           union all
           select annee, filiere, energie_mwh, puissance_kw
           from production
           where $1 = 'commune' and code_commune = $2
           order by annee, filiere""",
        (niveau, code),
    )


def _consommation_par_energie(niveau: str, code: str) -> Statement:
    return (
        """select annee, filiere, conso_mwh, part_population_couverte
           from consommation_territoires
           where niveau = $1 and code = $2
           order by annee, filiere""",
        (niveau, code),
    )


def _comparables(niveau: str, code: str) -> Statement:
    """Territories of the same level with between half and twice its population, and their
    renewable coverage in its last year measured (``annee``); the territory itself is among
    them (``lui_meme``). None when its coverage was never measured."""
    return (
        """with moi as (
                select t.population, max(v.annee) as annee
                from population_territoires as t
                join couverture as v using (niveau, code)
                where t.niveau = $1 and t.code = $2 and v.taux_couverture is not null
                group by all
            )
            select p.code, p.nom, p.population, v.annee, v.taux_couverture,
                   p.code = $2 as lui_meme
            from population_territoires as p
            join couverture as v using (niveau, code)
            join moi on v.annee = moi.annee
            where p.niveau = $1 and v.niveau = $1
              and p.population between moi.population / 2 and moi.population * 2
              and v.taux_couverture is not null
            order by v.taux_couverture desc""",
        (niveau, code),
    )


def _contrats_du_territoire(niveau: str, code: str) -> Statement:
    """Contracts whose perimeter holds an EPCI with communes in the territory."""
    return (
        """select k.type, k.nom, k.vague, k.date_signature, t.epci
           from territoires_contrats as t
           join contrats as k using (id_contrat)
           where t.niveau = $1 and t.code = $2
           order by k.date_signature nulls last, k.nom""",
        (niveau, code),
    )


def _membres_du_territoire(niveau: str, code: str) -> Statement:
    """Active members seated in the territory or covering some of its communes."""
    return (
        """select m.nom, m.type, m.sous_type, m.date_adhesion, m.reseau_tepos, t.siege_ici
           from territoires_membres as t
           join membres as m using (id_membre)
           where t.niveau = $1 and t.code = $2 and m.actif
           order by m.nom""",
        (niveau, code),
    )
