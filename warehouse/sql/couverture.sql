-- Renewable coverage: local renewable electricity production / final consumption (electricity
-- and gas, as Agence ORE publishes them) of the same perimeter and year, at every level.
-- Communes, EPCI and départements: from their communes, with the share of the perimeter's
-- population whose commune had data on each side. Régions and France: from the publishers'
-- région series when both are loaded (Enedis' production is its network's only: the coverage
-- of a région or of France is a lower bound), never from a sum of communes beside them.

create or replace table marts.couverture as
with series as (
    select (select count(*) from marts.production_regions) > 0
       and (select count(*) from marts.consommation_regions) > 0 as chargees
), production as (
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
), par_communes as (
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
        ) as part_population_consommation,
        'communes' as origine
    from communes as k
    join marts.communes as c using (code_commune)
    join marts.communes_niveaux as n using (code_commune)
    join marts.population_territoires as p using (niveau, code)
    where n.niveau <> 'region' or not (from series)
    group by n.niveau, n.code, k.annee
), production_series as (
    select niveau, code, annee, sum(energie_mwh) as production_mwh
    from marts.production_territoires
    where origine = 'production_regions'
      and filiere in ('photovoltaique', 'eolien', 'hydraulique', 'bio_energie', 'autres_filieres')
    group by all
), consommation_series as (
    select niveau, code, annee, sum(conso_mwh) as consommation_mwh
    from marts.consommation_territoires
    where origine = 'consommation_regions'
    group by all
), par_series as (
    select
        niveau,
        code,
        annee,
        round(s.production_mwh, 3),
        round(k.consommation_mwh, 3),
        round(s.production_mwh / nullif(k.consommation_mwh, 0), 4),
        if(s.production_mwh is null, 0.0, 1.0),
        if(k.consommation_mwh is null, 0.0, 1.0),
        'séries régionales'
    from production_series as s
    full join consommation_series as k using (niveau, code, annee)
    where (from series)
)
select * from par_communes
union all
select * from par_series
order by niveau, code, annee;
