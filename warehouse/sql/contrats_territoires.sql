-- The contracts in each territory of every level: those whose perimeter holds an EPCI with
-- communes in it, and how many such EPCI. Built after the drawn perimeters are added.
create or replace table marts.territoires_contrats as
select n.niveau, n.code, p.id_contrat, count(distinct p.code_epci) as epci
from marts.contrats_perimetres as p
join marts.communes as c on c.code_epci = p.code_epci
join marts.communes_niveaux as n using (code_commune)
group by all
order by n.niveau, n.code, p.id_contrat;
