-- Every registry load's answers, kept as dated versions (interne: member-level rows are never
-- published): one open version per member and year; a load that changes a year's answers
-- closes its version (valide_au) and opens a new one (valide_du), a load that does not mention
-- a year leaves it as it was. So this year's answers stay the answers of this year once the
-- year is over, and each objective's series grows load after load; a backfilled file of past
-- answers corrects the years it gives. Built again without a new load, it changes nothing.

create table if not exists interne.membres_versions (
    id_membre varchar not null,
    annee integer not null,
    dotation_eur_hab_an double,
    strategie_adoptee boolean,
    annee_objectif_enr bigint,
    etp_coordination double,
    services_mutualises varchar,
    valide_du timestamptz not null,
    valide_au timestamptz
);

update interne.membres_versions as v
set valide_au = now()
from staging.membres_reponses as r
where v.valide_au is null
  and v.id_membre = r.id_membre
  and v.annee = r.annee
  and (v.dotation_eur_hab_an is distinct from r.dotation_eur_hab_an
       or v.strategie_adoptee is distinct from r.strategie_adoptee
       or v.annee_objectif_enr is distinct from r.annee_objectif_enr
       or v.etp_coordination is distinct from r.etp_coordination
       or v.services_mutualises is distinct from r.services_mutualises);

insert into interne.membres_versions
select r.id_membre, r.annee, r.dotation_eur_hab_an, r.strategie_adoptee, r.annee_objectif_enr,
       r.etp_coordination, r.services_mutualises, now(), null
from staging.membres_reponses as r
where not exists (
    select 1 from interne.membres_versions as v
    where v.valide_au is null and v.id_membre = r.id_membre and v.annee = r.annee
);
