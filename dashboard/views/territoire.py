"""Page « Territoire » : one territory's energy over time, its trajectory, its peers, its
contracts and the network's members in it."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import data, urlstate
from dashboard.components import chart, share, status_badge, table
from dashboard.formats import OKABE_ITO, jour, nombre, oui_non, pourcent, texte
from dashboard.sources import demo_banner, footer

SOURCES = ["consommation", "production", "installations", "contrats", "membres", "territoires"]
CIBLE, ANNEE_CIBLE = 1.0, 2050  # TEPOS: 100 % renewable in 2050
FILIERES = {
    "photovoltaique": "Photovoltaïque",
    "eolien": "Éolien",
    "hydraulique": "Hydraulique",
    "bio_energie": "Bioénergies",
    "autres_filieres": "Autres renouvelables",
    "cogeneration": "Cogénération (non renouvelable)",
}
DEFAUT = ("region", "84")


def _choose() -> tuple[str, str]:
    """The territory named in the URL, else the one chosen here; unknown codes are said."""
    niveaux = list(data.NIVEAUX)
    left, middle, right = st.columns([1, 2, 3])
    with left:
        niveau = st.selectbox(
            "Échelle",
            niveaux,
            index=urlstate.index("niveau", niveaux, DEFAUT[0]),
            format_func=data.NIVEAUX.get,
        )
    parent = None
    wanted = st.query_params.get("code")
    if niveau in ("epci", "commune"):
        deps = data.departements()
        noms = dict(zip(deps["code_departement"], deps["nom"], strict=True))
        guess = wanted[:3] if wanted and wanted.startswith("97") else (wanted or "69")[:2]
        with middle:
            parent = st.selectbox(
                "Département",
                list(noms),
                index=list(noms).index(guess) if guess in noms else list(noms).index("69"),
                format_func=lambda c: f"{c} — {noms[c]}",
            )
    choices = data.territoires(niveau, parent)
    if niveau == "epci" and wanted and wanted not in set(choices["code"]):
        choices = data.territoires(niveau, None)  # an EPCI listed under another département
    names = dict(zip(choices["code"], choices["nom"], strict=True))
    fallback = DEFAUT[1] if niveau == DEFAUT[0] else next(iter(names))
    with right:
        code = st.selectbox(
            "Territoire",
            list(names),
            index=urlstate.index("code", list(names), fallback),
            format_func=lambda c: f"{names[c]} ({c})",
        )
    return niveau, code


def _energy(fiche: data.Fiche, niveau: str, code: str, nom: str, period: str) -> None:
    conso, prod = fiche.consommation, fiche.production
    left, right = st.columns(2)
    with left:
        figure = go.Figure()
        for i, (filiere, group) in enumerate(conso.groupby("filiere")):
            figure.add_bar(
                x=group["annee"],
                y=group["conso_mwh"] / 1000,
                name=filiere.capitalize(),
                marker_color=OKABE_ITO[i],
                hovertemplate="%{x} : %{y:,.1f} GWh<extra>" + filiere + "</extra>",
            )
        figure.update_layout(barmode="stack", yaxis_title="GWh")
        total = conso.groupby("annee")["conso_mwh"].sum()
        chart(
            figure,
            conso,
            title="Consommation d'électricité et de gaz",
            summary=(
                f"{nom} : {nombre(total.iloc[-1] / 1000, 1)} GWh en {total.index[-1]}, "
                f"{nombre(total.iloc[0] / 1000, 1)} GWh en {total.index[0]}."
                if len(total)
                else f"{nom} : aucune donnée de consommation."
            ),
            sources=["consommation"],
            period=period,
            file_name=f"consommation_{niveau}_{code}.csv",
            colonnes={
                "annee": ("Année", texte),
                "filiere": ("Énergie", texte),
                "conso_mwh": ("Consommation (MWh)", nombre),
                "part_population_couverte": ("Part de la population avec données", pourcent),
            },
        )
    with right:
        figure = go.Figure()
        for i, (filiere, label) in enumerate(FILIERES.items()):
            group = prod[prod["filiere"] == filiere]
            if len(group):
                figure.add_bar(
                    x=group["annee"],
                    y=group["energie_mwh"] / 1000,
                    name=label,
                    marker_color=OKABE_ITO[i],
                    hovertemplate="%{x} : %{y:,.1f} GWh<extra>" + label + "</extra>",
                )
        figure.update_layout(barmode="stack", yaxis_title="GWh")
        total = prod.groupby("annee")["energie_mwh"].sum()
        chart(
            figure,
            prod,
            title="Production d'électricité par filière",
            summary=(
                f"{nom} : {nombre(total.iloc[-1] / 1000, 1)} GWh produits en {total.index[-1]}."
                if len(total)
                else f"{nom} : aucune donnée de production."
            ),
            sources=["production", "installations"],
            period=period,
            file_name=f"production_{niveau}_{code}.csv",
            colonnes={
                "annee": ("Année", texte),
                "filiere": ("Filière", lambda f: FILIERES.get(f, f)),
                "energie_mwh": ("Production (MWh)", nombre),
                "puissance_kw": ("Puissance en service (kW)", nombre),
            },
        )


def _coverage(niveau: str, code: str, nom: str, series: pd.DataFrame, period: str) -> None:
    """Measured coverage against the TEPOS trajectory the published file computes."""
    known = series.dropna(subset=["taux_couverture"])
    year = int(known["annee"].iloc[-1]) if len(known) else None
    status = known["statut"].iloc[-1] if len(known) else "sans données"
    line = series.dropna(subset=["trajectoire"])
    figure = go.Figure()
    figure.add_scatter(
        x=series["annee"],
        y=series["taux_couverture"],
        mode="lines+markers",
        name="Couverture mesurée",
        line_color=OKABE_ITO[0],
        hovertemplate="%{x} : %{y:.1%}<extra></extra>",
    )
    if len(line):
        figure.add_scatter(
            x=[*line["annee"], ANNEE_CIBLE],
            y=[*line["trajectoire"], CIBLE],
            mode="lines",
            name=f"Trajectoire vers 100 % en {ANNEE_CIBLE}",
            line={"color": OKABE_ITO[5], "dash": "dash"},
            hovertemplate="%{x} : %{y:.1%}<extra>trajectoire</extra>",
        )
    figure.update_layout(yaxis={"tickformat": ".0%", "rangemode": "tozero"})
    st.markdown(f"**Par rapport à la trajectoire TEPOS en {year or '–'}** :")
    status_badge(status)
    chart(
        figure,
        series,
        title="Couverture renouvelable et trajectoire TEPOS",
        summary=(
            f"{nom} couvre {pourcent(known['taux_couverture'].iloc[-1])} de sa consommation par "
            f"sa production renouvelable en {year} ({status}) ; la trajectoire va de la première "
            f"année mesurée à 100 % en {ANNEE_CIBLE}."
            if len(known)
            else f"{nom} : couverture non mesurable (production ou consommation manquante)."
        ),
        sources=["production", "consommation"],
        period=period,
        file_name=f"couverture_{niveau}_{code}.csv",
        colonnes={
            "annee": ("Année", texte),
            "taux_couverture": ("Couverture mesurée", pourcent),
            "trajectoire": ("Trajectoire", pourcent),
            "statut": ("Par rapport à la trajectoire", texte),
            "production_enr_mwh": ("Production renouvelable (MWh)", nombre),
            "consommation_mwh": ("Consommation (MWh)", nombre),
        },
    )


def _peers(niveau: str, code: str, nom: str, peers: pd.DataFrame) -> None:
    if len(peers) < 2:
        st.info("Pas de territoire comparable (même échelle, population de la moitié au double).")
        return
    rank = int(peers.index[peers["lui_meme"]][0]) + 1
    year = int(peers["annee"].iloc[0])
    colours = [OKABE_ITO[5] if me else OKABE_ITO[4] for me in peers["lui_meme"]]
    figure = go.Figure(
        go.Bar(
            x=peers["nom"],
            y=peers["taux_couverture"],
            marker_color=colours,
            hovertemplate="%{x} : %{y:.1%}<extra></extra>",
        )
    )
    figure.update_layout(yaxis={"tickformat": ".0%"}, xaxis={"showticklabels": len(peers) <= 30})
    chart(
        figure,
        peers,
        title="Parmi les territoires comparables",
        summary=(
            f"{nom} est {rank}e sur {len(peers)} territoires de même échelle dont la population "
            f"va de la moitié au double de la sienne, par sa couverture renouvelable en {year}."
        ),
        sources=["production", "consommation", "territoires"],
        period=str(year),
        file_name=f"comparables_{niveau}_{code}_{year}.csv",
        colonnes={
            "nom": ("Territoire", texte),
            "population": ("Population", nombre),
            "taux_couverture": ("Couverture renouvelable", pourcent),
        },
    )


st.title("Territoire")
try:
    niveau, code = _choose()
except data.NotPublished:
    st.error("Aucune donnée publiée pour l'instant : lancez « observatoire refresh ».")
    st.stop()
st.query_params.from_dict({"niveau": niveau, "code": code})
fiche = data.fiche(niveau, code, CIBLE, ANNEE_CIBLE)
info = fiche.territoire
nom = info["nom"]
share(f"{nom} : énergie, contrats et adhérents")
demo_banner(SOURCES)

st.header(f"{nom}")
st.markdown(
    f"{data.NIVEAUX[niveau]} · {nombre(info['population'])} habitants · "
    f"{nombre(info['nb_communes'])} commune(s)"
    + "".join(f" · {data.NIVEAUX[p['niveau']]} : {p['nom']}" for p in info["parents"])
)
series = fiche.serie
period = (
    f"{int(series['annee'].min())}-{int(series['annee'].max())}" if len(series) else "aucune année"
)
_energy(fiche, niveau, code, nom, period)
_coverage(niveau, code, nom, series, period)
if len(series.dropna(subset=["taux_couverture"])):
    _peers(niveau, code, nom, fiche.comparables)

left, right = st.columns(2)
with left:
    st.markdown("#### Contrats de transition écologique")
    contrats = fiche.contrats
    if contrats.empty:
        st.info("Aucun contrat connu sur ce territoire.")
    else:
        table(
            contrats,
            {
                "nom": ("Contrat", texte),
                "type": ("Type", texte),
                "vague": ("Vague", texte),
                "date_signature": ("Signé le", jour),
                "epci": ("EPCI du territoire", nombre),
            },
        )
with right:
    st.markdown("#### Adhérents du réseau présents")
    membres = fiche.membres
    if membres.empty:
        st.info("Aucun adhérent actif sur ce territoire.")
    else:
        table(
            membres,
            {
                "nom": ("Adhérent", texte),
                "type": ("Type", texte),
                "sous_type": ("Sous-type", texte),
                "date_adhesion": ("Adhésion", jour),
                "reseau_tepos": ("Réseau TEPOS", oui_non),
                "siege_ici": ("Siège sur le territoire", oui_non),
            },
        )
footer(SOURCES)
