-- Mart of the source `consommation_regions`: ORE's région rows as staged (NAF codes with their
-- leading zero back, « non affecté » rows without a région). The région and France totals
-- are in consommation_territoires (consommation.sql).
create or replace table marts.consommation_regions as
select code_region, annee, filiere, operateur, categorie, grand_secteur, code_naf2, nb_sites,
       conso_mwh, indice_qualite, source
from staging.consommation_regions
order by code_region nulls last, annee, filiere, operateur, categorie, grand_secteur, code_naf2;
