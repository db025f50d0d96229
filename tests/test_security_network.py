"""Issue 23, findings 4, 5 and the process part of 9, against real components: HTTP servers on
loopback addresses (127.0.0.2 is another host than 127.0.0.1), real files, child processes whose
memory peak is the kernel's (``VmHWM``), a real ``observatoire refresh`` killed with
SIGKILL and its real temporary Prefect server."""

from __future__ import annotations

import base64
import gzip
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import zipfile
import zlib
from dataclasses import replace
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import psutil
import pytest
from typer.testing import CliRunner

from flows import remote
from flows.connector import FetchError
from flows.demo import membres as demo
from flows.refresh import refresh
from flows.report import RefreshFailed
from flows.sources import SOURCES
from flows.spec import parse
from tests.http_fixture import Script, serve
from warehouse.paths import Home

REGISTRY = demo.csv_bytes()
ROOT = Path(__file__).resolve().parent.parent


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _redirect(to: str):
    return (302, b"", {"Location": to})


# --- 5. credentials follow redirects ---------------------------------------------------------


def test_credentials_stay_on_their_origin_across_redirects():
    """``user:password@`` is sent to its host, kept on a same-origin redirect, and never sent to
    the other host a 302 points to (urllib's hand-written header went there too)."""
    password = "-".join(("mot", "de", "passe", "R4t8"))
    elsewhere = Script((200, REGISTRY))
    with serve(elsewhere, host="127.0.0.2") as other:
        origin = Script(_redirect("/deplace.csv"), _redirect(f"{other}/ailleurs.csv"))
        with serve(origin) as url:
            raw = remote.read(url.replace("//", f"//lecteur:{password}@") + "/export.csv")
    assert raw.data == REGISTRY
    assert origin.requests == ["/export.csv", "/deplace.csv"]
    sent = [h.get("authorization") for h in origin.headers]
    assert sent == [_basic("lecteur", password)] * 2, "kept on its origin"
    assert elsewhere.requests == ["/ailleurs.csv"]
    assert "authorization" not in elsewhere.headers[0], "never sent to another host"
    assert password not in raw.origin


def test_credentials_are_not_sent_to_another_port_of_the_same_host():
    password = "-".join(("mot", "de", "passe", "p0rt"))
    elsewhere = Script((200, REGISTRY))
    with serve(elsewhere) as other, serve(Script(_redirect(f"{other}/x.csv"))) as url:
        remote.read(url.replace("//", f"//lecteur:{password}@") + "/export.csv")
    assert "authorization" not in elsewhere.headers[0]


class _Listener:
    """A TCP port that counts the connections made to it (an FTP server's, say)."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            conn.sendall(b"220 ftp\r\n")
            conn.close()


@pytest.mark.parametrize("scheme", ["ftp", "file"])
def test_a_redirect_is_followed_to_http_only(scheme):
    listener = _Listener()
    target = f"ftp://127.0.0.1:{listener.port}/x.csv" if scheme == "ftp" else "file:///etc/hosts"
    script = Script(_redirect(target))
    try:
        with serve(script) as url, pytest.raises(FetchError) as failed:
            remote.read(f"{url}/export.csv")
    finally:
        listener.socket.close()
    assert f"redirection vers {scheme}:// refusée" in str(failed.value)
    assert not failed.value.transient
    assert listener.connections == 0, "nothing sent to the FTP server"
    assert script.requests == ["/export.csv"]


# --- 4. size limits and deadlines --------------------------------------------------------------

# A child process reads a location as the refresh does (its source's spec and the overrides of
# $OBSERVATOIRE_CONFIG), and prints what it got, then its memory peak.
FETCH = textwrap.dedent(
    """
    import sys, time
    from flows.connector import FetchError
    from flows.pipeline import fetch
    from flows.sources import SOURCES

    started = time.monotonic()
    try:
        files = fetch(SOURCES[sys.argv[1]], sys.argv[2])
        print("lu", sum(len(f.data) for f in files), flush=True)
    except FetchError as error:
        print("refusé", error, flush=True)
    print(f"{time.monotonic() - started:.1f} s", flush=True)
    """
)


# the child's own peak: wait4's ru_maxrss starts from the forking test process's size
PEAK = "\nprint(open('/proc/self/status').read().split('VmHWM:')[1].split()[0], flush=True)\n"


def _child(code: str, *args: str, config: str = "", timeout: float = 120) -> tuple[str, float]:
    """Output and memory peak (MB, the kernel's high-water mark of its resident memory) of
    ``python -c code args``, killed after ``timeout``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory(prefix="observatoire-limites-") as folder:
        if config:
            path = Path(folder) / "limites.toml"
            path.write_text(config, encoding="utf-8")
            env["OBSERVATOIRE_CONFIG"] = str(path)
        child = subprocess.Popen(
            [sys.executable, "-c", code + PEAK, *args],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        try:
            output = child.stdout.read() if child.stdout else ""
            child.wait()
        finally:
            timer.cancel()
    assert child.returncode == 0, f"child ended with {child.returncode}:\n{output[-3000:]}"
    output, _, peak = output.rstrip().rpartition("\n")
    return output, int(peak) / 1024


def _baseline() -> float:
    """Memory peak of the same child reading a small local file."""
    with tempfile.TemporaryDirectory(prefix="observatoire-registre-") as folder:
        path = Path(folder) / "registre.csv"
        path.write_bytes(REGISTRY)
        return _child(FETCH, "membres", str(path))[1]


class _Sent:
    """Bytes an answer function wrote before the client went away."""

    def __init__(self) -> None:
        self.bytes = 0


def _endless(sent: _Sent, chunk: bytes, stop_after: int, headers: dict[str, str]):
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        try:
            while sent.bytes < stop_after:  # a guard for the old code, which read it all
                handler.wfile.write(chunk)
                sent.bytes += len(chunk)
        except OSError:  # the client stopped reading
            pass

    return answer


@pytest.mark.slow
def test_an_endless_body_stops_at_the_sources_limit():
    """A body with no length that never ends (here: 600 MB, the guard of the old code, which
    read it all) is cut at the spec's ``max_bytes`` (lowered to 20 MB by the installation's
    config), in bounded memory."""
    sent = _Sent()
    line = b"x;" * 511 + b"\n"
    answer = _endless(sent, line * 1024, 600 * 1024**2, {"Content-Type": "text/csv"})
    with serve(Script(answer)) as url:
        output, peak = _child(
            FETCH, "membres", f"{url}/registre.csv", config="[membres]\nmax_bytes = 20_000_000\n"
        )
    baseline = _baseline()
    print(
        f"corps sans fin : {sent.bytes / 1e6:.0f} Mo envoyés, "
        f"pic {peak:.0f} Mo, base {baseline:.0f}"
    )
    assert output.startswith("refusé"), output
    assert "plus gros que la limite de la source (19\u202fMo, max_bytes" in output, output
    assert sent.bytes < 40 * 1024**2, "the server's sending stopped soon after the limit"
    assert peak - baseline < 100, f"memory peak {peak:.0f} MB (baseline {baseline:.0f} MB)"


@pytest.mark.slow
def test_a_gzip_bomb_stops_at_the_sources_limit():
    """A gzip-encoded body of 0.5 MB that inflates to 512 MiB: refused at the default limit
    (200 MiB decompressed), in bounded memory (the old code held all of it, twice)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024**2)
    bomb = b"".join(compressor.compress(zeros) for _ in range(512)) + compressor.flush()
    assert zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(bomb, 4096) == bytes(4096)
    script = Script((200, bomb, {"Content-Encoding": "gzip"}))
    with serve(script) as url:
        output, peak = _child(FETCH, "membres", f"{url}/registre.csv")
    baseline = _baseline()
    print(
        f"bombe gzip : {len(bomb) / 1e6:.1f} Mo → 512 Mio, pic {peak:.0f} Mo, base {baseline:.0f}"
    )
    assert output.startswith("refusé"), output
    assert "plus gros que la limite de la source (200\u202fMo" in output, output
    assert peak - baseline < 400, f"memory peak {peak:.0f} MB (baseline {baseline:.0f} MB)"


# A child process receives a location as the refresh's « recevoir » task does (fetch, then land
# in $OBSERVATOIRE_HOME), and prints what it landed, then its memory peak.
RECEIVE = textwrap.dedent(
    """
    import sys
    from flows.connector import FetchError
    from flows.pipeline import receive

    try:
        print("reçu", sum(f.size for f in receive.fn(sys.argv[1], sys.argv[2])), flush=True)
    except FetchError as error:
        print("refusé", error, flush=True)
    """
)


def _csv_like(size: int) -> bytes:
    """``size`` bytes of registry-like rows (gzip makes them about 6 times smaller)."""
    rows = b"".join(
        b"M%06d;Commune %d;collectivite;%d;84\n" % (i, i * 7, i % 97) for i in range(20_000)
    )
    return (rows * (size // len(rows) + 1))[:size]


@pytest.mark.slow
def test_a_gzip_body_is_streamed_to_the_landing_in_bounded_memory(tmp_path, monkeypatch):
    """A gzip-encoded body that inflates to just under the source's limit (64 MiB here) lands
    whole, one just over it and a bomb (0.5 MB → 512 MiB) are refused, each in a few megabytes
    of memory: the body is inflated a megabyte at a time and written to the landing, never held
    (before: the whole body, 1.05 times the limit, and 255 MB for the bomb at a 100 MiB limit)."""
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(tmp_path))
    limit = 64 * 1024**2
    config = f"[membres]\nmax_bytes = {limit}\n"
    under, over = _csv_like(limit - 1024**2), _csv_like(limit + 1024**2)
    bomb = gzip.compress(bytes(512 * 1024**2), 9)
    small = tmp_path / "petit.csv"
    small.write_bytes(REGISTRY)
    baseline = _child(RECEIVE, "membres", str(small), config=config)[1]
    script = Script(
        (200, gzip.compress(under), {"Content-Encoding": "gzip"}),
        (200, gzip.compress(over), {"Content-Encoding": "gzip"}),
        (200, bomb, {"Content-Encoding": "gzip"}),
    )
    peaks = {}
    with serve(script) as url:
        for name in ("sous", "dessus", "bombe"):
            output, peak = _child(RECEIVE, "membres", f"{url}/{name}.csv", config=config)
            peaks[name] = peak - baseline
            print(f"gzip {name} : {output[:60]}, pic {peaks[name]:.0f} Mo au-dessus de la base")
            assert output.startswith(f"reçu {len(under)}" if name == "sous" else "refusé"), output
    landed = [p for p in (tmp_path / "landing").rglob("*") if p.is_file()]
    assert sorted(p.stat().st_size for p in landed) == sorted([len(REGISTRY), len(under)])
    assert max(peaks.values()) < 16, peaks


def test_an_announced_length_over_the_limit_is_refused_before_reading():
    script = Script((200, REGISTRY))
    with serve(script) as url, pytest.raises(FetchError, match="limite de la source") as failed:
        remote.read(f"{url}/registre.csv", max_bytes=1000)
    assert "annoncés" in str(failed.value) and not failed.value.transient


def test_a_local_file_over_the_limit_is_refused(tmp_path):
    path = tmp_path / "registre.csv"
    path.write_bytes(REGISTRY)
    with pytest.raises(FetchError, match="limite de la source"):
        remote.read(str(path), max_bytes=1000)


def _drip(handler: BaseHTTPRequestHandler) -> None:
    """A byte every 0.5 s, for ever: each read is quick, the download never ends."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/csv")
    handler.end_headers()
    try:
        for _ in range(10_000):
            handler.wfile.write(b"x")
            handler.wfile.flush()
            time.sleep(0.5)
    except OSError:
        pass


@pytest.mark.slow
def test_a_dripping_server_meets_the_download_deadline():
    """One byte every 0.5 s never trips a read timeout (60 s); the spec's ``deadline_s`` (3 s
    here, set by the installation's config) ends the whole download."""
    with serve(Script(_drip)) as url:
        output, _ = _child(
            FETCH,
            "membres",
            f"{url}/registre.csv",
            config="[membres]\ndeadline_s = 3\n",
            timeout=60,
        )
    assert output.startswith("refusé"), output
    assert "téléchargement plus long que 3 s (deadline_s" in output, output
    seconds = float(output.split()[-2])
    print(f"serveur goutte à goutte : arrêté après {seconds} s")
    assert seconds < 6


def test_limits_are_read_from_the_spec_and_its_overrides():
    text = (ROOT / "flows" / "sources" / "membres.yaml").read_text(encoding="utf-8")
    spec = parse("membres", text)
    assert (spec.max_bytes, spec.deadline_s, spec.min_rows_share) == (200 * 1024**2, 900.0, 0.5)
    spec = parse("membres", text, {"max_bytes": 10, "deadline_s": 2, "min_rows_share": 0})
    assert (spec.max_bytes, spec.deadline_s, spec.min_rows_share) == (10, 2.0, 0.0)
    assert SOURCES["consommation"].spec.max_bytes == 4 * 1024**3, "1 GB today, 2 GB at 2x"


def _xlsx_bomb(path: Path, unpacked: int) -> None:
    """A real workbook (xlsxwriter) whose sheet is rewritten as ``unpacked`` bytes of rows."""
    import xlsxwriter

    small = path.with_suffix(".petit.xlsx")
    book = xlsxwriter.Workbook(str(small))
    book.add_worksheet().write_row(0, 0, ["code", "nom"])
    book.close()
    row = b'<row><c t="inlineStr"><is><t>x</t></is></c><c t="inlineStr"><is><t>y</t></is></c></row>'
    block = row * (1024**2 // len(row))
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, source.read(item))
                continue
            head, _, tail = source.read(item).partition(b"<sheetData>")
            with out.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(head + b"<sheetData>")
                for _ in range(unpacked // len(block)):
                    sheet.write(block)
                sheet.write(b"</sheetData>" + tail.partition(b"</sheetData>")[2])


READ_XLSX = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from flows.tabular import read_text_table
    from schemas.check import ContractError

    try:
        print("lu", read_text_table(Path(sys.argv[1]), "bombe.xlsx").height, flush=True)
    except ContractError as error:
        print("refusé", error, flush=True)
    """
)


@pytest.mark.slow
def test_an_xlsx_that_unpacks_beyond_the_limit_is_refused_before_it_is_read(tmp_path):
    """A 1 MB workbook whose sheet unpacks to 600 MiB (over the 512 MiB cap): refused from its
    zip directory, before polars and fastexcel inflate it (1 GB took 1.8 GB of memory)."""
    path = tmp_path / "bombe.xlsx"
    _xlsx_bomb(path, 600 * 1024**2)
    output, peak = _child(READ_XLSX, str(path), timeout=300)
    small = tmp_path / "registre.csv"
    small.write_bytes(REGISTRY)
    baseline = _child(READ_XLSX, str(small))[1]
    print(
        f"XLSX : {path.stat().st_size / 1e6:.1f} Mo → 600 Mio, "
        f"pic {peak:.0f} Mo, base {baseline:.0f}"
    )
    assert output.startswith("refusé"), output
    assert "une fois décompressé, au-delà de la limite de 512 Mo" in output, output
    assert peak - baseline < 100, f"memory peak {peak:.0f} MB (baseline {baseline:.0f} MB)"


# --- 4. a load far smaller than the last published one ----------------------------------------


def _first_rows(n: int) -> bytes:
    lines = REGISTRY.decode("utf-8-sig").splitlines()
    return ("\n".join(lines[: n + 1]) + "\n").encode()


@pytest.mark.slow
def test_a_load_under_half_the_last_published_one_is_refused(
    published_copy, prefect_harness, tmp_path, monkeypatch
):
    """The registry at the same address, cut from 293 members to 100: refused like too many
    rejects, the published rows stay; the spec's ``min_rows_share`` at 0 lets it through. A file
    from elsewhere (a smaller extract) is another extent: not compared."""
    import duckdb

    home = published_copy
    path = tmp_path / "registre.csv"
    path.write_bytes(_first_rows(293))
    refresh(locations={"membres": str(path)}, sources=["membres"])
    path.write_bytes(_first_rows(100))
    with pytest.raises(RefreshFailed) as failed:
        refresh(locations={"membres": str(path)}, sources=["membres"])
    assert (
        "100 ligne(s) acceptée(s), moins de 50,0\u202f% des 293 du dernier chargement publié"
        in (failed.value.reason)
    )
    with duckdb.connect(str(home.public), read_only=True) as con:
        assert con.execute("select count(*) from membres").fetchone()[0] == 293

    elsewhere = tmp_path / "extrait.csv"
    elsewhere.write_bytes(_first_rows(100))
    report = refresh(locations={"membres": str(elsewhere)}, sources=["membres"])
    assert [(s.status, s.rows_accepted) for s in report.sources] == [("chargé", 100)]

    spec = SOURCES["membres"].spec
    monkeypatch.setitem(SOURCES["membres"].__dict__, "spec", replace(spec, min_rows_share=0.0))
    report = refresh(locations={"membres": str(path)}, sources=["membres"])
    assert [(s.status, s.rows_accepted) for s in report.sources] == [("chargé", 100)]


# --- 9. a killed refresh and its temporary Prefect server --------------------------------------


def _servers(pid: int) -> list[psutil.Process]:
    """The temporary Prefect servers among ``pid``'s descendants."""
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [p for p in children if "prefect.server.api.server:create_app" in " ".join(p.cmdline())]


@pytest.mark.slow
def test_a_killed_refresh_leaves_no_prefect_server_running(tmp_path):
    """A refresh with no durable Prefect server starts a temporary one; killed while it
    downloads, it leaves none behind (each killed refresh used to leave one running)."""
    arrived, release = threading.Event(), threading.Event()

    def stall(handler: BaseHTTPRequestHandler) -> None:
        arrived.set()
        release.wait(120)

    env = {
        k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") or k == "PREFECT_HOME"
    }
    env.pop("PREFECT_HOME", None)
    env |= {"OBSERVATOIRE_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    server: list[psutil.Process] = []
    with serve(Script(stall)) as url:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "observatoire.cli",
                "refresh",
                "--source",
                "membres",
                "--from",
                f"membres={url}/registre.csv",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "refresh.log").open("w"),
        )
        try:
            deadline = time.monotonic() + 300
            while not arrived.is_set():
                assert child.poll() is None, (tmp_path / "refresh.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "the refresh never downloaded"
                time.sleep(0.2)
            server = _servers(child.pid)
            assert len(server) == 1, "a temporary Prefect server runs under the refresh"
            child.send_signal(signal.SIGKILL)
            child.wait(30)
            _, alive = psutil.wait_procs(server, timeout=15)
            print(f"SIGKILL : serveur Prefect {server[0].pid} arrêté : {not alive}")
            assert not alive, "the temporary server stopped with its refresh"
        finally:
            release.set()
            child.kill()
            for process in server:  # the old code left it: do not leave it to the machine
                if process.is_running():
                    process.kill()


@pytest.mark.slow
def test_status_after_a_kill_during_publication_is_not_complete(
    published_copy, prefect_harness, tmp_path
):
    """Killed while publishing: ``status`` names the run interrupted, not « complet »."""
    from observatoire.cli import app
    from tests.test_process_faults import _kill_at, _registry_without_last

    home = published_copy
    registry = tmp_path / "registre.csv"
    registry.write_bytes(_registry_without_last(10))
    _kill_at(home, "publication", str(registry), lambda pid: False)
    result = CliRunner().invoke(app, ["status"], env={"OBSERVATOIRE_HOME": str(home.root)})
    print(result.output)
    last = next(line for line in result.output.splitlines() if line.startswith("Dernier"))
    assert "complet" not in last
    assert "interrompu (membres jamais notés publiés)" in last
    assert Home(home.root).public.exists()
