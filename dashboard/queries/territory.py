"""Territoire: the territories to choose from, and everything the page shows of one."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import db
from dashboard.db import Statement


def known(level: str, code: str) -> bool:
    """Whether ``code`` names a territory of ``level`` (the address is checked without reading
    the list of every territory, which only the opened search needs)."""
    return not db.query(
        "select 1 from population_territoires where niveau = $1 and code = $2", level, code
    ).empty


def territories() -> pd.DataFrame:
    """Every territory to choose from, of every level, the most populated first: niveau, code,
    nom, departement (France, the level of the région series, has no page of its own)."""
    return db.query(
        """select niveau, code, nom, departement
           from population_territoires
           where niveau <> 'france'
           order by population desc nulls last, nom, code"""
    )


@dataclass(frozen=True)
class Profile:
    """What the Territoire page shows of one territory (see :func:`profile`)."""

    territory: dict | None  # nom, population, nb_communes, parents; None when unknown
    series: pd.DataFrame
    consumption: pd.DataFrame
    production: pd.DataFrame
    peers: pd.DataFrame
    contracts: pd.DataFrame
    members: pd.DataFrame
    demarches: pd.DataFrame


def profile(level: str, code: str) -> Profile:
    """Everything the Territoire page reads about one territory, its eight queries run at once
    on separate cursors: they wait on each other's reads less than one after the other (on two
    cores, 50 -> 31 ms for an EPCI, cold)."""
    info, *frames = db.queries(
        _territory(level, code),
        _coverage(level, code),
        _consumption_by_energy(level, code),
        _production_by_sector(level, code),
        _peers(level, code),
        _contracts(level, code),
        _members(level, code),
        _demarches(level, code),
    )
    return Profile(None if info.empty else info.iloc[0].to_dict(), *frames)


def _territory(level: str, code: str) -> Statement:
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
        (level, code),
    )


def _coverage(level: str, code: str) -> Statement:
    """A territory's coverage by year, its TEPOS trajectory and its status against it, as the
    marts computed them (``couverture_trajectoire``)."""
    return (
        """select v.annee, v.production_enr_mwh, v.consommation_mwh, v.taux_couverture,
                  v.part_population_production, v.part_population_consommation,
                  t.trajectoire, t.statut, v.origine
           from couverture as v
           join couverture_trajectoire as t using (niveau, code, annee)
           where v.niveau = $1 and v.code = $2
           order by v.annee""",
        (level, code),
    )


def _production_by_sector(level: str, code: str) -> Statement:
    """A territory's production series; a commune's are the rows of ``production``."""
    return (
        """select annee, filiere, energie_mwh, puissance_kw, origine
           from production_territoires
           where niveau = $1 and code = $2
           union all
           select annee, filiere, energie_mwh, puissance_kw, 'production'
           from production
           where $1 = 'commune' and code_commune = $2
           order by annee, filiere""",
        (level, code),
    )


def _consumption_by_energy(level: str, code: str) -> Statement:
    return (
        """select annee, filiere, conso_mwh, part_population_couverte, origine
           from consommation_territoires
           where niveau = $1 and code = $2
           order by annee, filiere""",
        (level, code),
    )


def _peers(level: str, code: str) -> Statement:
    """Territories of the same level with between half and twice its population, and their
    renewable coverage in its last year measured (``annee``), best first (``rang``, ties
    sharing one); the territory itself is among them (``lui_meme``), and each one's département
    (``departement``). None when its coverage was never measured."""
    return (
        """with moi as (
                select t.population, max(v.annee) as annee
                from population_territoires as t
                join couverture as v using (niveau, code)
                where t.niveau = $1 and t.code = $2 and v.taux_couverture is not null
                group by all
            )
            select p.code, p.nom, p.departement, p.population, v.annee, v.taux_couverture,
                   rank() over (order by v.taux_couverture desc) as rang,
                   p.code = $2 as lui_meme
            from population_territoires as p
            join couverture as v using (niveau, code)
            join moi on v.annee = moi.annee
            where p.niveau = $1 and v.niveau = $1
              and p.population between moi.population / 2 and moi.population * 2
              and v.taux_couverture is not null
            order by v.taux_couverture desc, p.nom, p.code""",
        (level, code),
    )


def _contracts(level: str, code: str) -> Statement:
    """Contracts whose perimeter holds an EPCI with communes in the territory."""
    return (
        """select k.type, k.nom, k.vague, k.date_signature, t.epci
           from territoires_contrats as t
           join contrats as k using (id_contrat)
           where t.niveau = $1 and t.code = $2
           order by k.date_signature nulls last, k.nom""",
        (level, code),
    )


def _members(level: str, code: str) -> Statement:
    """Active members seated in the territory or covering some of its communes."""
    return (
        """select m.nom, m.type, m.sous_type, m.date_adhesion, m.reseau_tepos, t.siege_ici
           from territoires_membres as t
           join membres as m using (id_membre)
           where t.niveau = $1 and t.code = $2 and m.actif
           order by m.nom""",
        (level, code),
    )


def _demarches(level: str, code: str) -> Statement:
    """Climate démarches declared to ADEME (PCAET first) carried by an EPCI or a commune with
    communes in the territory, and which of them carry it (``collectivites``)."""
    return (
        """with ici as (
                select code_commune from communes_niveaux where niveau = $1 and code = $2
            ), porteurs as (
                select t.id_demarche, coalesce(t.nom, t.siren) as collectivite
                from demarches_territoires as t
                where t.code_commune in (select code_commune from ici)
                   or t.code_epci in (
                       select c.code_epci from communes as c join ici using (code_commune))
            )
            select * from (
                select d.type, d.types, d.nom, d.etat, d.oblige, d.date_lancement,
                       d.date_modification,
                       string_agg(distinct p.collectivite, ' ; ' order by p.collectivite)
                           as collectivites
                from porteurs as p
                join demarches as d using (id_demarche)
                group by all
            )
            order by type <> 'PCAET', type, date_modification desc nulls last, nom""",
        (level, code),
    )
