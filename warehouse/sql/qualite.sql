-- Series to look at before charting them: at EPCI, département and région level, a year that
-- drops below half or rises above one and a half times the year before, and missing years.
-- Flags, not rejections: a new wind farm is a real jump; a missing year usually is not.

create or replace table marts.qualite_series as
with serie as (
    select 'consommation' as mesure, niveau, code, filiere as detail, annee, conso_mwh as valeur
    from marts.consommation_territoires
    where niveau <> 'commune'
    union all
    select 'production_enr', niveau, code, 'renouvelables', annee, production_enr_mwh
    from marts.couverture
    where niveau <> 'commune' and production_enr_mwh is not null
), suite as (
    select *,
           lag(valeur) over w as valeur_precedente,
           lag(annee) over w as annee_precedente
    from serie
    window w as (partition by mesure, niveau, code, detail order by annee)
)
select mesure, niveau, code, detail, annee,
       'variation de plus de moitié' as probleme, valeur_precedente, valeur
from suite
where valeur_precedente > 0
  and (valeur < 0.5 * valeur_precedente or valeur > 1.5 * valeur_precedente)
union all
select mesure, niveau, code, detail, annee,
       'année(s) manquante(s) avant celle-ci', valeur_precedente, valeur
from suite
where annee - annee_precedente > 1
order by mesure, niveau, code, detail, annee;
