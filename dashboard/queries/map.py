"""Carte: one indicator for every territory of a level in one year, and the outlines to draw
them, which the publish wrote (``warehouse/outlines.py``)."""

from __future__ import annotations

import os
import re

import pandas as pd

from dashboard import db
from dashboard.db import NotPublished
from warehouse import outlines as published_outlines
from warehouse.paths import Home

# The territories of level $1 shown (communes of département $3 only, at commune level).
_TERRITORIES = """
territoires as (
    select p.code, p.nom, p.population
    from population_territoires as p
    where p.niveau = $1
      and ($3::varchar is null or p.code in (
          select code_commune from communes where code_departement = $3))
)"""
# Population of each territory whose communes are « in » at the end of year $2.
_SHARE = """
select n.code,
       coalesce(sum(c.population) filter (where c.code_commune in (from dedans)), 0)
         / nullif(sum(c.population), 0) as valeur,
       1.0 as part_donnees, null::varchar as origine
from communes_niveaux as n
join communes as c using (code_commune)
where n.niveau = $1
  and ($3::varchar is null or n.code in (
      select code_commune from communes where code_departement = $3))
group by n.code
"""
INDICATORS = {
    "taux_couverture": """
        select code, taux_couverture as valeur,
               least(part_population_production, part_population_consommation) as part_donnees,
               origine
        from couverture where niveau = $1 and annee = $2""",
    "production_enr": """
        select code, production_enr_mwh as valeur, part_population_production as part_donnees,
               origine
        from couverture where niveau = $1 and annee = $2""",
    "conso_hab": """
        select v.code, v.consommation_mwh / nullif(p.population, 0) as valeur,
               v.part_population_consommation as part_donnees, v.origine
        from couverture as v
        join population_territoires as p using (niveau, code)
        where v.niveau = $1 and v.annee = $2""",
    "contrat": """
        with dedans as (
            select c.code_commune
            from communes as c
            join contrats_perimetres as p using (code_epci)
            join contrats as k using (id_contrat)
            where year(k.debut) <= $2
        )"""
    + _SHARE,
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
    + _SHARE,
}


def map_values(level: str, indicator: str, year: int, departement: str | None) -> pd.DataFrame:
    """One value per territory of ``level`` in ``year``, with the share of its population
    whose communes had data and where its energy comes from (``origine``, see ``couverture``);
    ``indicator`` is a key of the fixed queries above."""
    return db.query(
        f"""with {_TERRITORIES.strip()}, valeurs as ({INDICATORS[indicator]})
            select t.code, t.nom, t.population, v.valeur, v.part_donnees, v.origine
            from territoires as t
            left join valeurs as v using (code)
            order by t.nom""",
        level,
        year,
        departement,
    )


def energy_years(level: str) -> list[int]:
    """The years a level's coverage is measured (both production and consumption): the régions
    follow the publishers' région series (2011-2021 for ORE's), the other levels the commune
    series (a commune's years are its département's: fewer rows)."""
    years = db.query(
        "select distinct annee from couverture "
        "where niveau = case when $1 = 'commune' then 'departement' else $1 end "
        "and taux_couverture is not null order by annee",
        level,
    )
    return years["annee"].tolist()


def outlines(level: str, departement: str | None) -> tuple[str, tuple[float, ...]]:
    """URL of a level's outlines (a FeatureCollection, feature id = code) or of a département's
    communes, relative to the page, and their bounding box. The publish wrote them in a folder
    of its own; the browser fetches the file once and keeps it: a figure carrying the EPCI
    outlines would be 1.4 MB for Plotly to serialise and send again at every rerun."""
    if departement is not None and not re.fullmatch(r"[0-9][0-9AB][0-9]?", departement):
        raise ValueError(f"code de département invalide : {departement!r}")
    try:
        folder = os.readlink(published_outlines.current(Home.from_env().static))
    except OSError:
        raise NotPublished("map outlines") from None
    url = f"app/static/{folder}/{published_outlines.file_name(level, departement)}"
    return url, _bounds(level, departement)


def _bounds(level: str, departement: str | None) -> tuple[float, ...]:
    (bounds,) = db.query(
        """select min(lon_min), min(lat_min), max(lon_max), max(lat_max)
           from geometries
           where niveau = $1
             and ($2::varchar is null or code in (
                 select code_commune from communes where code_departement = $2))""",
        level,
        departement,
    ).itertuples(index=False)
    return tuple(float(b) for b in bounds)
