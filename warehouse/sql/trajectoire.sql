-- The network's trajectory rule, defined once for the warehouse and for the published file
-- (the dashboard calls these macros): a straight line from the first measured value to the
-- target in the target year, never above the target; within 5 % of the line is on it.

create or replace macro trajectoire(depart, annee_depart, cible, annee_cible, annee) as
    least(cible, depart + (cible - depart) * (annee - annee_depart)
                 / greatest(annee_cible - annee_depart, 1));

create or replace macro statut_trajectoire(valeur, attendu) as
    case when valeur is null or attendu is null then 'sans données'
         when valeur >= 1.05 * attendu then 'en avance'
         when valeur >= 0.95 * attendu then 'sur la trajectoire'
         else 'en retard' end;
