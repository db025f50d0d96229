-- Series to look at before charting them: at EPCI, département, région and France level, a year
-- that drops below half or rises above one and a half times the year before, a consumption year
-- under 85 % of each year beside it (an incomplete year: ORE's 2011 electricity is 79 % of 2012
-- in its région file; a mild winter, such as 2014's gas at 85 % of 2013 and 93 % of 2015, is
-- not), and missing years. Flags, not rejections: a new wind farm is a real jump; a missing year usually is not.

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
           lead(valeur) over w as valeur_suivante,
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
       'année incomplète (moins de 85 % des années voisines)',
       coalesce(valeur_precedente, valeur_suivante), valeur
from suite
where mesure = 'consommation'
  and valeur < 0.85 * coalesce(valeur_precedente, valeur_suivante)
  and valeur < 0.85 * coalesce(valeur_suivante, valeur_precedente)
union all
select mesure, niveau, code, detail, annee,
       'année(s) manquante(s) avant celle-ci', valeur_precedente, valeur
from suite
where annee - annee_precedente > 1
order by mesure, niveau, code, detail, annee, probleme;
