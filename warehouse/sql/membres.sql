-- Marts of the source `membres`. Only what describes an organisation is public: no contact, and
-- no member-level answer to the four objectives (those feed aggregates and the partner space).

create or replace table marts.membres as
select
    m.id_membre,
    m.nom,
    m.type,
    m.sous_type,
    m.siren,
    m.code_commune_siege,
    c.code_departement,
    c.code_region,
    m.date_adhesion,
    m.date_sortie,
    m.date_sortie is null as actif,
    m.reseau_tepos
from staging.membres as m
left join marts.communes as c on c.code_commune = m.code_commune_siege
order by m.id_membre;

-- The territories each member covers: an EPCI by its SIREN, or a commune by its code.
create or replace table marts.membres_territoires as
with listed as (
    select id_membre, trim(unnest(string_split(territoires, '|'))) as code
    from staging.membres
    where territoires is not null
)
select distinct
    l.id_membre,
    case when e.code_epci is not null then 'epci' else 'commune' end as niveau,
    l.code
from listed as l
left join marts.epci as e on e.code_epci = l.code
where l.code <> ''
order by l.id_membre, l.code;

-- The members in each territory of every level: covering, or seated in, one of its communes.
create or replace table marts.territoires_membres as
with communes_membres as (
    select t.id_membre, c.code_commune, false as siege
    from marts.membres_territoires as t
    join marts.communes as c
      on (t.niveau = 'epci' and c.code_epci = t.code)
      or (t.niveau = 'commune' and c.code_commune = t.code)
    union all
    select id_membre, code_commune_siege, true
    from marts.membres
    where code_commune_siege is not null
)
select n.niveau, n.code, m.id_membre, bool_or(m.siege) as siege_ici
from communes_membres as m
join marts.communes_niveaux as n using (code_commune)
group by all
order by n.niveau, n.code, m.id_membre;
