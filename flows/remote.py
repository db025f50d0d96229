"""Read a source's file from wherever it is: an http(s) URL or a local path."""

from __future__ import annotations

import gzip
import os
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from http.client import HTTPException
from pathlib import Path
from urllib.parse import urlparse

from flows.source import FetchError, RawFile

TIMEOUT_S = float(os.environ.get("OBSERVATOIRE_TIMEOUT_S", "60"))
USER_AGENT = "observatoire-cler/0.1 (+https://www.cler.org)"
HTML_STARTS = (b"<!doctype html", b"<html")


def _download(location: str) -> tuple[bytes, str | None, str, str]:
    """Body, announced length, content type and content encoding at ``location``."""
    request = urllib.request.Request(
        location, headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, identity"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            headers = response.headers
            return (
                response.read(),
                headers.get("Content-Length"),
                headers.get("Content-Type", ""),
                headers.get("Content-Encoding", "identity"),
            )
    except urllib.error.HTTPError as error:
        raise FetchError(
            f"{location} : le serveur répond HTTP {error.code} {error.reason}",
            transient=error.code >= 500 or error.code == 429,
        ) from error
    except (TimeoutError, OSError) as error:  # URLError, ConnectionError and timeouts included
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError) or isinstance(error, TimeoutError):
            message = f"délai de {TIMEOUT_S:g} s dépassé"
        else:
            message = f"téléchargement impossible ({reason})"
        raise FetchError(f"{location} : {message}", transient=True) from error
    except HTTPException as error:  # e.g. IncompleteRead: the connection closed mid-body
        raise FetchError(f"{location} : réponse interrompue ({error!r})", transient=True) from error


def _decoded(location: str, data: bytes, encoding: str) -> bytes:
    """``data`` without the gzip compression the server may apply (urllib leaves it)."""
    if encoding.strip().lower() not in ("gzip", "x-gzip"):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise FetchError(
            f"{location} : réponse compressée (gzip) illisible ou corrompue ({error})"
        ) from error


def read(location: str) -> RawFile:
    """The file at ``location`` (a local one left on disk until read); any failure is a
    :class:`FetchError` naming it."""
    parsed = urlparse(location)
    if parsed.scheme in ("http", "https"):
        data, expected, content_type, encoding = _download(location)
        if expected is not None and int(expected) != len(data):
            raise FetchError(
                f"{location} : réponse tronquée ({len(data)} octets sur {expected})", transient=True
            )
        data = _decoded(location, data, encoding)
        if content_type.lower().startswith("text/html") or data.lstrip()[:14].lower().startswith(
            HTML_STARTS
        ):
            raise FetchError(
                f"{location} : le serveur a renvoyé une page HTML au lieu du fichier attendu "
                "(page d'erreur ou de connexion ?)"
            )
        name = Path(parsed.path).name or "telechargement"
        return RawFile(name, location, data)
    path = Path(location)
    try:
        with path.open("rb"):  # readable now; read later, by whoever needs its bytes
            return RawFile(path.name, str(path.resolve()), path=path.resolve())
    except OSError as error:
        raise FetchError(f"{location} : fichier illisible ({error.strerror})") from error


def read_or_demo(location: str | None, demo_name: str, demo: Callable[[], bytes]) -> list[RawFile]:
    """The file at ``location``, or the source's embedded demo file when there is none."""
    if location is None:
        return [RawFile(demo_name, "démonstration embarquée", demo())]
    return [read(location)]
