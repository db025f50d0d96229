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

-- Totals by territory and year, with the share of the territory's population whose commune
-- reported any consumption of that energy that year.
create or replace table marts.consommation_territoires as
select
    n.niveau,
    n.code,
    k.annee,
    k.filiere,
    round(sum(k.conso_mwh), 3) as conso_mwh,
    count(*) as communes_avec_donnees,
    round(sum(c.population) / nullif(any_value(p.population), 0), 4) as part_population_couverte
from interne.consommation_communes as k
join marts.communes as c using (code_commune)
join marts.communes_niveaux as n using (code_commune)
join marts.population_territoires as p using (niveau, code)
group by n.niveau, n.code, k.annee, k.filiere
order by n.niveau, n.code, k.annee, k.filiere;
