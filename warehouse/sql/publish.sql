-- What the public file carries besides the marts: provenance of each source's last good load,
-- and the run history. Runs against the internal warehouse with the new file attached as `pub`;
-- the variable `id_execution` names the run being published: its loads count as successful;
-- `charge` and `publie` are the status words of warehouse/status.py (Status.LOADED, PUBLISHED).

create temp view executions_publiees as
select * replace (
    case when statut = getvariable('charge') and id_execution = getvariable('id_execution')
         then getvariable('publie') else statut end as statut
)
from audit.executions;

create table pub.sources as
with derniere as (
    select source, max(fin) as fin
    from executions_publiees
    where statut = getvariable('publie')
    group by source
)
select
    f.source,
    f.editeur,
    f.jeu_de_donnees,
    f.licence,
    f.millesime,
    f.fichier,
    f.origine,
    f.sha256,
    f.octets,
    f.charge_le,
    f.demo
from audit.fichiers as f
join executions_publiees as e using (id_execution, source)
join derniere as d on d.source = e.source and d.fin = e.fin
order by f.source, f.fichier;

create table pub.executions as
select
    id_execution, source, emplacement, sha256, lignes_lues, lignes_acceptees, lignes_rejetees,
    debut, fin, statut, texte_public(message) as message  -- never the internal `detail`
from executions_publiees
order by debut desc, source;

drop view executions_publiees;
