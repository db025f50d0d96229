-- The one TEPOS trajectory every territory is read against: a straight line from France's
-- renewable coverage in the reference year of the objective `couverture_renouvelable` (2015;
-- the publishers' région series) to its target (100 % in 2050), by the macros of
-- trajectoire.sql, one row per year (interne.trajectoire_tepos; the members' trajectories of
-- objectifs.sql read it too). The same line for all: a territory is not « on track » because its
-- line starts from its own first value. Years before the reference year are « avant la
-- référence »; without France's value that year there is no line (« sans référence »).
create or replace table interne.trajectoire_tepos as
select a.annee, o.annee_reference, o.cible,
       trajectoire(f.taux_couverture, o.annee_reference, o.cible, o.annee_cible, a.annee)
         as trajectoire
from marts.objectifs as o
cross join range(o.annee_reference, o.annee_cible + 1) as a(annee)
left join marts.couverture as f
  on f.niveau = 'france' and f.code = 'FR' and f.annee = o.annee_reference
where o.id_objectif = 'couverture_renouvelable';

-- Each territory's coverage against it, each year: the Territoire page reads it.
create or replace table marts.couverture_trajectoire as
with reference as (
    select any_value(annee_reference) as annee_reference, any_value(cible) as cible
    from interne.trajectoire_tepos
)
select c.niveau, c.code, c.annee, t.trajectoire,
       case when c.annee < r.annee_reference and c.taux_couverture is not null
            then 'avant la référence'
            else statut_trajectoire(c.taux_couverture, t.trajectoire, r.cible) end as statut
from marts.couverture as c
cross join reference as r
left join interne.trajectoire_tepos as t using (annee)
order by c.niveau, c.code, c.annee;
