"""Contrats: the contracts of a type and a région, their signatures and how much of the country
they cover (a contract counts from ``contrats.debut``, its signature or the end of its wave's
year)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import db
from dashboard.db import Statement

# Contracts of type $1 (None: all) with an EPCI in région $2 (None: all).
_FILTER = (
    "($1::varchar is null or k.type = $1) and ($2::varchar is null or k.id_contrat in ("
    "select p.id_contrat from contrats_perimetres as p "
    "join epci_territoires as e using (code_epci) where e.code_region = $2))"
)


@dataclass(frozen=True)
class Contracts:
    """What the Contrats page shows of the contracts of a type and a région (None: all)."""

    listing: pd.DataFrame
    by_wave: pd.DataFrame
    coverage: pd.DataFrame
    signatures: pd.DataFrame
    matching: pd.DataFrame  # every drawn perimeter, whatever the filters


def contracts(kind: str | None, code_region: str | None) -> Contracts:
    """The Contrats page's queries, run at once (see :func:`dashboard.db.queries`)."""
    return Contracts(
        *db.queries(
            _contracts(kind, code_region),
            _contracts_by_wave(kind, code_region),
            _coverage(kind, code_region),
            _signatures_by_month(kind, code_region),
            _matching(),
        )
    )


def _contracts_by_wave(kind: str | None, code_region: str | None) -> Statement:
    return (
        f"""select k.type, k.vague, count(*) as contrats,
                   min(k.date_signature) as premiere_signature,
                   max(k.date_signature) as derniere_signature,
                   count(*) filter (where k.date_signature is null) as sans_date
            from contrats as k
            where {_FILTER}
            group by all
            order by k.type desc, k.vague""",
        (kind, code_region),
    )


def _signatures_by_month(kind: str | None, code_region: str | None) -> Statement:
    """Contracts signed each month, by kind and wave (undated contracts are left out)."""
    return (
        f"""select date_trunc('month', k.date_signature)::date as mois,
                   k.type || coalesce(' ' || k.vague, '') as vague,
                   count(*) as contrats
            from contrats as k
            where k.date_signature is not null and {_FILTER}
            group by all
            order by mois, vague""",
        (kind, code_region),
    )


def _coverage(kind: str | None, code_region: str | None) -> Statement:
    """Share of EPCI, and of their population, under a signed contract: one row per date it
    changed, and today. Within a région, an EPCI counts for its communes in the région."""
    return (
        """with signe as (
                select p.code_epci, min(k.debut) as depuis
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
        (kind, code_region),
    )


def _contracts(kind: str | None, code_region: str | None) -> Statement:
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
        (kind, code_region),
    )


def _matching() -> Statement:
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
