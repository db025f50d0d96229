-- Mart of the source `production_regions`: Enedis' région rows, one per région, year, voltage
-- domain and filière. The région and France totals are in production_territoires
-- (production.sql).
create or replace table marts.production_regions as
select code_region, annee, domaine_de_tension, filiere, nb_sites, energie_mwh, source
from staging.production_regions
order by code_region, annee, domaine_de_tension, filiere;
