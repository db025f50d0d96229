"""A reader of the dashboard as a browser drives it: one websocket session on ``/_stcore/stream``,
then one script run per page (a ``rerun_script`` BackMsg with the page's path and query string,
answered by ForwardMsgs until ``script_finished``). Used by ``benchmarks/load.py`` and the tests
of several workers; it draws nothing, so it measures the server alone."""

from __future__ import annotations

import asyncio
import time
import urllib.request
from dataclasses import dataclass, field

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState, ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

# URL path and query string of each page a reader opens, embedded as in a news article's iframe
PAGES = [
    ("", ""),
    ("reseau", ""),
    ("territoire", "niveau=epci&code=200046977"),
    ("carte", "niveau=epci&indicateur=taux_couverture"),
    ("contrats", ""),
]


@dataclass
class Run:
    """One page run: its page, seconds from the request to ``script_finished``, and what went
    wrong (an exception or error box shown, a page not found, a run that did not finish)."""

    page: str
    seconds: float
    error: str | None = None


@dataclass
class Reader:
    """One browser session: the worker that served it (HAProxy's affinity cookie, when there
    is one) and its page runs."""

    worker: str | None = None
    runs: list[Run] = field(default_factory=list)
    # hashes of the large elements already received: the browser's cache, sent with each run
    # so that the server sends a reference instead of an unchanged chart
    cached: set[str] = field(default_factory=set)


def _open_page(url: str) -> str | None:
    """GET the page as a browser does before its websocket; the affinity cookie set, if any."""
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        cookie = response.headers.get("Set-Cookie")
    return cookie.split(";", 1)[0] if cookie else None


def _problem(msg: ForwardMsg) -> str | None:
    """What a ForwardMsg shows that a reader should never see."""
    kind = msg.WhichOneof("type")
    if kind == "page_not_found":
        return f"page introuvable : {msg.page_not_found.page_name}"
    if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
        element = msg.delta.new_element
        if element.WhichOneof("type") == "exception":
            return f"exception : {element.exception.message}"
        if element.WhichOneof("type") == "alert" and element.alert.format == Alert.ERROR:
            return f"erreur affichée : {element.alert.body}"
    return None


async def _run(ws: ClientConnection, reader: Reader, base: str, path: str, query: str) -> Run:
    query = f"embed=true&{query}".rstrip("&")
    state = ClientState(
        query_string=query,
        page_name=path,
        cached_message_hashes=sorted(reader.cached),
        context_info=ContextInfo(
            timezone="Europe/Paris",
            timezone_offset=-60,
            locale="fr-FR",
            url=f"{base}/{path}?{query}",
            is_embedded=True,
        ),
    )
    start = time.perf_counter()
    await ws.send(BackMsg(rerun_script=state).SerializeToString())
    error = None
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await ws.recv())
        if msg.metadata.cacheable:
            reader.cached.add(msg.hash)
        error = error or _problem(msg)
        if msg.WhichOneof("type") == "script_finished":
            if msg.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                error = error or f"run non terminé ({msg.script_finished})"
            return Run(path or "accueil", time.perf_counter() - start, error)


async def read(
    base: str, pages: list[tuple[str, str]] = PAGES, timeout: float = 120, pause: float = 0.0
) -> Reader:
    """One reader: open the first page over HTTP, then a websocket session in which each page
    of ``pages`` runs in turn, ``pause`` seconds after the last one showed (a reader's click;
    not counted in the run's time). A failure ends the session and is recorded as a failed
    run."""
    reader = Reader()
    start = time.perf_counter()
    try:
        cookie = await asyncio.to_thread(_open_page, f"{base}/{pages[0][0]}")
        reader.worker = cookie.split("=", 1)[1] if cookie else None
        headers = {"Cookie": cookie} if cookie else {}
        stream = base.replace("http", "ws", 1) + "/_stcore/stream"
        async with connect(
            stream,
            subprotocols=[Subprotocol("streamlit")],
            additional_headers=headers,
            max_size=None,
        ) as ws:
            for i, (path, query) in enumerate(pages):
                if i and pause:
                    await asyncio.sleep(pause)
                start = time.perf_counter()
                run = await asyncio.wait_for(_run(ws, reader, base, path, query), timeout)
                reader.runs.append(run)
    except Exception as error:  # any failure (refused, closed, timed out) is a failed run
        reader.runs.append(Run("session", time.perf_counter() - start, repr(error)))
    return reader
