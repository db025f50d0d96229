"""Réseau: the active members of a kind and a région, and the objectives' series."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import db
from dashboard.db import Statement
from dashboard.queries.objectives import objectives_series

_MEMBERS = "($1::varchar is null or m.type = $1) and ($2::varchar is null or m.code_region = $2)"


@dataclass(frozen=True)
class Network:
    """What the Réseau page shows of the active members of a kind and a région (None: all)."""

    members: pd.DataFrame
    by_subtype: pd.DataFrame
    by_place: pd.DataFrame
    by_year: pd.DataFrame
    objectives: pd.DataFrame  # every objective's series, whatever the filters


def network(kind: str | None, code_region: str | None) -> Network:
    """The Réseau page's queries, run at once (see :func:`dashboard.db.queries`)."""
    return Network(
        *db.queries(
            _members(kind, code_region),
            _members_by_subtype(kind, code_region),
            _members_by_place(kind, code_region),
            _members_by_year(kind, code_region),
            objectives_series(),
        )
    )


def member_types() -> list[str]:
    return db.query("select distinct type from membres order by type")["type"].tolist()


def _members_by_subtype(kind: str | None, code_region: str | None) -> Statement:
    return (
        f"""select m.type, m.sous_type, count(*) as adherents
            from membres as m
            where m.actif and {_MEMBERS}
            group by all
            order by m.type, adherents desc, m.sous_type""",
        (kind, code_region),
    )


def _members_by_place(kind: str | None, code_region: str | None) -> Statement:
    """Active members by région, or by département of the chosen région, and kind."""
    if code_region is None:
        return (
            f"""select r.code_region as code, r.nom as lieu, m.type, count(m.id_membre) as adherents
                from regions as r
                left join membres as m on m.code_region = r.code_region and m.actif and {_MEMBERS}
                group by all
                order by lieu, m.type""",
            (kind, code_region),
        )
    return (
        f"""select d.code_departement as code, d.nom as lieu, m.type,
                   count(m.id_membre) as adherents
            from departements as d
            left join membres as m
              on m.code_departement = d.code_departement and m.actif and {_MEMBERS}
            where d.code_region = $2
            group by all
            order by lieu, m.type""",
        (kind, code_region),
    )


def _members_by_year(kind: str | None, code_region: str | None) -> Statement:
    """Per year: joins, exits and members active at the end of the year (today for this year)."""
    return (
        f"""with annees as (
                select unnest(range((select min(year(date_adhesion)) from membres as m
                                     where {_MEMBERS}),
                                    year(current_date) + 1)) as annee
            )
            select a.annee,
                   count(*) filter (where year(m.date_adhesion) = a.annee) as adhesions,
                   count(*) filter (where year(m.date_sortie) = a.annee) as sorties,
                   count(*) filter (where year(m.date_adhesion) <= a.annee
                                      and (m.date_sortie is null
                                           or year(m.date_sortie) > a.annee)) as actifs
            from annees as a
            cross join (select * from membres as m where {_MEMBERS}) as m
            group by a.annee
            order by a.annee""",
        (kind, code_region),
    )


def _members(kind: str | None, code_region: str | None) -> Statement:
    """Active members: organisation, kind, seat, join date, TEPOS, territories listed."""
    return (
        f"""select m.nom, m.type, m.sous_type, r.nom as region, d.nom as departement,
                   m.date_adhesion, m.reseau_tepos, coalesce(t.territoires, 0) as territoires
            from membres as m
            left join regions as r using (code_region)
            left join departements as d using (code_departement)
            left join (select id_membre, count(*) as territoires
                       from membres_territoires group by id_membre) as t using (id_membre)
            where m.actif and {_MEMBERS}
            order by m.nom""",
        (kind, code_region),
    )
