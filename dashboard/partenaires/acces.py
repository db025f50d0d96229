"""Who may open the partner pages: someone signed in through the OIDC provider of the secrets'
``[auth]`` section whose e-mail address is on the allow-list of their ``[partenaires]`` section:

    [partenaires]
    comptes = ["prenom.nom@ademe.fr"]          # addresses allowed one by one
    domaines = ["banquedesterritoires.fr"]     # every address of these domains

Anyone else is refused, and so is everyone when the list is empty. An address its provider does
not say verified (``email_verified`` true, the JSON boolean) is refused too: ``false``, ``"false"``,
``0`` or absent. Addresses are compared in Unicode NFKC form, case-folded; an address that its
NFKC form changes (the Kelvin sign ``\u212a`` for a k, full-width letters) is another mailbox
that only looks like one on the list: refused.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class ListeAutorisee:
    """Partner accounts and e-mail domains, normalised (:func:`normalise`)."""

    comptes: frozenset[str]
    domaines: frozenset[str]

    @classmethod
    def from_section(cls, section: Mapping[str, Iterable[object]]) -> ListeAutorisee:
        def entries(key: str) -> frozenset[str]:
            return frozenset(normalise(str(e)).lstrip("@") for e in section.get(key, []))

        return cls(entries("comptes"), entries("domaines"))

    def autorise(self, user: Mapping[str, object]) -> bool:
        """True for an address on the list that its provider says verified."""
        given = str(user.get("email") or "").strip()
        if unicodedata.normalize("NFKC", given) != given:
            return False
        email = normalise(given)
        local, at, domain = email.rpartition("@")
        if not (local and at and domain) or user.get("email_verified") is not True:
            return False
        return email in self.comptes or domain in self.domaines


def normalise(address: str) -> str:
    """An address as compared: NFKC (compatibility characters become the letters they look
    like), case-folded, trimmed."""
    return unicodedata.normalize("NFKC", address).casefold().strip()


def _configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def gate() -> str:
    """Stop the page unless an allowed partner is signed in; return their e-mail address."""
    if not _configured():
        st.error(
            "L'espace partenaires n'est pas configuré : il lui faut un fichier de secrets avec "
            "les sections [auth] et [partenaires] (voir « Espace partenaires » dans le README).",
            icon="🔒",
        )
        st.stop()
    if not st.user.is_logged_in:
        st.title("Espace partenaires")
        st.markdown(
            "Cet espace montre les réponses de chaque adhérent au registre du réseau CLER. Il est "
            "réservé aux partenaires du réseau (régions, ADEME, Banque des Territoires, agences "
            "locales de l'énergie…) : connectez-vous avec le compte de votre organisation."
        )
        st.button("Se connecter", on_click=st.login, type="primary", icon=":material/login:")
        st.stop()
    user = st.user.to_dict()
    allowed = ListeAutorisee.from_section(st.secrets.get("partenaires", {}))
    if not allowed.autorise(user):
        st.title("Espace partenaires")
        st.error(
            "Ce compte n'a pas accès à l'espace partenaires. Si votre organisation est partenaire "
            "du réseau, demandez à l'équipe du CLER d'ajouter votre adresse ou votre domaine.",
            icon="🚫",
        )
        st.text(f"Compte connecté : {user.get('email') or 'adresse inconnue'}")
        st.button("Se déconnecter", on_click=st.logout, icon=":material/logout:")
        st.stop()
    return str(user["email"])
