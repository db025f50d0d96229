-- Marts of the source `consommation`. Rows mapped onto the same current commune (merged
-- communes) are added up; a secret (blank) cell stays unknown rather than counting as zero.

create or replace table marts.consommation as
select
    code_commune,
    annee,
    case when filiere = 'Gaz' then 'gaz' else 'électricité' end as filiere,
    categorie,
    grand_secteur,
    code_naf2,
    sum(nb_sites) as nb_sites,
    sum(conso_mwh) as conso_mwh,
    source
from staging.consommation
group by all
order by code_commune, annee, filiere, grand_secteur, code_naf2;

-- Totals by territory and year, with the share of the territory's population whose commune
-- reported any consumption of that energy that year.
create or replace table marts.consommation_territoires as
with par_commune as (
    select c.code_commune, c.code_epci, c.code_departement, c.code_region, c.population,
           k.annee, k.filiere, sum(k.conso_mwh) as conso_mwh
    from marts.consommation as k
    join marts.communes as c using (code_commune)
    group by all
), niveaux as (
    select 'commune' as niveau, code_commune as code, * from par_commune
    union all by name
    select 'epci' as niveau, code_epci as code, * from par_commune where code_epci is not null
    union all by name
    select 'departement' as niveau, code_departement as code, * from par_commune
    union all by name
    select 'region' as niveau, code_region as code, * from par_commune
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
    n.filiere,
    round(sum(n.conso_mwh), 3) as conso_mwh,
    count(*) as communes_avec_donnees,
    round(sum(n.population) / nullif(any_value(p.population), 0), 4) as part_population_couverte
from niveaux as n
join population as p using (niveau, code)
group by n.niveau, n.code, n.annee, n.filiere
order by n.niveau, n.code, n.annee, n.filiere;
