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

-- Production by filière of every territory above the commune (a commune's rows are those of
-- marts.production), so that a territory's page reads its series without joining communes:
-- EPCI and départements add up their communes; régions and France come from the publisher's
-- région series when one is loaded (staging.production_regions), never from a sum of communes
-- beside it. `origine` names the source each row comes from.
create or replace table marts.production_territoires as
with serie_regionale as (
    select * from marts.production_regions
)
select
    n.niveau,
    n.code,
    p.annee,
    p.filiere,
    round(sum(p.energie_mwh), 3) as energie_mwh,
    round(sum(p.puissance_kw), 3) as puissance_kw,
    sum(p.nb_sites) as nb_sites,
    count(*) as communes_avec_donnees,
    'production' as origine
from marts.production as p
join marts.communes_niveaux as n using (code_commune)
where n.niveau <> 'commune' and (n.niveau <> 'region' or not exists (from serie_regionale))
group by n.niveau, n.code, p.annee, p.filiere
union all
select
    if(grouping(code_region) = 1, 'france', 'region'),
    if(grouping(code_region) = 1, 'FR', code_region),
    annee,
    filiere,
    round(sum(energie_mwh), 3),
    null,  -- Enedis' dataset has no capacity
    sum(nb_sites),
    null,
    'production_regions'
from serie_regionale
group by grouping sets ((annee, filiere, code_region), (annee, filiere))
order by niveau, code, annee, filiere;
