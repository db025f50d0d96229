-- Each territory's renewable coverage against the TEPOS trajectory: a straight line from its
-- first measured year to the target of the objective `couverture_renouvelable` (100 % in 2050)
-- by the macros of trajectoire.sql, and its status each year; « première mesure » while it has
-- a single measured year. The Territoire page reads it.
create or replace table marts.couverture_trajectoire as
with serie as (
    select niveau, code, annee, taux_couverture,
           min(annee) filter (taux_couverture is not null) over territoire as annee_depart,
           arg_min(taux_couverture, annee) filter (taux_couverture is not null)
             over territoire as depart,
           count(taux_couverture) over territoire as mesures
    from marts.couverture
    window territoire as (partition by niveau, code)
), ligne as (
    select s.*,
           case when s.annee >= s.annee_depart
                then trajectoire(s.depart, s.annee_depart, o.cible, o.annee_cible, s.annee)
           end as trajectoire
    from serie as s
    cross join (select cible, annee_cible from marts.objectifs
                where id_objectif = 'couverture_renouvelable') as o
)
select niveau, code, annee, trajectoire,
       case when mesures = 1 and taux_couverture is not null then 'première mesure'
            else statut_trajectoire(taux_couverture, trajectoire) end as statut
from ligne
order by niveau, code, annee;
