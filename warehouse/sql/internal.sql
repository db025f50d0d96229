-- The internal warehouse: staging (typed, validated rows), marts (what gets published),
-- audit (runs and landed files) and quarantine (every rejected row with its reason).
create schema if not exists staging;
create schema if not exists marts;
create schema if not exists audit;
create schema if not exists quarantine;
-- Derived tables that are not published: member-level answers and trajectories, and the
-- intermediate sums some marts share.
create schema if not exists interne;
-- Member-level answers for the partner file only (warehouse/partenaires.py), never public.
create schema if not exists partenaires;

create table if not exists audit.executions (
    id_execution varchar not null,
    source varchar not null,
    emplacement varchar,
    sha256 varchar,
    lignes_lues bigint,
    lignes_acceptees bigint,
    lignes_rejetees bigint,
    debut timestamptz not null,
    fin timestamptz,
    statut varchar not null,  -- en cours | chargé | succès (publié) | inchangé | échec | interrompu
    message varchar,
    primary key (id_execution, source)
);

-- The load each source's staging tables hold now: written in the transaction that replaces them,
-- so a refresh can tell that a landed file is already staged and published (see flows/refresh.py).
create table if not exists audit.staging (
    source varchar primary key,
    id_execution varchar not null,
    sha256 varchar
);

create table if not exists audit.fichiers (
    id_execution varchar not null,
    source varchar not null,
    fichier varchar not null,
    origine varchar not null,
    emplacement varchar not null,
    sha256 varchar not null,
    octets bigint not null,
    editeur varchar not null,
    jeu_de_donnees varchar not null,
    licence varchar not null,
    millesime varchar,
    demo boolean not null,
    charge_le timestamptz not null
);

create table if not exists quarantine.rejets (
    id_execution varchar not null,
    source varchar not null,
    fichier varchar not null,
    ligne bigint,
    colonne varchar,
    regle varchar not null,
    valeur varchar,
    enregistrement json
);

create table if not exists audit.reparations (
    id_execution varchar not null,
    source varchar not null,
    fichier varchar not null,
    ligne bigint not null,
    colonne varchar not null,
    valeur_lue varchar,
    valeur_retenue varchar,
    motif varchar not null
);

-- The data tests run before each publish (warehouse/datatests.py): those that failed, by run.
create table if not exists audit.tests_donnees (
    id_execution varchar not null,
    table_publique varchar not null,
    test varchar not null,
    gravite varchar not null,
    lignes_en_echec bigint not null,
    exemple varchar
);

-- Built by the source `installations`; empty until it loads, so that production can join it.
create table if not exists marts.puissance_installee (
    code_commune varchar,
    annee bigint,
    filiere varchar,
    puissance_kw double,
    nb_installations bigint
);
