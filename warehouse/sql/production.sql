-- Marts of the source `production`: one row per commune, year and filière (voltage domains,
-- TEO indicator rows and old communes merged since added up). Capacity comes from the TEO
-- series only: Enedis' commune dataset has none, and a sum of nulls stays null.

create or replace table marts.production as
select
    code_commune,
    annee,
    filiere,
    sum(energie_mwh) as energie_mwh,
    sum(puissance_kw) as puissance_kw,
    sum(nb_sites) as nb_sites,
    source
from staging.production
group by all
order by code_commune, annee, filiere;
