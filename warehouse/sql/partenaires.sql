-- The partner space: each member's own answers to the registry's questions, for the signed-in
-- partners only (schema `partenaires`, published into partenaires.duckdb, never into the public
-- file). No contact: names and e-mail addresses stay in staging.

create or replace table partenaires.reponses as
with couverts as (
    select id_membre, count(*) as communes, sum(population)::bigint as population
    from interne.membres_communes
    group by id_membre
), mesure as (  -- each member territory's last measured year against its trajectory
    select id_membre,
           max(annee) as annee_mesure,
           arg_max(taux, annee) as couverture_enr,
           arg_max(trajectoire, annee) as trajectoire,
           arg_max(statut, annee) as statut_trajectoire
    from interne.membres_trajectoires
    where taux is not null
    group by id_membre
)
select
    m.id_membre,
    m.nom,
    m.type,
    m.sous_type,
    m.code_region,
    r.nom as region,
    m.code_departement,
    m.actif,
    m.reseau_tepos,
    s.dotation_eur_hab_an,
    s.strategie_adoptee,
    s.annee_objectif_enr,
    s.etp_coordination,
    s.services_mutualises,
    o.dotation_10_euros,
    o.strategie_100_enr_2050,
    o.coordinateur_1_etp,
    o.service_mutualise,
    c.communes,
    c.population,
    t.annee_mesure,
    round(t.couverture_enr, 4) as couverture_enr,
    round(t.trajectoire, 4) as trajectoire,
    t.statut_trajectoire
from marts.membres as m
join staging.membres as s using (id_membre)
join (from interne.membres_reponses
      qualify row_number() over (partition by id_membre order by annee desc) = 1) as o
  using (id_membre)
left join marts.regions as r using (code_region)
left join couverts as c using (id_membre)
left join mesure as t using (id_membre)
order by m.nom, m.id_membre;

-- The objectives each answer column speaks to: column `x` is measured by indicator `part_x`.
create or replace table partenaires.objectifs as
select o.id_objectif, o.libelle, c.column_name as colonne
from marts.objectifs as o
join duckdb_columns() as c
  on c.database_name = current_database() and c.schema_name = 'interne'
 and c.table_name = 'membres_reponses'
 and o.indicateur = 'part_' || c.column_name
order by c.column_index;
