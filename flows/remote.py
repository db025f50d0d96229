"""Read a source's file from wherever it is: an http(s) URL or a local path.

A location may name environment variables, ``${CRM_TOKEN}``: the secret is read from the
environment when the file is fetched, so flow parameters, logs, the audit and the published file
only ever hold the name. Credentials written in the URL itself (``user:password@``, a ``token=``
parameter) are used, and masked wherever the location is shown.

Downloads go through httpx: credentials stay on their origin across redirects, only http(s)
redirects are followed, and a body is streamed under its source's limits (bytes received and
decompressed, a deadline for the whole download).
"""

from __future__ import annotations

import errno
import io
import os
import re
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx

from flows.connector import FetchError, RawFile
from flows.spec import DEADLINE_S, MAX_BYTES  # a source's limits, unless its spec says otherwise

TIMEOUT_S = float(os.environ.get("OBSERVATOIRE_TIMEOUT_S", "60"))  # for each connect or read
MAX_REDIRECTS = 5
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


def size(n: int) -> str:
    """``n`` bytes for a message: 200 Mo, 2 048 Mo."""
    return f"{n / 1024**2:,.0f}\u202fMo".replace(",", "\u202f")


def _http_only(location: str):
    """A request hook: a redirect is followed to http(s) only (never ``ftp://``, ``file://``)."""

    def check(request: httpx.Request) -> None:
        if request.url.scheme not in ("http", "https"):
            raise FetchError(
                f"{location} : redirection vers {request.url.scheme}:// refusée "
                "(seuls http et https sont suivis)"
            )

    return check


def _download(url: str, location: str, max_bytes: int, deadline_s: float) -> tuple[bytes, str]:
    """Body (decompressed) and content type at ``url`` (``location`` with its variables
    expanded: only ``location``, masked, is ever named in a message).

    httpx sends the credentials written in the URL (HTTP Basic) to their origin only: a redirect
    to another host, port or scheme goes without them. The body is read a chunk at a time and
    refused beyond ``max_bytes`` (received or decompressed) or ``deadline_s`` in all (checked
    between chunks, so a stalled read adds at most one read timeout)."""
    location = shown(location)
    deadline = time.monotonic() + deadline_s
    timeout = min(TIMEOUT_S, deadline_s)
    try:
        with (
            httpx.Client(
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, identity"},
                timeout=timeout,
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                event_hooks={"request": [_http_only(location)]},
                trust_env=False,  # no proxy or .netrc credentials picked up from the environment
            ) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 400:
                raise FetchError(
                    f"{location} : le serveur répond HTTP {response.status_code} "
                    f"{response.reason_phrase}",
                    transient=response.status_code >= 500 or response.status_code == 429,
                )
            expected = response.headers.get("Content-Length")
            if expected is not None and expected.isdigit() and int(expected) > max_bytes:
                raise FetchError(_too_big(location, max_bytes, f"{size(int(expected))} annoncés"))
            body = io.BytesIO()
            for chunk in response.iter_bytes():  # as received: a chunk size would wait to fill it
                if (
                    body.tell() + len(chunk) > max_bytes
                    or response.num_bytes_downloaded > max_bytes
                ):
                    raise FetchError(_too_big(location, max_bytes, "décompressés ou reçus"))
                body.write(chunk)
                if time.monotonic() > deadline:
                    raise FetchError(_late(location, deadline_s, response.num_bytes_downloaded))
            received = response.num_bytes_downloaded
            if expected is not None and expected.isdigit() and int(expected) != received:
                raise FetchError(
                    f"{location} : réponse tronquée ({received} octets sur {expected})",
                    transient=True,
                )
            return body.getvalue(), response.headers.get("Content-Type", "")
    except httpx.TimeoutException as error:
        if time.monotonic() >= deadline:
            raise FetchError(_late(location, deadline_s, None)) from error
        raise FetchError(f"{location} : délai de {timeout:g} s dépassé", transient=True) from error
    except httpx.DecodingError as error:
        raise FetchError(
            f"{location} : réponse compressée (gzip) illisible ou corrompue ({error})"
        ) from error
    except httpx.TooManyRedirects as error:
        raise FetchError(f"{location} : plus de {MAX_REDIRECTS} redirections") from error
    except httpx.RemoteProtocolError as error:  # closed mid-body, or before any answer
        raise FetchError(f"{location} : réponse interrompue ({error})", transient=True) from error
    except (httpx.TransportError, OSError) as error:  # refused, reset, unknown host…
        raise FetchError(
            f"{location} : téléchargement impossible ({error})", transient=True
        ) from error


def _too_big(location: str, max_bytes: int, what: str) -> str:
    return (
        f"{location} : fichier plus gros que la limite de la source ({size(max_bytes)}, "
        f"max_bytes de sa spec ; {what}), téléchargement arrêté"
    )


def _late(location: str, deadline_s: float, received: int | None) -> str:
    got = f" ({size(received)} reçus)" if received is not None else ""
    return (
        f"{location} : téléchargement plus long que {deadline_s:g} s (deadline_s de la spec de "
        f"la source){got}, arrêté"
    )


def read(location: str, max_bytes: int = MAX_BYTES, deadline_s: float = DEADLINE_S) -> RawFile:
    """The file at ``location`` (a local one left on disk until read), at most ``max_bytes``
    (downloaded in ``deadline_s`` at most); any failure is a :class:`FetchError` naming it
    (masked)."""
    url = expand(location)
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https"):
        data, content_type = _download(url, location, max_bytes, deadline_s)
        location = shown(location)
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
        with path.open("rb") as f:  # readable now; read later, by whoever needs its bytes
            if os.fstat(f.fileno()).st_size > max_bytes:
                raise FetchError(_too_big(location, max_bytes, f"{size(path.stat().st_size)}"))
            return RawFile(path.name, str(path.resolve()), path=path.resolve())
    except OSError as error:
        raise FetchError(f"{location} : fichier illisible ({error.strerror})") from error


MAX_FILES = 64  # a folder is a few files of one source, not a tree to copy


def read_all(
    location: str, max_bytes: int = MAX_BYTES, deadline_s: float = DEADLINE_S
) -> list[RawFile]:
    """The file at ``location``, or every file directly inside the folder it names (several files
    of one source, read in one run), each at most ``max_bytes``."""
    path = Path(expand(location))
    if "://" in location or not path.is_dir():
        return [read(location, max_bytes, deadline_s)]
    inside = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    if not inside:
        raise FetchError(f"{location} : dossier vide")
    if len(inside) > MAX_FILES:
        raise FetchError(f"{location} : {len(inside)} fichiers, {MAX_FILES} au plus par source")
    return [read(str(p), max_bytes, deadline_s) for p in inside]
