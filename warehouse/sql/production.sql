-- Marts of the source `production`: one row per commune, year and filière (voltage domains
-- added up). Enedis gives no capacity in this dataset: puissance_kw stays empty until the
-- ODRÉ registry is loaded.

create or replace table marts.production as
select
    code_commune,
    annee,
    filiere,
    sum(energie_mwh) as energie_mwh,
    null::double as puissance_kw,
    sum(nb_sites) as nb_sites,
    source
from staging.production
group by all
order by code_commune, annee, filiere;
