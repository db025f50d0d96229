-- Marts of the source `emissions`. Rows mapped onto the same current commune (Paris's
-- arrondissements, merged communes) are added up, sector by sector; the publisher's total line
-- (Airparif: `Totale`) is kept as its own « secteur », « Total (éditeur) », and is never added to
-- the sectors: it is not their exact sum. kteqCO2 (Airparif's unit, inferred) → teqCO2.

create or replace table marts.emissions as
select
    code_commune,
    annee,
    case when secteur = 'Totale' then 'Total (éditeur)' else secteur end as secteur,
    round(sum(emission_kteqco2) * 1000, 1) as emissions_teqco2,
    string_agg(distinct source, ' | ' order by source) as source
from staging.emissions
group by code_commune, annee, secteur
order by code_commune, annee, secteur;

-- Totals by territory, year and sector (the total line summed on its own), with the share of the
-- territory's population in the communes that have data: a territory partly outside the
-- inventory's scope (an EPCI or a région beyond Île-de-France for Airparif) is partly counted.
create or replace table marts.emissions_territoires as
select
    n.niveau,
    n.code,
    e.annee,
    e.secteur,
    round(sum(e.emissions_teqco2), 1) as emissions_teqco2,
    count(*) as communes_avec_donnees,
    coalesce(round(sum(c.population) / nullif(any_value(p.population), 0), 4), 0)
        as part_population_avec_donnees
from marts.emissions as e
join marts.communes as c using (code_commune)
join marts.communes_niveaux as n using (code_commune)
join marts.population_territoires as p using (niveau, code)
group by n.niveau, n.code, e.annee, e.secteur
order by n.niveau, n.code, e.annee, e.secteur;
