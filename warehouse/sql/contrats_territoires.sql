-- The contracts in each territory of every level: those whose perimeter covers one of its
-- communes (all the communes of a perimeter's EPCI, or the communes that signed themselves), and
-- how many of the perimeter's places (EPCI, or communes without EPCI) are there. Built after the
-- drawn perimeters are added.
create or replace table marts.territoires_contrats as
with couvertes as (
    select p.id_contrat, c.code_commune, p.code_epci as lieu
    from marts.contrats_perimetres as p
    join marts.communes as c on c.code_epci = p.code_epci
    where p.code_commune is null
    union
    select id_contrat, code_commune, coalesce(code_epci, code_commune) as lieu
    from marts.contrats_perimetres
    where code_commune is not null
)
select n.niveau, n.code, k.id_contrat, count(distinct k.lieu) as epci
from couvertes as k
join marts.communes_niveaux as n using (code_commune)
group by all
order by n.niveau, n.code, k.id_contrat;
