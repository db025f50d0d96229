"""Faults of a remote source, drift of its file, and arbitrary input: each one fails in a clear
French sentence naming the file or URL, retries stay bounded, and published data stays."""

from __future__ import annotations

import csv
import gzip
import io
import socket
import struct
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flows import remote
from flows.connector import FetchError, RawFile
from flows.demo import membres as demo
from flows.pipeline import receive
from flows.refresh import refresh
from flows.report import RefreshFailed
from flows.sources import membres
from flows.tabular import read_text_table
from schemas.check import ContractError
from tests.http_fixture import Script, serve

REGISTRY = demo.csv_bytes()
HTML = b"<!DOCTYPE html><html><body><h1>Erreur 502</h1></body></html>"


def _hang(handler: BaseHTTPRequestHandler) -> None:
    """Answer long after the client gave up."""
    time.sleep(1.5)
    handler.send_response(200)
    handler.end_headers()


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Drop the connection with a TCP reset, before any answer."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.connection.close()


def _truncated(handler: BaseHTTPRequestHandler) -> None:
    """Announce more bytes than are sent, then close."""
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(REGISTRY) + 1000))
    handler.end_headers()
    handler.wfile.write(REGISTRY)


def _receive(url: str):
    """The refresh flow's download task, retry delays aside."""
    return receive.with_options(retry_delay_seconds=0)("membres", url)


@pytest.fixture
def fast_timeout(monkeypatch) -> None:
    monkeypatch.setattr(remote, "TIMEOUT_S", 0.3)


# (answer, message expected after the URL, transient: retried up to 3 requests in all)
FAULTS = {
    "http-500": ((500, b"erreur"), r"HTTP 500", True),
    "http-404": ((404, b"introuvable"), r"HTTP 404", False),
    "timeout": (_hang, r"délai de 0.3 s dépassé", True),
    "connexion-coupee": (_reset, r"téléchargement impossible|réponse interrompue", True),
    "corps-tronque": (_truncated, r"réponse interrompue|réponse tronquée", True),
    "page-html": ((200, HTML, {"Content-Type": "text/html"}), r"page HTML", False),
    "html-annonce-csv": ((200, b"\n  " + HTML), r"page HTML", False),
    "gzip-corrompu": (
        (200, b"\x1f\x8b\x08\x00pas du gzip", {"Content-Encoding": "gzip"}),
        "gzip",
        False,
    ),
}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_remote_fault_names_the_url_and_is_retried_only_when_transient(
    prefect_harness, home, fast_timeout, fault
):
    answer, message, transient = FAULTS[fault]
    script = Script(answer)
    with serve(script) as url, pytest.raises(FetchError, match=f"{url}/registre.csv : .*{message}"):
        _receive(f"{url}/registre.csv")
    assert len(script.requests) == (3 if transient else 1), "two retries at most, none if vain"
    assert not list(home.landing.rglob("*.csv")), "nothing landed"


@pytest.mark.parametrize(
    "first", [(500, b"erreur"), _reset, _truncated], ids=["http-500", "connexion-coupee", "tronque"]
)
def test_transient_fault_then_success_is_retried_and_fetched(prefect_harness, home, first):
    script = Script(first, (200, REGISTRY))
    with serve(script) as url:
        (landed,) = _receive(f"{url}/registre.csv")
    assert landed.path.read_bytes() == REGISTRY
    assert len(script.requests) == 2


def test_gzip_sent_by_the_server_is_decoded():
    script = Script((200, gzip.compress(REGISTRY), {"Content-Encoding": "gzip"}))
    with serve(script) as url:
        assert remote.read(f"{url}/registre.csv").data == REGISTRY


def _fetch_and_check(answer, name: str = "registre.csv"):
    """Serve ``answer``, read it as the refresh does, check it against the membres contract."""
    with serve(Script(answer)) as url:
        raw = remote.read(f"{url}/{name}")
        (checked,) = membres.read([raw], None)["membres"]
    return checked


def test_empty_file_is_refused_naming_it():
    with pytest.raises(ContractError, match=r"http://127.0.0.1:\d+/registre.csv : fichier vide"):
        _fetch_and_check((200, b""))


def test_file_ten_times_larger_than_usual_loads():
    header, *rows = REGISTRY.decode("utf-8-sig").splitlines()
    bigger = [header] + [
        f"{r.split(';', 1)[0]}-{k};{r.split(';', 1)[1]}" for k in range(10) for r in rows
    ]
    checked = _fetch_and_check((200, "\n".join(bigger).encode()))
    assert (checked.rows_read, checked.valid.height, checked.rejected.height) == (2930, 2930, 0)


# --- schema drift: what a changed export does ------------------------------------------------


def _resaved(separator: str) -> bytes:
    """The registry as a spreadsheet saves it with another separator (quoting where needed)."""
    out = io.StringIO()
    csv.writer(out, delimiter=separator, lineterminator="\n").writerows(
        csv.reader(io.StringIO(TEXT), delimiter=";")
    )
    return out.getvalue().encode()


def _columns(text: str, edit: Callable[[list[str]], list[str]]) -> str:
    return "\n".join(";".join(edit(line.split(";"))) for line in text.splitlines()) + "\n"


TEXT = REGISTRY.decode("utf-8-sig")
HEADER = TEXT.splitlines()[0].split(";")
TYPE = HEADER.index("type")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param(
            TEXT.replace("id_membre;nom;", "id_membre;raison_sociale;", 1).encode(),
            r"registre.csv : colonne\(s\) manquante\(s\) nom .*raison_sociale",
            id="colonne-renommee",
        ),
        pytest.param(
            _columns(TEXT, lambda cells: cells[:TYPE] + cells[TYPE + 1 :]).encode(),
            r"registre.csv : colonne\(s\) manquante\(s\) type ",
            id="colonne-manquante",
        ),
        pytest.param(
            _columns(TEXT, lambda cells: [*cells, "en plus"]).encode(), None, id="colonne-en-plus"
        ),
        pytest.param(_resaved(","), None, id="virgule"),
        pytest.param(_resaved("\t"), None, id="tabulation"),
        pytest.param(TEXT.encode("cp1252"), None, id="windows-1252"),
    ],
)
def test_schema_drift_is_read_or_named(data: bytes, error: str | None):
    if error is not None:
        with pytest.raises(ContractError, match=r"http://127.0.0.1:\d+/" + error):
            _fetch_and_check((200, data))
        return
    checked = _fetch_and_check((200, data))
    assert (checked.rows_read, checked.rejected.height) == (293, 0)
    assert "en plus" not in checked.valid.columns
    assert checked.valid.filter(checked.valid["id_membre"] == "M0001")["nom"].item() == (
        "Communauté de communes du Val d'Orne"
    )


# --- a failed source leaves its published data ------------------------------------------------


def _membres_rows(public) -> list[tuple]:
    with duckdb.connect(str(public), read_only=True) as con:
        return con.execute("select * from membres order by all").fetchall()


@pytest.mark.parametrize(
    "answer",
    [(404, b"introuvable"), (200, HTML, {"Content-Type": "text/html"}), (200, b"")],
    ids=["http-404", "page-html", "fichier-vide"],
)
def test_failed_remote_source_keeps_its_published_rows(published_copy, prefect_harness, answer):
    before = _membres_rows(published_copy.public)
    script = Script(answer)
    with serve(script) as url, pytest.raises(RefreshFailed) as failed:
        refresh(locations={"membres": f"{url}/registre.csv"}, sources=["membres"])
    assert failed.value.source == "membres" and f"{url}/registre.csv" in failed.value.reason
    assert len(script.requests) == 1
    assert _membres_rows(published_copy.public) == before


# --- arbitrary input: a report, never a traceback ----------------------------------------------

FORMULAS = ['=HYPERLINK("http://x";"clic")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-2+3", "=1/0"]
cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(FORMULAS),
    st.text(alphabet='aé;,\t"\n\r', max_size=20),
    st.integers(10_000, 200_000).map(lambda n: "x" * n),  # a huge field
)
ENCODINGS = ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]
QUICK = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(st.binary(max_size=2000))
@example(b"\r\x00")  # a stray carriage return once escaped as a csv.Error
@example(b"\x00\t\x0b\x00")  # two header names equal once trimmed: once a polars DuplicateError
def test_any_bytes_read_as_a_table_or_a_contract_error(data: bytes):
    try:
        read_text_table(data, "n-importe.csv")
    except ContractError as error:
        assert "n-importe.csv" in str(error)


def _table(rows: list[list[str]], sep: str, encoding: str) -> bytes:
    lines = [sep.join(HEADER)] + [sep.join(row) for row in rows]
    return "\n".join(lines).encode(encoding, errors="replace")


@pytest.mark.slow
@QUICK
@given(
    st.lists(st.lists(cells, min_size=1, max_size=len(HEADER) + 2), max_size=8),
    st.sampled_from([";", ",", "\t", "|"]),
    st.sampled_from(ENCODINGS),
)
def test_any_registry_is_checked_into_a_report(rows: list[list[str]], sep: str, encoding: str):
    data = _table(rows, sep, encoding)
    try:
        (checked,) = membres.read([RawFile("registre.csv", "registre.csv", data)], None)["membres"]
    except ContractError as error:
        assert str(error).startswith("registre.csv")
        return
    assert checked.rows_read == checked.valid.height + checked.rejected.height


@QUICK
@given(st.sampled_from(FORMULAS), st.sampled_from([";", "\t"]))
def test_formula_like_cells_stay_inert_text(formula: str, sep: str):
    quoted = '"' + formula.replace('"', '""') + '"'
    data = f"nom{sep}commentaire\n{quoted}{sep}{quoted}\n".encode()
    frame = read_text_table(data, "formules.csv")
    assert frame.row(0) == (2, formula, formula)
