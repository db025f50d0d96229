-- Renewable coverage: local renewable electricity production / final consumption (electricity
-- and gas, as Agence ORE publishes them) of the same perimeter and year, at every level, with
-- the share of the perimeter's population whose commune had data on each side.

create or replace table marts.couverture as
with production as (
    select code_commune, annee, sum(energie_mwh) as production_mwh
    from marts.production
    where filiere in ('photovoltaique', 'eolien', 'hydraulique', 'bio_energie', 'autres_filieres')
    group by all
), consommation as (
    select code_commune, annee, sum(conso_mwh) as consommation_mwh
    from interne.consommation_communes
    group by all
), communes as (
    select *
    from production
    full join consommation using (code_commune, annee)
)
select
    n.niveau,
    n.code,
    k.annee,
    round(sum(k.production_mwh), 3) as production_enr_mwh,
    round(sum(k.consommation_mwh), 3) as consommation_mwh,
    round(sum(k.production_mwh) / nullif(sum(k.consommation_mwh), 0), 4) as taux_couverture,
    round(
        sum(c.population) filter (where k.production_mwh is not null)
        / nullif(any_value(p.population), 0), 4
    ) as part_population_production,
    round(
        sum(c.population) filter (where k.consommation_mwh is not null)
        / nullif(any_value(p.population), 0), 4
    ) as part_population_consommation
from communes as k
join marts.communes as c using (code_commune)
join marts.communes_niveaux as n using (code_commune)
join marts.population_territoires as p using (niveau, code)
group by n.niveau, n.code, k.annee
order by n.niveau, n.code, k.annee;
