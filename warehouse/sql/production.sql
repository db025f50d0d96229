-- Marts of the source `production`: one row per commune, year and filière (voltage domains,
-- TEO indicator rows and old communes merged since added up). Capacity is the file's own when
-- it has one (TEO series); otherwise the capacity in service at the end of the year according
-- to ODRÉ's registry (marts.puissance_installee), when it is loaded. Enedis' dataset has none.

create or replace table marts.production as
with energie as (
    select code_commune, annee, filiere, sum(energie_mwh) as energie_mwh,
           sum(puissance_kw) as puissance_kw, sum(nb_sites) as nb_sites, source
    from staging.production
    group by all
)
select e.code_commune, e.annee, e.filiere, e.energie_mwh,
       coalesce(e.puissance_kw, p.puissance_kw) as puissance_kw, e.nb_sites, e.source
from energie as e
left join marts.puissance_installee as p using (code_commune, annee, filiere)
order by e.code_commune, e.annee, e.filiere;
