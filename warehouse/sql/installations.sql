-- Marts of the source `installations`: renewable and other electricity capacity in service at
-- the end of each year, by commune and filière, from ODRÉ's registry. An installation counts
-- from the year of its commissioning until the year before its disconnection; one without a
-- commissioning date counts only in the registry's last year. The registry lists what exists
-- at its date: installations removed before it are missing from earlier years.

create or replace table marts.puissance_installee as
with installations as (
    select code_commune, filiere, puissance_kw, coalesce(nb_installations, 1) as nb,
           year(date_mise_en_service) as debut, year(date_deraccordement) as fin
    from staging.installations
), annees as (
    select unnest(range(2011, max(coalesce(debut, 2011)) + 1)) as annee from installations
)
select
    i.code_commune,
    a.annee,
    i.filiere,
    round(sum(i.puissance_kw), 3) as puissance_kw,
    sum(i.nb) as nb_installations
from installations as i
join annees as a
  on coalesce(i.debut, (select max(annee) from annees)) <= a.annee
 and (i.fin is null or i.fin > a.annee)
group by all
order by i.code_commune, a.annee, i.filiere;
