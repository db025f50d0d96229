-- The network's trajectory rule, defined once for the warehouse and for the published file: a
-- straight line from the value measured in a reference year to the target in the target year,
-- never above the target; within 5 % of the line is on it; a value at or past the target has
-- reached it, whatever the line says.

create or replace macro trajectoire(depart, annee_depart, cible, annee_cible, annee) as
    case when depart is not null  -- least() would skip a null and answer the target
         then least(cible, depart + (cible - depart) * (annee - annee_depart)
                           / greatest(annee_cible - annee_depart, 1)) end;

create or replace macro statut_trajectoire(valeur, attendu, cible) as
    case when valeur is null then 'sans données'
         when valeur >= cible then 'atteint'
         when attendu is null then 'sans référence'
         when valeur >= 1.05 * attendu then 'en avance'
         when valeur >= 0.95 * attendu then 'sur la trajectoire'
         else 'en retard' end;
