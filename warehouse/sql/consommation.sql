-- Marts of the source `consommation`. Rows mapped onto the same current commune (merged
-- communes) are added up; a secret (blank) cell stays unknown rather than counting as zero.
-- The commune-level mart is a view: the publish step writes it once, into the public file,
-- instead of a table here and a copy there (4.9 M rows at national scale).

create or replace view marts.consommation as
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

-- Each commune's consumption by year and energy: what the territory totals and the renewable
-- coverage (couverture.sql) add up.
create or replace table interne.consommation_communes as
select
    code_commune,
    annee,
    case when filiere = 'Gaz' then 'gaz' else 'électricité' end as filiere,
    sum(conso_mwh) as conso_mwh
from staging.consommation
group by all;

-- Totals by territory and year. Communes, EPCI and départements: sums of their communes, with
-- the share of the territory's population whose commune reported any consumption of that
-- energy that year. Régions and France: the publisher's région series when one is loaded
-- (staging.consommation_regions), never a sum of communes beside it; what ORE could not place
-- in a région counts in France only. `origine` names the source each row comes from.
create or replace table marts.consommation_territoires as
with serie_regionale as (
    select * from marts.consommation_regions
), par_communes as (
    select
        n.niveau,
        n.code,
        k.annee,
        k.filiere,
        round(sum(k.conso_mwh), 3) as conso_mwh,
        count(*) as communes_avec_donnees,
        round(sum(c.population) / nullif(any_value(p.population), 0), 4)
            as part_population_couverte,
        'consommation' as origine
    from interne.consommation_communes as k
    join marts.communes as c using (code_commune)
    join marts.communes_niveaux as n using (code_commune)
    join marts.population_territoires as p using (niveau, code)
    where n.niveau <> 'region' or not exists (from serie_regionale)
    group by n.niveau, n.code, k.annee, k.filiere
), par_regions as (
    select
        if(grouping(code_region) = 1, 'france', 'region') as niveau,
        if(grouping(code_region) = 1, 'FR', code_region) as code,
        annee,
        filiere,
        round(sum(conso_mwh), 3) as conso_mwh,
        null::bigint as communes_avec_donnees,
        1.0 as part_population_couverte,
        'consommation_regions' as origine
    from serie_regionale
    group by grouping sets ((annee, filiere, code_region), (annee, filiere))
)
select * from par_communes
union all
select * from par_regions
where code is not null  -- ORE's « non affecté » rows: in France's total only
order by niveau, code, annee, filiere;
