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
    from marts.consommation
    group by all
), communes as (
    select c.*, p.annee, p.production_mwh, k.consommation_mwh
    from production as p
    full join consommation as k using (code_commune, annee)
    join marts.communes as c using (code_commune)
), niveaux as (
    select 'commune' as niveau, code_commune as code, * from communes
    union all by name
    select 'epci' as niveau, code_epci as code, * from communes where code_epci is not null
    union all by name
    select 'departement' as niveau, code_departement as code, * from communes
    union all by name
    select 'region' as niveau, code_region as code, * from communes
), population as (
    select 'commune' as niveau, code_commune as code, population from marts.communes
    union all
    select 'epci', code_epci, population from marts.epci
    union all
    select 'departement', code_departement, sum(population) from marts.communes group by 2
    union all
    select 'region', code_region, sum(population) from marts.communes group by 2
)
select
    n.niveau,
    n.code,
    n.annee,
    round(sum(n.production_mwh), 3) as production_enr_mwh,
    round(sum(n.consommation_mwh), 3) as consommation_mwh,
    round(sum(n.production_mwh) / nullif(sum(n.consommation_mwh), 0), 4) as taux_couverture,
    round(
        sum(n.population) filter (where n.production_mwh is not null)
        / nullif(any_value(p.population), 0), 4
    ) as part_population_production,
    round(
        sum(n.population) filter (where n.consommation_mwh is not null)
        / nullif(any_value(p.population), 0), 4
    ) as part_population_consommation
from niveaux as n
join population as p using (niveau, code)
group by n.niveau, n.code, n.annee
order by n.niveau, n.code, n.annee;
