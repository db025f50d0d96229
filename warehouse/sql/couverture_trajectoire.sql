-- Each territory's renewable coverage against the one TEPOS trajectory every territory is read
-- against: a straight line from France's coverage in the reference year of the objective
-- `couverture_renouvelable` (2015; the publishers' région series) to its target (100 % in
-- 2050), by the macros of trajectoire.sql. The same line for all: a territory is not « on
-- track » because its line starts from its own first value. Years before the reference year
-- are « avant la référence »; without France's value that year there is no line
-- (« sans référence »). The Territoire page reads it.
create or replace table marts.couverture_trajectoire as
with ligne as (
    select o.annee_reference, o.cible, o.annee_cible, f.taux_couverture as depart
    from marts.objectifs as o
    left join marts.couverture as f
      on f.niveau = 'france' and f.code = 'FR' and f.annee = o.annee_reference
    where o.id_objectif = 'couverture_renouvelable'
), mesure as (
    select c.niveau, c.code, c.annee, c.taux_couverture, l.*,
           case when c.annee >= l.annee_reference
                then trajectoire(l.depart, l.annee_reference, l.cible, l.annee_cible, c.annee)
           end as trajectoire
    from marts.couverture as c
    cross join ligne as l
)
select niveau, code, annee, trajectoire,
       case when annee < annee_reference and taux_couverture is not null
            then 'avant la référence'
            else statut_trajectoire(taux_couverture, trajectoire, cible) end as statut
from mesure
order by niveau, code, annee;
