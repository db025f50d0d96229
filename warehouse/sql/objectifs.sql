-- The network's indicators, one row per indicator and year, in `interne` (member-level rows
-- stay internal); warehouse/objectifs.py publishes them with the objectives of objectifs.yaml.

-- Each member's answers of each year (the open versions of membres_versions.sql) read against
-- the four objectives' thresholds (null: not answered). The counts below and the partner space
-- (warehouse/sql/partenaires.sql, each member's latest year) share these rules.
create or replace table interne.membres_reponses as
select
    id_membre,
    annee,
    dotation_eur_hab_an >= 10 as dotation_10_euros,
    strategie_adoptee and annee_objectif_enr <= 2050 as strategie_100_enr_2050,
    etp_coordination >= 1 as coordinateur_1_etp,
    services_mutualises is not null as service_mutualise
from interne.membres_versions
where valide_au is null;

-- Communes covered by each member collectivity (an EPCI stands for its communes).
create or replace table interne.membres_communes as
select distinct t.id_membre, c.code_commune, c.population
from marts.membres_territoires as t
join marts.membres as m using (id_membre)
join marts.communes as c
  on (t.niveau = 'epci' and c.code_epci = t.code)
  or (t.niveau = 'commune' and c.code_commune = t.code)
where m.type = 'collectivité';

-- Each member territory's renewable coverage against the one TEPOS trajectory
-- (interne.trajectoire_tepos, couverture_trajectoire.sql: France's coverage in the reference
-- year to 100 % in 2050).
create or replace table interne.membres_trajectoires as
with serie as (
    select mc.id_membre, cv.annee,
           sum(cv.production_enr_mwh) / nullif(sum(cv.consommation_mwh), 0) as taux
    from interne.membres_communes as mc
    join marts.couverture as cv on cv.niveau = 'commune' and cv.code = mc.code_commune
    group by all
), reference as (
    select any_value(annee_reference) as annee_reference, any_value(cible) as cible
    from interne.trajectoire_tepos
)
select s.id_membre, s.annee, s.taux, t.trajectoire,
       case when s.annee < r.annee_reference and s.taux is not null then 'avant la référence'
            else statut_trajectoire(s.taux, t.trajectoire, r.cible) end as statut
from serie as s
cross join reference as r
left join interne.trajectoire_tepos as t using (annee);

create or replace table interne.indicateurs as
with annees as (
    select distinct annee from marts.couverture
), actifs as (  -- member collectivities active at the end of each year
    select a.annee, m.*
    from annees as a
    join staging.membres as m
      on m.type = 'collectivité'
     and year(m.date_adhesion) <= a.annee
     and (m.date_sortie is null or year(m.date_sortie) > a.annee)
), reponses as (  -- each year's answers of the collectivités that were members at its end
    select r.annee,
           count(*) as denominateur,
           count(*) filter (where r.dotation_10_euros) as dotation,
           count(*) filter (where r.strategie_100_enr_2050) as strategie,
           count(*) filter (where r.coordinateur_1_etp) as coordinateur,
           count(*) filter (where r.service_mutualise) as service,
           count(*) filter (where v.dotation_eur_hab_an is not null) as dotation_connue,
           count(*) filter (where v.strategie_adoptee is not null) as strategie_connue,
           count(*) filter (where v.etp_coordination is not null) as coordinateur_connu
    from interne.membres_reponses as r
    join interne.membres_versions as v
      on v.id_membre = r.id_membre and v.annee = r.annee and v.valide_au is null
    join staging.membres as m on m.id_membre = r.id_membre
    where m.type = 'collectivité'
      and year(m.date_adhesion) <= r.annee
      and (m.date_sortie is null
           or m.date_sortie > least(current_date, make_date(r.annee, 12, 31)))
    group by r.annee
), couverture as (
    select cv.annee,
           sum(cv.production_enr_mwh) as production,
           sum(cv.consommation_mwh) as consommation,
           sum(mc.population) filter (where cv.production_enr_mwh is not null
                                        and cv.consommation_mwh is not null) as avec_donnees,
           sum(mc.population) as population
    from (select distinct code_commune, population from interne.membres_communes) as mc
    join marts.couverture as cv on cv.niveau = 'commune' and cv.code = mc.code_commune
    group by cv.annee
), trajectoires as (
    select t.annee,
           count(*) filter (where t.statut in ('atteint', 'en avance', 'sur la trajectoire'))
             as bons,
           count(*) filter (where t.statut not in ('sans données', 'avant la référence'))
             as mesures,
           count(*) as membres
    from interne.membres_trajectoires as t
    join actifs as a on a.annee = t.annee and a.id_membre = t.id_membre
    group by t.annee
), contrats as (
    select a.annee,
           coalesce(sum(e.population) filter (where e.code_epci in (
               select p.code_epci from marts.contrats_perimetres as p
               join marts.contrats as k using (id_contrat)
               where year(k.debut) <= a.annee
           )), 0) as couverte,
           sum(e.population) as population
    from annees as a cross join marts.epci as e
    group by a.annee
), pcaet_adoptes as (
    -- Today's EPCI carrying a PCAET that ADEME's export says adopted (Définitif or Mise en
    -- oeuvre). The export dates no adoption: a record's state holds at least since its last
    -- modification, so the year of that modification is the first year the adoption is
    -- certain. Values before the export's year are minimums; its year is the state it gives.
    select t.code_epci, min(year(d.date_modification)) as annee
    from marts.demarches as d
    join marts.demarches_territoires as t using (id_demarche)
    where d.types like '%PCAET%' and d.adopte and t.code_epci is not null
    group by t.code_epci
), pcaet_declares as (
    -- Today's EPCI in ADEME's PCAET export at all, whatever the state, since the record's
    -- creation: declaring is not compulsory, so an EPCI absent from it is not known to have none
    select t.code_epci, min(year(d.date_creation)) as annee
    from marts.demarches as d
    join marts.demarches_territoires as t using (id_demarche)
    where d.types like '%PCAET%' and d.etat is not null and t.code_epci is not null
    group by t.code_epci
), pcaet_annees as (
    select unnest(range(min(annee), (
        select max(year(date_modification)) from marts.demarches where etat is not null
    ) + 1)) as annee
    from pcaet_adoptes
), pcaet as (
    -- EPCI à fiscalité propre of more than 20,000 inhabitants must adopt a PCAET
    -- (Code de l'environnement, art. L229-26): today's EPCI and populations (COG)
    select a.annee,
           count(*) as obliges,
           count(*) filter (where p.annee <= a.annee) as adoptes,
           sum(e.population) as population,
           coalesce(sum(e.population) filter (where p.annee <= a.annee), 0) as population_adoptee,
           count(*) filter (where k.annee <= a.annee) as declares,
           coalesce(sum(e.population) filter (where k.annee <= a.annee), 0) as population_declaree
    from pcaet_annees as a
    cross join marts.epci as e
    left join pcaet_adoptes as p on p.code_epci = e.code_epci
    left join pcaet_declares as k on k.code_epci = e.code_epci
    where e.population > 20000
    group by a.annee
), emissions_2015 as (
    -- Greenhouse-gas emissions against 2015, the SNBC-2's reference year (objectifs.yaml), over
    -- every commune of the loaded inventory, by the publisher's own total line (never the sum of
    -- its sectors), on a constant perimeter: the communes with a total in 2015 and in the year
    select code_commune, emissions_teqco2 as reference
    from marts.emissions
    where secteur = 'Total (éditeur)' and annee = 2015
), emissions_champ as (
    -- the inventory's scope: the régions it has communes in (Airparif: Île-de-France)
    select sum(population) as population
    from marts.communes
    where code_region in (
        select c.code_region from marts.emissions as e join marts.communes as c using (code_commune)
    )
), emissions as (
    select e.annee,
           sum(r.reference) - sum(e.emissions_teqco2) as baisse,
           sum(r.reference) as reference,
           sum(c.population) / any_value(s.population) as part_donnees
    from marts.emissions as e
    join emissions_2015 as r using (code_commune)
    join marts.communes as c using (code_commune)
    cross join emissions_champ as s
    where e.secteur = 'Total (éditeur)' and e.annee >= 2015
    group by e.annee
)
select 'part_dotation_10_euros' as indicateur, annee, dotation as numerateur,
       denominateur, dotation_connue / denominateur as part_donnees from reponses
union all
select 'part_strategie_100_enr_2050', annee, strategie, denominateur,
       strategie_connue / denominateur from reponses
union all
select 'part_coordinateur_1_etp', annee, coordinateur, denominateur,
       coordinateur_connu / denominateur from reponses
union all
select 'part_service_mutualise', annee, service, denominateur, 1.0 from reponses
union all
select 'couverture_enr_membres', annee, production, consommation, avec_donnees / population
from couverture
union all
select 'part_sur_trajectoire', annee, bons, mesures, mesures / membres from trajectoires
union all
select 'part_population_sous_contrat', annee, couverte, population, 1.0 from contrats
union all
select 'part_epci_obliges_pcaet_adopte', annee, adoptes, obliges, declares / obliges from pcaet
union all
select 'part_population_epci_obliges_pcaet_adopte', annee, population_adoptee, population,
       population_declaree / population
from pcaet
union all
select 'baisse_emissions_depuis_2015', annee, baisse, reference, part_donnees from emissions;
