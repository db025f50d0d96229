-- Territorial climate démarches declared to ADEME (Territoires & Climat): one row per démarche,
-- and one per démarche and co-carrying collectivité, placed on today's EPCI and communes.

-- A démarche found in two exports (a PCAET that is also Cit'ergie is in both) is taken from the
-- one that gives its state, else from its latest modification.
create or replace table marts.demarches as
with choisie as (
    select *
    from staging.demarches
    qualify row_number() over (
        partition by id_demarche
        order by etat is null, date_modification desc nulls last, source desc
    ) = 1
)
select
    id_demarche,
    trim(split_part(types, '|', 1)) as type,
    types,
    nom,
    etat,
    case when etat is not null then etat in ('Définitif', 'Mise en oeuvre') end as adopte,
    case oblige when 'O' then true when 'V' then false end as oblige,
    date_creation,
    date_modification,
    date_lancement,
    population_couverte,
    len(porteurs) as nb_collectivites,
    source
from choisie
order by try_cast(id_demarche as bigint);

-- Each co-carrying collectivité: a SIREN among today's EPCI is that EPCI; a commune's SIREN
-- (21…) was placed by its name and département when the file was read; other bodies keep their
-- SIREN and name, with both codes empty and the reason.
create or replace table marts.demarches_territoires as
with porteurs as (
    select d.id_demarche, unnest(s.porteurs, recursive := true)
    from marts.demarches as d
    join staging.demarches as s on s.id_demarche = d.id_demarche and s.source = d.source
), uniques as (
    select id_demarche, siren, any_value(nom) as nom, any_value(code_commune) as code_commune,
           any_value(motif) as motif
    from porteurs
    group by id_demarche, siren
)
select
    u.id_demarche,
    u.siren,
    u.nom,
    case
        when e.code_epci is not null then 'EPCI'
        when u.siren like '21%' then 'commune'
        when u.siren like '22%' then 'département'
        when u.siren like '23%' then 'région'
        when u.siren like '24%' or u.siren like '25%' or u.siren like '200%'
            then 'syndicat ou groupement'
        else 'autre organisme'
    end as nature,
    e.code_epci,
    c.code_commune,
    case
        when e.code_epci is not null then 'EPCI actuel (SIREN)'
        when c.code_commune is not null
            then 'commune trouvée par son nom et son département'
                 || coalesce(' (' || u.motif || ')', '')
        when u.siren like '21%' then coalesce(u.motif, 'commune introuvable')
        when u.siren like '22%' or u.siren like '23%'
            then 'département ou région : ni EPCI ni commune'
        when u.siren like '24%' or u.siren like '25%' or u.siren like '200%'
            then 'absent des EPCI actuels : EPCI fusionné ou dissous depuis, ou groupement sans '
                 || 'fiscalité propre (syndicat, PETR, pôle, établissement public territorial)'
        else 'organisme qui n''est ni une commune ni un EPCI'
    end as rapprochement
from uniques as u
left join marts.epci as e on e.code_epci = u.siren
left join marts.communes as c on c.code_commune = u.code_commune
order by try_cast(u.id_demarche as bigint), u.siren;
