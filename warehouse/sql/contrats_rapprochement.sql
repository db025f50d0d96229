-- The CRTE list's contracts in the matching report, after the drawn CTE perimeters
-- (warehouse/contrats.py): each CRTE, the communes its placed signatories cover, and the
-- signatories that could not be placed (the contract stays, « à vérifier »).
insert into marts.contrats_rapprochement
with lieux as (
    select p.id_contrat,
           sum(case when p.code_commune is null then e.nb_communes else 1 end) as communes,
           string_agg(distinct p.code_epci, '|' order by p.code_epci) as epci
    from marts.contrats_perimetres as p
    left join marts.epci as e using (code_epci)
    group by p.id_contrat
), signataires as (
    select id_crte as id_contrat,
           any_value(lib_crte) as nom,
           string_agg(
               distinct siren_groupement || ' (' || coalesce(lib_groupement, '?') || ') : ' || motif,
               ' ; '
           ) filter (where motif is not null) as motifs
    from staging.contrats_crte
    group by id_crte
)
select s.id_contrat,
       s.nom,
       'signataires' as perimetre,
       null::bigint as communes_declarees,
       coalesce(l.communes, 0)::bigint as communes_trouvees,
       l.epci,
       null::double as similarite_nom,
       case when l.id_contrat is null then 'non rapproché'
            when s.motifs is not null then 'à vérifier'
            else 'rapproché' end as statut,
       s.motifs as motif
from signataires as s
left join lieux as l using (id_contrat)
order by s.id_contrat;
