"""Partner space: ``observatoire partenaires`` (its own server and port; never the public app).

Each member's answers to the registry, behind OIDC sign-in and the allow-list of ``acces.py``.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import urlstate
from dashboard.components import PLOTLY_CONFIG, csv_button, new_figure, objective_name, table
from dashboard.formats import OKABE_ITO, day, in_region, md, number, percent, plural, text, yes_no
from dashboard.partenaires import acces, data

st.set_page_config(
    page_title="Espace partenaires — Observatoire du réseau CLER",
    page_icon="🔒",
    layout="wide",
)

TOUS = "tous"
TOUTES = "toutes"
SEUIL_DOTATION = 10  # €/hab./an, the objective's threshold (warehouse/sql/objectifs.sql)
SERVICES = {
    "cep": "conseil en énergie partagé",
    "econome_flux": "économe de flux",
    "ingenierie": "ingénierie partagée",
}
ETATS = {  # how a member stands against one objective, with its colour
    "atteint": OKABE_ITO[2],
    "non atteint": OKABE_ITO[5],
    "sans réponse": "#BDBDBD",
}


def _services(value: str | None) -> str:
    if not isinstance(value, str):
        return "–"
    return ", ".join(SERVICES.get(s.strip(), s.strip()) for s in value.split("|"))


def _chart(
    figure: go.Figure,
    frame: pd.DataFrame,
    *,
    title: str,
    summary: str,
    period: str,
    file_name: str,
    columns: dict,
    height: int = 380,
) -> None:
    """A chart, what it says with its source, its numbers as a table and as CSV."""
    st.markdown(f"#### {title}")
    figure.update_layout(height=height)
    st.plotly_chart(figure, width="stretch", config=PLOTLY_CONFIG, alt=f"{title}. {summary}")
    st.caption(f"{summary} Source : registre des adhérents du réseau CLER — {period}.")
    with st.expander(f"Les chiffres du graphique « {title} »"):
        table(frame, columns)
    csv_button(frame, file_name, "Télécharger les données du graphique (CSV)")


def _objectives(members: pd.DataFrame, objectives: pd.DataFrame, period: str) -> None:
    rows = []
    for objective in objectives.itertuples():
        answers = members[objective.colonne].dropna()
        met = int(answers.sum())
        rows.append(
            {
                "objectif": objective_name(objective.libelle),
                "libelle": objective.libelle,
                "atteint": met,
                "non atteint": len(answers) - met,
                "sans réponse": len(members) - len(answers),
            }
        )
    frame = pd.DataFrame(rows)
    figure = new_figure()
    for etat, colour in ETATS.items():
        figure.add_bar(
            y=frame["objectif"],
            x=frame[etat],
            orientation="h",
            name=etat,
            marker_color=colour,
            hovertemplate="%{y} : %{x} adhérents<extra>" + etat + "</extra>",
        )
    figure.update_layout(barmode="stack", yaxis={"autorange": "reversed"})
    figure.update_xaxes(title="adhérents", tickformat=",d")
    best = frame.sort_values("atteint", ascending=False).iloc[0]
    _chart(
        figure,
        frame,
        title="Les objectifs, adhérent par adhérent",
        summary=(
            f"Pour chacun des {len(frame)} objectifs mesurés par le registre, les adhérents "
            f"sélectionnés qui l'atteignent, ne l'atteignent pas ou n'ont pas répondu ; le plus "
            f"atteint : « {best['objectif']} » ({plural(best['atteint'], 'adhérent')})."
        ),
        period=period,
        file_name="objectifs_par_adherent.csv",
        columns={
            "libelle": ("Objectif", text),
            "atteint": ("Atteint", number),
            "non atteint": ("Non atteint", number),
            "sans réponse": ("Sans réponse", number),
        },
        height=300,
    )


def _endowments(members: pd.DataFrame, period: str) -> None:
    answered = members.dropna(subset=["dotation_eur_hab_an"])
    if answered.empty:
        st.info("Aucun adhérent sélectionné n'a donné sa dotation climat-énergie.")
        return
    figure = new_figure()
    figure.add_histogram(
        x=answered["dotation_eur_hab_an"],
        xbins={"start": 0, "size": 2},
        marker_color=OKABE_ITO[0],
        name="adhérents",
        hovertemplate="%{x} €/hab./an : %{y} adhérents<extra></extra>",
    )
    figure.add_vline(
        x=SEUIL_DOTATION,
        line_dash="dot",
        line_color="#555555",
        annotation_text=f"objectif : {SEUIL_DOTATION} €/hab./an",
    )
    figure.update_layout(bargap=0.05, showlegend=False)
    figure.update_xaxes(title="dotation (€ par habitant et par an, tranches de 2 €)")
    figure.update_yaxes(title="adhérents", tickformat=",d")
    above = int((answered["dotation_eur_hab_an"] >= SEUIL_DOTATION).sum())
    _chart(
        figure,
        answered[["nom", "region", "dotation_eur_hab_an"]].sort_values(
            "dotation_eur_hab_an", ascending=False
        ),
        title="Dotation climat-énergie par adhérent",
        summary=(
            f"{plural(len(answered), 'adhérent a', 'adhérents ont')} donné leur dotation ; "
            f"{number(above)} atteignent {SEUIL_DOTATION} €/hab./an "
            f"({percent(above / len(answered))}), médiane "
            f"{number(answered['dotation_eur_hab_an'].median(), 1)} €/hab./an."
        ),
        period=period,
        file_name="dotations_par_adherent.csv",
        columns={
            "nom": ("Adhérent", text),
            "region": ("Région", text),
            "dotation_eur_hab_an": ("Dotation (€/hab./an)", lambda v: number(v, 1)),
        },
    )


email = acces.gate()
with st.sidebar:
    st.caption("Connecté avec le compte")
    st.text(email)
    st.button("Se déconnecter", on_click=st.logout, icon=":material/logout:")

st.title("Espace partenaires : les réponses des adhérents")
st.markdown(
    "Les réponses de chaque adhérent au registre du réseau : dotation climat-énergie, stratégie "
    "et année visée pour 100 % d'énergies renouvelables, coordination, services mutualisés, et "
    "où en est son territoire de sa trajectoire. **Ces réponses ne sont pas publiques** : le "
    "tableau de bord public et les données ouvertes n'en montrent que les parts. Ne les diffusez "
    "pas hors de votre organisation."
)
try:
    members = data.reponses()
    objectives = data.objectifs()
    provenance = data.provenance()
except data.NotPublished:
    st.error("Aucune réponse publiée pour l'instant : lancez « observatoire refresh ».")
    st.stop()
if provenance["demo"]:
    st.warning(
        "**Données de démonstration** : registre généré par le projet sur des territoires réels, "
        "adhérents et réponses fictifs.",
        icon="⚠️",
    )

kinds = sorted(members["type"].unique())
type_options = [TOUS, *kinds]
regions = members.dropna(subset=["code_region"]).drop_duplicates("code_region")
noms = dict(sorted(zip(regions["code_region"], regions["region"], strict=True), key=lambda r: r[1]))
region_options = [TOUTES, *noms]
left, middle, right = st.columns([2, 2, 1])
with left:
    kind = st.selectbox(
        "Type d'adhérent",
        type_options,
        index=urlstate.index(
            "type", type_options, "collectivité" if "collectivité" in kinds else TOUS
        ),
        format_func=lambda t: "Tous les types" if t == TOUS else t,
        key="partenaires-type",  # see dashboard/urlstate.py: without a key, a 2nd choice is lost
    )
with middle:
    region = st.selectbox(
        "Région du siège",
        region_options,
        index=urlstate.index("region", region_options, TOUTES),
        format_func=lambda r: "Toutes les régions" if r == TOUTES else noms[r],
        key="partenaires-region",
    )
with right:
    actifs = st.toggle("Actifs seulement", value=st.query_params.get("actifs") != "non")
st.query_params.update(type=kind, region=region, actifs="oui" if actifs else "non")

shown = members
if kind != TOUS:
    shown = shown[shown["type"] == kind]
if region != TOUTES:
    shown = shown[shown["code_region"] == region]
if actifs:
    shown = shown[shown["actif"]]
parts = [f"de type « {md(kind)} »"] if kind != TOUS else []
parts += [in_region(md(noms[region]))] if region != TOUTES else []
perimetre = " ".join(parts) or "de tout le réseau"
period = f"réponses au {day(provenance['charge_le'])}"

if shown.empty:
    st.info(f"Aucun adhérent {'actif ' if actifs else ''}{perimetre}.")
else:
    counts = st.columns(len(objectives) + 1)
    counts[0].metric("Adhérents sélectionnés", number(len(shown)), border=True)
    for column, objective in zip(counts[1:], objectives.itertuples(), strict=True):
        answers = shown[objective.colonne]
        column.metric(
            objective_name(objective.libelle),
            percent(answers.fillna(False).mean()),
            help=(
                f"{objective.libelle} : part des adhérents sélectionnés qui l'atteignent, une "
                "absence de réponse comptant comme non atteint (comme pour les parts publiées) ; "
                f"{plural(answers.isna().sum(), 'adhérent')} sans réponse."
            ),
            border=True,
        )
    left, right = st.columns(2)
    with left:
        _objectives(shown, objectives, period)
    with right:
        _endowments(shown, period)

    st.markdown(f"#### Réponses des adhérents {perimetre} ({number(len(shown))})")
    table(
        shown,
        {
            "nom": ("Adhérent", text),
            "sous_type": ("Sous-type", text),
            "region": ("Région", text),
            "dotation_eur_hab_an": ("Dotation (€/hab./an)", lambda v: number(v, 1)),
            "strategie_adoptee": ("Stratégie adoptée", yes_no),
            "annee_objectif_enr": ("100 % EnR visé en", text),
            "etp_coordination": ("Coordination (ETP)", lambda v: number(v, 1)),
            "services_mutualises": ("Services mutualisés", _services),
            "population": ("Population couverte", number),
            "couverture_enr": ("Couverture renouvelable", percent),
            "statut_trajectoire": ("Face à sa trajectoire", text),
        },
    )
    csv_button(shown, "reponses_adherents.csv", "Télécharger les réponses (CSV)")

st.divider()
st.caption(
    f"**Source** : {md(provenance['editeur'])} — {md(provenance['jeu_de_donnees'])} "
    f"({md(provenance['millesime'])}), chargé le {provenance['charge_le']:%d/%m/%Y à %H:%M}.  \n"
    f"Publication du {provenance['publie_le']:%d/%m/%Y à %H:%M} (heure de Paris)."
)
