"""Page « Données » : where every number comes from, how fresh and how clean it is, every public
table to download, and the method in a few lines."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from dashboard import db, opendata, urlstate
from dashboard.charts import donnees as charts
from dashboard.charts.donnees import LEVEL_CHOICES, LEVEL_NAMES
from dashboard.components import (
    chart,
    csv_button,
    listing,
    on_demand,
    share,
    table,
)
from dashboard.db import NotPublished
from dashboard.formats import day, md, named, number, plural, text, yes_no
from dashboard.queries import data
from dashboard.sources import demo_banner, footer
from warehouse.opendata import SPREADSHEET_ROWS
from warehouse.status import Status

MEASURES = {"production_enr": "production renouvelable", "consommation": "consommation"}
# How a field of the package's Table Schema is read.
TYPES = {
    "string": "texte",
    "integer": "entier",
    "number": "nombre décimal",
    "boolean": "vrai / faux",
    "date": "date (AAAA-MM-JJ)",
    "datetime": "date et heure (UTC)",
    "object": "objet JSON",
    "any": "binaire (WKB)",
}
METHOD = """
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
les contrats). Les réponses du registre (dotation, stratégie, coordination, mutualisation) valent
pour l'année de leur chargement ; chaque chargement est gardé comme une version datée, et un
fichier de réponses passées (colonne `annee`) remplit les années d'avant. Un objectif est *en
avance*, *sur la trajectoire* ou *en retard* selon que sa dernière valeur dépasse de plus de 5 %,
reste à 5 % près ou passe de plus de 5 % sous la droite qui va de sa valeur mesurée l'année de
référence de l'objectif à la cible l'année visée ; *atteint* une fois la cible atteinte, *sans
référence* sans mesure l'année de référence. La trajectoire TEPOS est la même pour chaque
territoire : de la couverture renouvelable de la France en 2015 (séries régionales réelles de
l'Agence ORE et d'Enedis) à 100 % en 2050.

**Démonstration.** Une source marquée « démo » est un jeu généré par le projet sur des territoires
réels : ses chiffres ne sont pas mesurés. Chaque page qui en montre le signale en tête.

**Contrôles.** Chaque ligne reçue est vérifiée ; une ligne fautive est écartée en quarantaine et
comptée ci-dessus. Les séries qui varient de plus de moitié d'une année sur l'autre, ou auxquelles
il manque des années, sont signalées, pas corrigées.
"""


def _sources(status: pd.DataFrame) -> None:
    st.header("Sources")
    table(
        status,
        {
            "source": ("Source", text),
            "editeur": ("Éditeur", text),
            "jeu_de_donnees": ("Jeu de données", text),
            "licence": ("Licence", text),
            "millesime": ("Millésime", text),
            "demo": ("Démonstration", yes_no),
        },
    )
    st.markdown("### Chargements")
    table(
        status,
        {
            "source": ("Source", text),
            "charge_le": ("Données publiées chargées le", day),
            "lignes_lues": ("Lignes lues", number),
            "lignes_acceptees": ("Acceptées", number),
            "lignes_rejetees": ("Rejetées", number),
            "dernier_statut": ("Dernier run", text),
            "dernier_run": ("Lancé le", day),
            "dernier_message": ("Message", text),
        },
    )
    failed = status[~status["dernier_statut"].isin([Status.PUBLISHED, Status.UNCHANGED])]
    if len(failed):
        st.warning(
            "Dernier run sans succès pour "
            + ", ".join(failed["source"].map(md))
            + " : ces sources restent servies par leur dernier chargement réussi.",
            icon="⚠️",
        )
    csv_button(status, "sources.csv", "Télécharger l'état des sources (CSV)")


def _quarantine(rejects: pd.DataFrame) -> None:
    st.header("Quarantaine")
    total = int(rejects["rejetees_total"].sum())
    st.markdown(
        (
            f"{plural(total, 'ligne rejetée', 'lignes rejetées')} au total sur les "
            f"{plural(rejects['runs'].sum(), 'chargement enregistré', 'chargements enregistrés')}."
            if total
            else "Aucune ligne rejetée sur les chargements enregistrés."
        )
        + " Les lignes rejetées elles-mêmes ne sont pas publiées (elles peuvent contenir des "
        "données personnelles) : elles restent dans l'entrepôt interne, table "
        "`quarantine.rejets` de `warehouse.duckdb`, avec fichier, ligne, colonne, règle et valeur. "
        "L'équipe du réseau les consulte avec `observatoire status` et `observatoire validate`."
    )
    table(
        rejects,
        {
            "source": ("Source", text),
            "runs": ("Chargements", number),
            "rejetees_dernier_run": ("Rejetées au dernier", number),
            "rejetees_total": ("Rejetées en tout", number),
            "echecs": ("Chargements en échec", number),
        },
    )
    with on_demand("Historique des chargements", key="historique") as shown:
        if not shown:
            return
        history = data.runs()
        table(
            history,
            {
                "debut": ("Début (heure de Paris)", lambda t: f"{t:%d/%m/%Y %H:%M}"),
                "source": ("Source", text),
                "statut": ("Statut", text),
                "lignes_lues": ("Lues", number),
                "lignes_acceptees": ("Acceptées", number),
                "lignes_rejetees": ("Rejetées", number),
                "message": ("Message", text),
            },
        )
        csv_button(history, "executions.csv", "Télécharger l'historique (CSV)")


def _quality(sources: list[str]) -> None:
    st.header("Qualité des séries")
    summary = data.quality_summary()
    if summary.empty:
        st.markdown("Aucune série signalée.")
        return
    st.markdown(
        "Les séries annuelles des EPCI, départements et régions sont contrôlées avant d'être "
        "tracées : une année qui tombe sous la moitié ou dépasse une fois et demie la précédente, "
        "ou une année manquante, est signalée. Un signalement n'est pas une erreur (un parc "
        "éolien mis en service double une production) : c'est une série à regarder de près."
    )
    table(
        summary,
        {
            "mesure": ("Mesure", named(MEASURES)),
            "niveau": ("Niveau", named(LEVEL_NAMES)),
            "probleme": ("Problème", text),
            "signalements": ("Signalements", number),
            "territoires": ("Territoires", number),
            "premiere_annee": ("Première année", text),
            "derniere_annee": ("Dernière année", text),
        },
    )
    chart(charts.quality_by_year(tuple(sources)))
    level = st.selectbox(
        "Niveau des séries détaillées",
        list(LEVEL_CHOICES),
        index=urlstate.index("niveau", list(LEVEL_CHOICES), "tous"),
        key="donnees-niveau",
        format_func=lambda choice: LEVEL_CHOICES[choice],
    )
    st.query_params["niveau"] = level
    detail = data.quality_detail(None if level == "tous" else level)
    st.caption("Les plus fortes variations d'abord (rapport entre la valeur et la précédente).")
    listing(
        "Séries signalées",
        detail,
        {
            "territoire": ("Territoire", text),
            "niveau": ("Niveau", named(LEVEL_NAMES)),
            "code": ("Code", text),
            "mesure": ("Mesure", named(MEASURES)),
            "annee": ("Année", text),
            "probleme": ("Problème", text),
            "valeur_precedente": ("Valeur précédente (MWh)", number),
            "valeur": ("Valeur (MWh)", number),
            "rapport": ("Rapport", lambda v: number(v, 2)),
        },
        f"qualite_series_{level}.csv",
        key="qualite_series",
    )


def _size(size: int) -> str:
    if size >= 100_000:
        return f"{number(size / 1e6, 1)} Mo"
    return f"{number(size / 1e3)} ko" if size >= 1_000 else f"{size} octets"


def _summary(description: str) -> str:
    """A table's description up to its first full stop or colon: the rest is shown below."""
    return re.split(r"\. | : ", description)[0].replace("|", "/")


def _link(resource: dict) -> str:
    url = urlstate.app_url(f"{opendata.URL_PATH}/{resource['path']}")
    return f"[{resource['path']}]({url}) ({_size(resource['bytes'])})"


def _reading(table: str, resources: dict[str, dict]) -> dict[str, str]:
    """How to read ``table`` from pandas, R and DuckDB (language → code), with this server's
    addresses. Codes are read as text: a CSV reader would drop their leading zeros."""
    csv = urlstate.app_url(f"{opendata.URL_PATH}/{resources[table]['path']}")
    parquet = urlstate.app_url(f"{opendata.URL_PATH}/{resources[f'{table}-parquet']['path']}")
    codes = [f["name"] for f in resources[table]["schema"]["fields"] if f["type"] == "string"]
    return {
        "python": (
            "import pandas as pd\n\n"
            f'{table} = pd.read_parquet("{parquet}")\n'
            f'{table} = pd.read_csv("{csv}", dtype={{'
            + ", ".join(f'"{c}": str' for c in codes)
            + "})"
        ),
        "r": (
            f'{table} <- readr::read_csv("{csv}", col_types = readr::cols('
            + ", ".join(f'{c} = "c"' for c in codes)
            + "))"
        ),
        "sql": f"-- DuckDB\nselect * from read_parquet('{parquet}');",
    }


def _downloads() -> None:
    st.header("Télécharger les données")
    package = data.package()
    if package is None:
        st.info(
            "Les fichiers de données ouvertes n'ont pas encore été écrits : ils le seront au "
            "prochain « observatoire refresh »."
        )
        return
    resources = {r["name"]: r for r in package["resources"]}
    rows = data.tables().set_index("table")["lignes"]
    descriptor = urlstate.app_url(f"{opendata.URL_PATH}/datapackage.json")
    st.markdown(
        "Chaque publication écrit toutes les tables publiques en CSV (UTF-8, séparateur virgule) "
        "et en Parquet, décrites par un paquet de données Frictionless, "
        f"[datapackage.json]({descriptor}) : types et description de chaque colonne, clés, "
        "valeurs manquantes (case vide), licence et source de chaque jeu. Les tables de plus de "
        f"{number(SPREADSHEET_ROWS)} lignes, trop longues pour un tableur, sont en CSV compressé "
        "(gzip). Ces adresses ne changent pas : elles donnent toujours la dernière publication. "
        f"Licence : {package['licenses'][0]['title']} ; citez l'éditeur de chaque source."
    )
    # a list, not a table: a table of five columns scrolled sideways on a phone
    lines = [
        f"- **{name}** : {_summary(resource['description'])} ({number(rows.get(name))} lignes) "
        f"— {_link(resource)} · {_link(resources[f'{name}-parquet'])}"
        for name, resource in resources.items()
        if resource["format"] == "csv"  # its Parquet twin on the same line
    ]
    st.markdown("\n".join(lines))
    names = [n for n, r in resources.items() if r["format"] == "csv"]
    name = st.selectbox(
        "Colonnes de la table",
        names,
        index=urlstate.index("table", names, "membres" if "membres" in names else names[0]),
        key="donnees-table",
    )
    st.query_params["table"] = name
    fields = pd.DataFrame(resources[f"{name}-parquet"]["schema"]["fields"])
    key = resources[name]["schema"].get("primaryKey")
    st.caption(resources[name]["description"] + (f" ; clé : {', '.join(key)}." if key else "."))
    table(
        fields,
        {
            "name": ("Colonne", text),
            "type": ("Type", named(TYPES)),
            "description": ("Description", text),
        },
    )
    with on_demand(f"Lire « {name} » depuis pandas, R ou DuckDB", key="lire") as shown:
        if shown:
            for language, code in _reading(name, resources).items():
                st.code(code, language=language, wrap_lines=True)


st.title("Les données")
st.markdown(
    "D'où vient chaque chiffre, quand il a été chargé, ce qui a été écarté ou signalé, et toutes "
    "les tables publiques à télécharger. Données sous Licence Ouverte 2.0 : citez l'éditeur, le "
    "jeu et la date."
)
try:
    all_sources = [s.source for s in db.provenance().sources]
except NotPublished:
    st.error("Aucune donnée publiée pour l'instant : lancez « observatoire refresh ».")
    st.stop()
demo_banner(all_sources)
status = data.sources_status()
_sources(status)
_quarantine(status)
_quality(["consommation", "production", "territoires"])
_downloads()
share("Les données de l'observatoire du réseau CLER")
st.header("Méthode")
st.markdown(METHOD)
footer(all_sources)
