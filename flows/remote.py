"""Read a source's file from wherever it is: an http(s) URL or a local path."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from flows.source import FetchError, RawFile

TIMEOUT_S = 60
USER_AGENT = "observatoire-cler/0.1 (+https://www.cler.org)"


def read(location: str) -> RawFile:
    """The bytes at ``location``; any failure is a :class:`FetchError` naming it."""
    parsed = urlparse(location)
    if parsed.scheme in ("http", "https"):
        request = urllib.request.Request(location, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                data = response.read()
                expected = response.headers.get("Content-Length")
        except urllib.error.HTTPError as error:
            raise FetchError(
                f"{location} : le serveur répond HTTP {error.code} {error.reason}",
                transient=error.code >= 500 or error.code == 429,
            ) from error
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise FetchError(
                f"{location} : téléchargement impossible ({error})", transient=True
            ) from error
        if expected is not None and int(expected) != len(data):
            raise FetchError(
                f"{location} : réponse tronquée ({len(data)} octets sur {expected})", transient=True
            )
        name = Path(parsed.path).name or "telechargement"
        return RawFile(name, location, data)
    path = Path(location)
    try:
        return RawFile(path.name, str(path.resolve()), path.read_bytes())
    except OSError as error:
        raise FetchError(f"{location} : fichier illisible ({error.strerror})") from error


def read_or_demo(location: str | None, demo_name: str, demo: Callable[[], bytes]) -> list[RawFile]:
    """The file at ``location``, or the source's embedded demo file when there is none."""
    if location is None:
        return [RawFile(demo_name, "démonstration embarquée", demo())]
    return [read(location)]
