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
       -- a contract counts from its signature, or from the end of its wave's year when undated
       coalesce(date_signature, make_date(try_cast(vague as integer), 12, 31)) as debut,
       source
from contrats
order by id_contrat;

-- Perimeters given by EPCI; drawn perimeters are added by the overlay (warehouse/contrats.py).
create or replace table marts.contrats_perimetres as
select distinct id_crte as id_contrat, siren_groupement as code_epci, 1.0::double as part_population
from staging.contrats_crte
order by id_contrat, code_epci;
