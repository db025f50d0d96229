"""Page « Données » : where every number comes from, how fresh and how clean it is, every public
table to download, and the method in a few lines."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, urlstate
from dashboard.components import chart, counts_axis, csv_button, new_figure, table
from dashboard.formats import OKABE_ITO, jour, nombre, oui_non, pluriel, texte
from dashboard.sources import demo_banner, footer

NIVEAUX = {
    "tous": "Tous les niveaux",
    "epci": "EPCI",
    "departement": "Départements",
    "region": "Régions",
}
MESURES = {"production_enr": "production renouvelable", "consommation": "consommation"}
NIVEAU = {"epci": "EPCI", "departement": "département", "region": "région"}
TABLES = {
    "communes": "Communes (code INSEE, nom, population, EPCI, département, région)",
    "communes_niveaux": "Chaque commune sous chaque territoire qui la contient",
    "consommation": "Consommation annuelle d'électricité et de gaz par commune et secteur",
    "consommation_territoires": "Consommation totale par commune, EPCI, département, région",
    "contrats": "Contrats CTE et CRTE : type, vague, date de signature",
    "contrats_perimetres": "EPCI de chaque contrat",
    "contrats_rapprochement": "Rapprochement des périmètres dessinés avec les EPCI actuels",
    "couverture": "Production renouvelable / consommation, par territoire et année",
    "departements": "Départements",
    "epci": "EPCI : nom, nature, population, nombre de communes",
    "epci_territoires": "Part de chaque EPCI dans chaque département",
    "executions": "Historique des chargements (audit)",
    "geometries": "Contours des territoires (WKB et GeoJSON simplifié)",
    "membres": "Adhérents du réseau (organisations, aucun contact)",
    "membres_territoires": "Territoires couverts par chaque adhérent",
    "objectifs": "Les objectifs du réseau : indicateur, cible, année visée, référence",
    "objectifs_valeurs": "Valeur de chaque objectif par année",
    "population_territoires": "Nom et population de chaque territoire",
    "production": "Production électrique annuelle par commune et filière",
    "production_territoires": "Production par filière des EPCI, départements et régions",
    "publication": "Le chargement qui a produit ce fichier",
    "qualite_series": "Séries à vérifier : fortes variations, années manquantes",
    "regions": "Régions",
    "sources": "Provenance de chaque source : éditeur, jeu, licence, millésime, fichier reçu",
}
MIME = {"csv": "text/csv", "csv.gz": "application/gzip", "parquet": "application/octet-stream"}
METHODE = """
**Sources.** Territoires et populations : Code officiel géographique et populations légales de
l'INSEE. Adhérents : registre du réseau CLER (organisations seulement ; les contacts et les
réponses de chaque adhérent restent internes). Contrats : listes de l'ANCT. Consommation :
Agence ORE (électricité et gaz par commune ; cases secrétisées laissées vides). Production :
Enedis (électricité par filière et par commune). Chaque éditeur est cité sous chaque graphique
et dans la table `sources`.

**Couverture renouvelable** = production d'électricité renouvelable (photovoltaïque, éolien,
hydraulique, bioénergies, autres filières ; cogénération exclue) / consommation finale
d'électricité et de gaz, sur le même périmètre et la même année. La chaleur renouvelable et les
autres énergies ne sont pas encore mesurées.

**Objectifs.** Les parts portent sur les collectivités adhérentes actives (sur tous les EPCI pour
les contrats). Les réponses du registre (dotation, stratégie, coordination, mutualisation)
n'existent que pour l'année en cours. Un objectif est *en avance*, *sur la trajectoire* ou *en
retard* selon que sa dernière valeur dépasse de plus de 5 %, reste à 5 % près ou passe de plus de
5 % sous la droite qui va de sa première valeur mesurée à la cible l'année visée.

**Démonstration.** Une source marquée « démo » est un jeu généré par le projet sur des territoires
réels : ses chiffres ne sont pas mesurés. Chaque page qui en montre le signale en tête.

**Contrôles.** Chaque ligne reçue est vérifiée ; une ligne fautive est écartée en quarantaine et
comptée ci-dessus. Les séries qui varient de plus de moitié d'une année sur l'autre, ou auxquelles
il manque des années, sont signalées, pas corrigées.
"""


def _sources(etat: pd.DataFrame) -> None:
    st.header("Sources")
    table(
        etat,
        {
            "source": ("Source", texte),
            "editeur": ("Éditeur", texte),
            "jeu_de_donnees": ("Jeu de données", texte),
            "licence": ("Licence", texte),
            "millesime": ("Millésime", texte),
            "demo": ("Démonstration", oui_non),
        },
    )
    st.markdown("#### Chargements")
    table(
        etat,
        {
            "source": ("Source", texte),
            "charge_le": ("Données publiées chargées le", jour),
            "lignes_lues": ("Lignes lues", nombre),
            "lignes_acceptees": ("Acceptées", nombre),
            "lignes_rejetees": ("Rejetées", nombre),
            "dernier_statut": ("Dernier run", texte),
            "dernier_run": ("Lancé le", jour),
            "dernier_message": ("Message", texte),
        },
    )
    failed = etat[~etat["dernier_statut"].isin(["succès", "inchangé"])]
    if len(failed):
        st.warning(
            "Dernier run sans succès pour "
            + ", ".join(failed["source"])
            + " : ces sources restent servies par leur dernier chargement réussi.",
            icon="⚠️",
        )
    csv_button(etat, "sources.csv", "Télécharger l'état des sources (CSV)")


def _quarantine(rejets: pd.DataFrame) -> None:
    st.header("Quarantaine")
    total = int(rejets["rejetees_total"].sum())
    st.markdown(
        (
            f"{pluriel(total, 'ligne rejetée', 'lignes rejetées')} au total sur les "
            f"{pluriel(rejets['runs'].sum(), 'chargement enregistré', 'chargements enregistrés')}."
            if total
            else "Aucune ligne rejetée sur les chargements enregistrés."
        )
        + " Les lignes rejetées elles-mêmes ne sont pas publiées (elles peuvent contenir des "
        "données personnelles) : elles restent dans l'entrepôt interne, table "
        "`quarantine.rejets` de `warehouse.duckdb`, avec fichier, ligne, colonne, règle et valeur. "
        "L'équipe du réseau les consulte avec `observatoire status` et `observatoire validate`."
    )
    table(
        rejets,
        {
            "source": ("Source", texte),
            "runs": ("Chargements", nombre),
            "rejetees_dernier_run": ("Rejetées au dernier", nombre),
            "rejetees_total": ("Rejetées en tout", nombre),
            "echecs": ("Chargements en échec", nombre),
        },
    )
    with st.expander("Historique des chargements"):
        history = data.executions()
        table(
            history,
            {
                "debut": ("Début (heure de Paris)", lambda t: f"{t:%d/%m/%Y %H:%M}"),
                "source": ("Source", texte),
                "statut": ("Statut", texte),
                "lignes_lues": ("Lues", nombre),
                "lignes_acceptees": ("Acceptées", nombre),
                "lignes_rejetees": ("Rejetées", nombre),
                "message": ("Message", texte),
            },
        )
        csv_button(history, "executions.csv", "Télécharger l'historique (CSV)")


def _quality(sources: list[str]) -> None:
    st.header("Qualité des séries")
    resume = data.qualite_resume()
    if resume.empty:
        st.markdown("Aucune série signalée.")
        return
    st.markdown(
        "Les séries annuelles des EPCI, départements et régions sont contrôlées avant d'être "
        "tracées : une année qui tombe sous la moitié ou dépasse une fois et demie la précédente, "
        "ou une année manquante, est signalée. Un signalement n'est pas une erreur (un parc "
        "éolien mis en service double une production) : c'est une série à regarder de près."
    )
    table(
        resume,
        {
            "mesure": ("Mesure", lambda m: MESURES.get(m, m)),
            "niveau": ("Niveau", lambda n: NIVEAU.get(n, n)),
            "probleme": ("Problème", texte),
            "signalements": ("Signalements", nombre),
            "territoires": ("Territoires", nombre),
            "premiere_annee": ("Première année", texte),
            "derniere_annee": ("Dernière année", texte),
        },
    )
    par_annee = data.qualite_par_annee()
    figure = new_figure()
    for i, (niveau, group) in enumerate(par_annee.groupby("niveau")):
        figure.add_bar(
            x=group["annee"],
            y=group["signalements"],
            name=NIVEAUX.get(niveau, niveau),
            marker_color=OKABE_ITO[i % len(OKABE_ITO)],
            hovertemplate="%{x} : %{y} signalements<extra>" + niveau + "</extra>",
        )
    figure.update_layout(
        barmode="stack",
        xaxis={"dtick": 1},
        yaxis=counts_axis(par_annee.groupby("annee")["signalements"].sum().max()),
        hovermode="x unified",
    )
    peak = par_annee.groupby("annee")["signalements"].sum().sort_values().index[-1]
    chart(
        figure,
        par_annee,
        title="Séries signalées par année",
        summary=(
            f"{pluriel(resume['signalements'].sum(), 'signalement')} en tout ; le plus en {peak}."
        ),
        sources=sources,
        period=f"{par_annee['annee'].min()}-{par_annee['annee'].max()}",
        file_name="qualite_par_annee.csv",
        colonnes={
            "annee": ("Année", texte),
            "niveau": ("Niveau", lambda n: NIVEAU.get(n, n)),
            "signalements": ("Signalements", nombre),
        },
        height=320,
    )
    niveau = st.selectbox(
        "Niveau des séries détaillées",
        list(NIVEAUX),
        index=urlstate.index("niveau", list(NIVEAUX), "tous"),
        format_func=NIVEAUX.get,
    )
    st.query_params["niveau"] = niveau
    detail = data.qualite_detail(None if niveau == "tous" else niveau)
    st.caption("Les 200 plus fortes variations d'abord (rapport entre la valeur et la précédente).")
    table(
        detail,
        {
            "territoire": ("Territoire", texte),
            "niveau": ("Niveau", lambda n: NIVEAU.get(n, n)),
            "code": ("Code", texte),
            "mesure": ("Mesure", lambda m: MESURES.get(m, m)),
            "annee": ("Année", texte),
            "probleme": ("Problème", texte),
            "valeur_precedente": ("Valeur précédente (MWh)", nombre),
            "valeur": ("Valeur (MWh)", nombre),
            "rapport": ("Rapport", lambda v: nombre(v, 2)),
        },
    )
    csv_button(detail, f"qualite_series_{niveau}.csv", "Télécharger ces signalements (CSV)")


def _downloads() -> None:
    st.header("Télécharger les données")
    tables = data.tables()
    tables["description"] = tables["table"].map(TABLES).fillna("–")
    st.markdown(
        "Toutes les tables du fichier publié, en CSV ou en Parquet, générées à la demande. Les "
        f"tables de plus de {nombre(data.SPREADSHEET_ROWS)} lignes, trop longues pour un "
        "tableur, sont données en CSV compressé (gzip). Le fichier DuckDB complet se lit avec "
        "`duckdb.connect('public.duckdb', read_only=True)`."
    )
    table(
        tables,
        {
            "table": ("Table", texte),
            "description": ("Contenu", texte),
            "lignes": ("Lignes", nombre),
            "colonnes": ("Colonnes", len),
        },
    )
    names = tables["table"].tolist()
    name = st.selectbox(
        "Table à télécharger",
        names,
        index=urlstate.index("table", names, "membres" if "membres" in names else names[0]),
    )
    st.query_params["table"] = name
    columns = tables.set_index("table").loc[name, "colonnes"]
    st.caption("Colonnes : " + ", ".join(columns) + ".")
    left, right = st.columns(2)
    for column, format in ((left, "csv"), (right, "parquet")):
        file_name = data.export_name(name, format)
        extension = file_name.partition(".")[2]
        column.download_button(
            f"Télécharger {file_name}",
            lambda name=name, format=format: data.export(name, format),
            file_name=file_name,
            mime=MIME[extension],
            key=f"export-{format}",
            on_click="ignore",
            icon=":material/download:",
            width="stretch",
        )


st.title("Les données")
st.markdown(
    "D'où vient chaque chiffre, quand il a été chargé, ce qui a été écarté ou signalé, et toutes "
    "les tables publiques à télécharger. Données sous Licence Ouverte 2.0 : citez l'éditeur, le "
    "jeu et la date."
)
try:
    everything = data.sources()["source"].tolist()
except data.NotPublished:
    st.error("Aucune donnée publiée pour l'instant : lancez « observatoire refresh ».")
    st.stop()
demo_banner(everything)
etat = data.sources_etat()
_sources(etat)
_quarantine(etat)
_quality(["consommation", "production", "territoires"])
_downloads()
st.header("Méthode")
st.markdown(METHODE)
footer(everything)
