"""Read a source's file from wherever it is: an http(s) URL or a local path.

A location may name environment variables, ``${CRM_TOKEN}``: the secret is read from the
environment when the file is fetched, so flow parameters, logs, the audit and the published file
only ever hold the name. Credentials written in the URL itself (``user:password@``, a ``token=``
parameter) are used, and masked wherever the location is shown.

Downloads go through httpx: credentials stay on their origin across redirects, only http(s)
redirects are followed, and a body is streamed, decompressed, to a file under its source's
limits (bytes received and decompressed, a deadline for the whole download): memory holds a
chunk, never the body. A local location is refused when it, or a folder on its way, is a
symbolic link (a link to a file only root may read would be copied into the landing).
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlparse

import httpx

from flows.connector import FetchError, RawFile
from flows.spec import DEADLINE_S, MAX_BYTES  # a source's limits, unless its spec says otherwise
from warehouse.landing import PARTIAL, no_follow
from warehouse.paths import OWNER_ONLY_DIR

TIMEOUT_S = float(os.environ.get("OBSERVATOIRE_TIMEOUT_S", "60"))  # for each connect or read
MAX_REDIRECTS = 5
USER_AGENT = "observatoire-cler/0.1 (+https://www.cler.org)"
HTML_STARTS = (b"<!doctype html", b"<html")
CHUNK = 1024**2  # largest piece of a gzip body inflated at once
HEAD_BYTES = 4096  # what is read of a download to tell an HTML page (after leading blanks)
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


def _download(url: str, location: str, max_bytes: int, deadline_s: float, into: BinaryIO) -> str:
    """Write the body at ``url`` (``location`` with its variables expanded: only ``location``,
    masked, is ever named in a message), decompressed, to ``into``; return its content type.

    httpx sends the credentials written in the URL (HTTP Basic) to their origin only: a redirect
    to another host, port or scheme goes without them. The body is written a chunk at a time
    (:func:`_decoded`) and refused beyond ``max_bytes`` (received or decompressed) or
    ``deadline_s`` in all (checked between chunks, so a stalled read adds at most one read
    timeout)."""
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
            written = 0
            for chunk in _decoded(response, location):
                written += len(chunk)
                if written > max_bytes or response.num_bytes_downloaded > max_bytes:
                    raise FetchError(_too_big(location, max_bytes, "décompressés ou reçus"))
                into.write(chunk)
                if time.monotonic() > deadline:
                    raise FetchError(_late(location, deadline_s, response.num_bytes_downloaded))
            received = response.num_bytes_downloaded
            if expected is not None and expected.isdigit() and int(expected) != received:
                raise FetchError(
                    f"{location} : réponse tronquée ({received} octets sur {expected})",
                    transient=True,
                )
            return response.headers.get("Content-Type", "")
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


def _decoded(response: httpx.Response, location: str) -> Iterator[bytes]:
    """The body, decompressed, as received (a chunk size would wait to fill it), in pieces of
    ``CHUNK`` at most: httpx inflates each piece received whole, and 64 kB of a gzip bomb are
    64 MB, so gzip is inflated here; identity (and any encoding a server sends unasked) by
    httpx."""
    if response.headers.get("Content-Encoding", "").strip().lower() != "gzip":
        yield from response.iter_bytes()
        return
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        for data in response.iter_raw():
            while data:
                yield inflater.decompress(data, CHUNK)
                data = inflater.unconsumed_tail
        yield inflater.flush()
    except zlib.error as error:
        raise FetchError(
            f"{location} : réponse compressée (gzip) illisible ou corrompue ({error})"
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


def _fetched(url: str, location: str, max_bytes: int, deadline_s: float, into: Path) -> Path:
    """The body at ``url`` in a new file of the folder ``into``, for its owner only, named
    ``.<name>.<random>.partial`` until landed (a killed run's is removed by the next one)."""
    into.mkdir(mode=OWNER_ONLY_DIR, parents=True, exist_ok=True)
    name = Path(urlparse(url).path).name or "telechargement"
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=PARTIAL, dir=into)
    try:
        with open(handle, "wb") as out:
            content_type = _download(url, location, max_bytes, deadline_s, out)
        with open(temporary, "rb") as written:
            head = written.read(HEAD_BYTES).lstrip()[:14].lower()
        if content_type.lower().startswith("text/html") or head.startswith(HTML_STARTS):
            raise FetchError(
                f"{location} : le serveur a renvoyé une page HTML au lieu du fichier attendu "
                "(page d'erreur ou de connexion ?)"
            )
    except BaseException:
        os.unlink(temporary)
        raise
    return Path(temporary)


def local(location: str) -> Path:
    """The local path ``location`` names (its variables expanded), absolute; a
    :class:`FetchError` if it, or a folder on its way, is a symbolic link: the file itself is
    named, never a link that may lead anywhere the refresh's account may read."""
    path = Path(os.path.abspath(expand(location)))
    for step in (path, *path.parents):
        if step.is_symlink():
            raise FetchError(
                f"{location} : {step} est un lien symbolique, refusé ; indiquez le fichier ou le "
                "dossier lui-même"
            )
    return path


def read(
    location: str,
    max_bytes: int = MAX_BYTES,
    deadline_s: float = DEADLINE_S,
    into: Path | None = None,
) -> RawFile:
    """The file at ``location`` (a local one left on disk until read), at most ``max_bytes``
    (downloaded in ``deadline_s`` at most); any failure is a :class:`FetchError` naming it
    (masked). A download is written to a new file in the folder ``into`` (the landing, which
    takes it over); without it, it is read back into memory and its file removed."""
    url = expand(location)
    parsed = urlparse(url)
    if parsed.scheme in ("http", "https"):
        name = Path(parsed.path).name or "telechargement"
        shown_location = shown(location)
        if into is not None:
            path = _fetched(url, shown_location, max_bytes, deadline_s, into)
            return RawFile(name, shown_location, path=path, downloaded=True)
        with tempfile.TemporaryDirectory(prefix="observatoire-") as folder:
            path = _fetched(url, shown_location, max_bytes, deadline_s, Path(folder))
            return RawFile(name, shown_location, path.read_bytes())
    path = local(location)
    try:
        with open(path, "rb", opener=no_follow) as f:  # readable now; read later, by the landing
            length = os.fstat(f.fileno()).st_size
        if length > max_bytes:
            raise FetchError(_too_big(location, max_bytes, size(length)))
        return RawFile(path.name, str(path), path=path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise FetchError(f"{location} : lien symbolique, refusé") from error
        raise FetchError(f"{location} : fichier illisible ({error.strerror})") from error


MAX_FILES = 64  # a folder is a few files of one source, not a tree to copy


def read_all(
    location: str,
    max_bytes: int = MAX_BYTES,
    deadline_s: float = DEADLINE_S,
    into: Path | None = None,
) -> list[RawFile]:
    """The file at ``location``, or every file directly inside the folder it names (several files
    of one source, read in one run), each at most ``max_bytes``; a link among them is refused."""
    if "://" in location:
        return [read(location, max_bytes, deadline_s, into)]
    path = local(location)
    if not path.is_dir():
        return [read(location, max_bytes, deadline_s)]
    inside = sorted(
        p for p in path.iterdir() if (p.is_file() or p.is_symlink()) and not p.name.startswith(".")
    )
    if not inside:
        raise FetchError(f"{location} : dossier vide")
    if len(inside) > MAX_FILES:
        raise FetchError(f"{location} : {len(inside)} fichiers, {MAX_FILES} au plus par source")
    return [read(str(p), max_bytes, deadline_s) for p in inside]
