"""Accueil: the network today (the objectives are in ``objectives``)."""

from __future__ import annotations

from dashboard import db


def key_figures() -> dict:
    """The network today: active members (and by kind), what member collectivities cover
    (EPCI and communes listed, communes, population), contracts and the EPCI they cover (a
    contract counts from ``contrats.debut``)."""
    return (
        db.query(
            """with actifs as (
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
                    where k.debut <= current_date
                ), types as (
                    select type, count(*) as adherents from actifs group by type
                )
                select (select list({'type': type, 'adherents': adherents}
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


def france() -> dict | None:
    """France's renewable coverage in its latest year with both series and in 2015, and where
    its rows come from (the publishers' région series, or ``None`` when none is loaded)."""
    rows = db.query(
        """select annee, taux_couverture, production_enr_mwh, consommation_mwh
           from couverture
           where niveau = 'france' and taux_couverture is not null
           order by annee"""
    )
    if rows.empty:
        return None
    latest, first = rows.iloc[-1].to_dict(), rows.iloc[0].to_dict()
    return {"latest": latest, "first": first}
