-- Marts of the source `contrats`: one row per contract, whichever list it came from.
-- 2019 CTE list: phase 1 = the 2018 pilots, phase 2 = the July 2019 laureates.

create or replace table marts.contrats as
with crte as (
    select
        id_crte as id_contrat,
        coalesce(any_value(type_contrat), 'CRTE') as type,
        any_value(lib_crte) as nom,
        any_value(vague) as vague,
        min(date_signature) as date_signature,
        'liste CRTE (ANCT)' as source
    from staging.contrats_crte
    group by id_crte
), cte as (
    select
        id as id_contrat,
        'CTE' as type,
        lib as nom,
        case when info1 ilike '%phase 1%' then '2018' else '2019' end as vague,
        null::date as date_signature,
        'liste CTE 2019 (ANCT)' as source
    from staging.contrats_cte
), contrats as (
    select * from crte
    union all by name
    select * from cte
)
select id_contrat, type, nom, vague, date_signature,
       -- a contract counts from its signature, or from the end of its wave's year when undated;
       -- the ANCT's CRTE list gives neither: its CRTE count from 2021, when the first were signed
       coalesce(
           date_signature,
           make_date(try_cast(vague as integer), 12, 31),
           case when type = 'CRTE' then date '2021-12-31' end
       ) as debut,
       source
from contrats
order by id_contrat;

-- Perimeters given by their signatories: an EPCI whole, a commune with its share of its EPCI's
-- population (the connector placed each, see flows/sources/contrats.py); drawn perimeters are
-- added by the overlay (warehouse/contrats.py). A signatory that could not be placed is left
-- out here and reported in marts.contrats_rapprochement.
create or replace table marts.contrats_perimetres as
with places as (
    select distinct id_crte as id_contrat, code_epci, code_commune
    from staging.contrats_crte
    where code_epci is not null or code_commune is not null
)
select p.id_contrat,
       coalesce(p.code_epci, c.code_epci) as code_epci,
       case when p.code_commune is null then 1.0
            else round(c.population / nullif(e.population, 0), 4) end::double as part_population,
       p.code_commune
from places as p
left join marts.communes as c on c.code_commune = p.code_commune
left join marts.epci as e on e.code_epci = c.code_epci
order by all;
