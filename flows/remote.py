"""Read a source's file from wherever it is: an http(s) URL or a local path.

A location may name environment variables, ``${CRM_TOKEN}``: the secret is read from the
environment when the file is fetched, so flow parameters, logs, the audit and the published file
only ever hold the name. Credentials written in the URL itself (``user:password@``, a ``token=``
parameter) are used, and masked wherever the location is shown.
"""

from __future__ import annotations

import base64
import errno
import gzip
import os
import re
import urllib.error
import urllib.request
import zlib
from http.client import HTTPException
from pathlib import Path
from urllib.parse import unquote, urlparse

from flows.connector import FetchError, RawFile

TIMEOUT_S = float(os.environ.get("OBSERVATOIRE_TIMEOUT_S", "60"))
USER_AGENT = "observatoire-cler/0.1 (+https://www.cler.org)"
HTML_STARTS = (b"<!doctype html", b"<html")
VARIABLE = re.compile(r"\$\{(\w+)\}")
SECRET_PARAMETER = re.compile(r"token|key|secret|pass|pwd|auth|sig|credential", re.IGNORECASE)
MASK = "***"


def expand(location: str) -> str:
    """``location`` with each ``${NAME}`` replaced by the environment variable ``NAME``."""

    def value(match: re.Match[str]) -> str:
        if match[1] not in os.environ:
            raise FetchError(f"{location} : variable d'environnement {match[1]} non définie")
        return os.environ[match[1]]

    return VARIABLE.sub(value, location)


def shown(location: str) -> str:
    """``location`` as it may be logged, recorded and published: a password in the URL and the
    values of secret-looking query parameters (token, key, password…) are masked."""
    parsed = urlparse(location)
    if parsed.scheme not in ("http", "https"):
        return location
    netloc = parsed.netloc
    if parsed.password is not None and not VARIABLE.fullmatch(parsed.password):
        netloc = f"{parsed.username}:{MASK}@{netloc.rpartition('@')[2]}"
    query = "&".join(_masked(part) for part in parsed.query.split("&")) if parsed.query else ""
    return parsed._replace(netloc=netloc, query=query).geturl()


def _masked(parameter: str) -> str:
    """``key=value`` of a query string, its value masked if the key names a secret."""
    key, sep, value = parameter.partition("=")
    if sep and SECRET_PARAMETER.search(unquote(key)) and not VARIABLE.fullmatch(unquote(value)):
        return f"{key}={MASK}"
    return parameter


def _download(url: str, location: str) -> tuple[bytes, str | None, str, str]:
    """Body, announced length, content type and content encoding at ``url`` (``location`` with
    its variables expanded: only ``location``, masked, is ever named in a message)."""
    location = shown(location)
    parsed = urlparse(url)
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, identity"}
    if parsed.username is not None:  # urllib does not send credentials written in the URL
        pair = f"{unquote(parsed.username)}:{unquote(parsed.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        url = parsed._replace(netloc=parsed.netloc.rpartition("@")[2]).geturl()
    request = urllib.request.Request(url, headers=headers)
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
    :class:`FetchError` naming it (masked)."""
    url = expand(location)
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https"):
        data, expected, content_type, encoding = _download(url, location)
        location = shown(location)
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
    path = Path(url)
    try:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "dossier : voir read_all")
        with path.open("rb"):  # readable now; read later, by whoever needs its bytes
            return RawFile(path.name, str(path.resolve()), path=path.resolve())
    except OSError as error:
        raise FetchError(f"{location} : fichier illisible ({error.strerror})") from error


MAX_FILES = 64  # a folder is a few files of one source, not a tree to copy


def read_all(location: str) -> list[RawFile]:
    """The file at ``location``, or every file directly inside the folder it names (several files
    of one source, read in one run)."""
    path = Path(expand(location))
    if "://" in location or not path.is_dir():
        return [read(location)]
    inside = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    if not inside:
        raise FetchError(f"{location} : dossier vide")
    if len(inside) > MAX_FILES:
        raise FetchError(f"{location} : {len(inside)} fichiers, {MAX_FILES} au plus par source")
    return [read(str(p)) for p in inside]
