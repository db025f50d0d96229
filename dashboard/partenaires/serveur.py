"""The partner app as ``observatoire partenaires`` serves it: ``app.py`` in Streamlit's ``st.App``,
with one middleware in front. Streamlit serves a download (``st.download_button``) at
``/media/<id>.csv`` to whoever asks for it, cookie or not: anyone holding the link (a proxy's
log, the browser's history, a forwarded address) would get the members' answers. Here a request
under ``/media/`` gets them only with the signed sign-in cookie of an allowed partner
(:mod:`dashboard.partenaires.acces`), as the page itself requires.
"""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from streamlit.runtime.secrets import secrets_singleton
from streamlit.web.server.starlette.starlette_server_config import USER_COOKIE_NAME

# Streamlit's own reader of its signed, possibly chunked, cookies (what the app's websocket uses)
from streamlit.web.server.starlette.starlette_websocket import _get_signed_cookie_with_chunks

from dashboard.partenaires.acces import ListeAutorisee

MEDIA = "media"  # the path segment of Streamlit's media route (under server.baseUrlPath)
REFUSED = "Téléchargement réservé aux partenaires connectés : ouvrez l'espace partenaires.\n"


def signed_in_partner(cookies: dict[str, str]) -> bool:
    """True when ``cookies`` hold Streamlit's sign-in cookie, signed with this app's secret, for
    an address the ``[partenaires]`` list allows."""
    raw = _get_signed_cookie_with_chunks(cookies, USER_COOKIE_NAME)
    if raw is None:
        return False
    try:
        user = json.loads(raw)
    except ValueError:
        return False
    if not isinstance(user, dict) or user.get("is_logged_in") is not True:
        return False
    section = secrets_singleton.get("partenaires") or {}
    return ListeAutorisee.from_section(section).autorise(user)


class MediaReservee:
    """Refuse (403) any request for a media file without an allowed partner's cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and MEDIA in scope["path"].split("/")
            and not signed_in_partner(Request(scope).cookies)
        ):
            await PlainTextResponse(REFUSED, status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)


app = st.App(Path(__file__).with_name("app.py"), middleware=[Middleware(MediaReservee)])
