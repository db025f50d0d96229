"""The dashboard served by two Streamlit processes behind the real HAProxy
(``observatoire dashboard --workers 2``), read over real websockets as a browser reads it:
readers keep loading pages while a publication replaces the public file, both workers get
sessions, and Ctrl-C stops HAProxy and every worker; and the several-hosts recipe of deploy/."""

from __future__ import annotations

import asyncio
import re
import resource
import shutil
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psutil
import pytest

from dashboard import workers, wsclient
from dashboard.running import closed, free_ports, running
from warehouse.publish import publish

pytestmark = pytest.mark.slow


@pytest.fixture
def pool(published_copy, tmp_path):
    with running(published_copy.root, workers=2, log=tmp_path / "dashboard.log") as served:
        yield served.url, served.port, served.process


def test_readers_keep_working_while_a_refresh_publishes(pool, published_copy):
    url, port, _ = pool
    published = threading.Event()
    before = published_copy.public.stat().st_ino

    async def reader() -> list[wsclient.Reader]:
        sessions = [await wsclient.read(url)]
        while not published.is_set():
            sessions.append(await wsclient.read(url))
        sessions.append(await wsclient.read(url))  # a whole session on the new file
        return sessions

    async def readers() -> list[wsclient.Reader]:
        done = await asyncio.gather(*(reader() for _ in range(6)))
        return [session for sessions in done for session in sessions]

    sessions: list[wsclient.Reader] = []
    thread = threading.Thread(target=lambda: sessions.extend(asyncio.run(readers())))
    thread.start()
    time.sleep(2)  # readers in the middle of their pages
    with duckdb.connect(published_copy.warehouse) as con:
        publish(con, published_copy.public, "nouvelle", datetime.now(UTC))
    published.set()
    thread.join(timeout=300)

    assert published_copy.public.stat().st_ino != before
    runs = [run for session in sessions for run in session.runs]
    assert [r for r in runs if r.error] == []
    assert len(runs) >= 6 * 2 * len(wsclient.PAGES)
    # each worker served sessions, and kept each one (the affinity cookie names its worker)
    assert {s.worker for s in sessions} == {f"w{port + 1}", f"w{port + 2}"}


def test_ctrl_c_stops_haproxy_and_every_worker(pool):
    _, port, process = pool
    children = psutil.Process(process.pid).children(recursive=True)
    assert sorted(c.name() for c in children).count("haproxy") == 1
    assert len(children) >= 3

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    assert all(closed(p) for p in (port, port + 1, port + 2))


def test_a_killed_worker_is_started_again_and_readers_move_on(pool):
    url, port, process = pool
    time.sleep(max(0.0, workers.STEADY_S + 1 - (time.monotonic() - pool_started(process))))
    victim = next(c for c in psutil.Process(process.pid).children() if f"{port + 1}" in c.cmdline())
    victim.kill()  # as the kernel's out-of-memory killer would

    # HAProxy sends every reader to the worker left (its check marks the dead one down)
    readers = asyncio.run(_sessions(url, 4))
    assert [r for reader in readers for r in reader.runs if r.error] == []
    deadline = time.monotonic() + 120
    while closed(port + 1):
        assert time.monotonic() < deadline, "the killed worker was not started again"
        time.sleep(0.5)
    assert process.poll() is None


async def _sessions(url: str, count: int) -> list[wsclient.Reader]:
    return await asyncio.gather(*(wsclient.read(url) for _ in range(count)))


def pool_started(process: subprocess.Popen) -> float:
    """When the command started, on the monotonic clock."""
    age = time.time() - psutil.Process(process.pid).create_time()
    return time.monotonic() - age


RECIPE = Path(__file__).parents[1] / "deploy" / "haproxy.cfg"


def _front_config(front: int, servers: list[tuple[str, int]]) -> str:
    """deploy/haproxy.cfg as the front host installs it, bound to 127.0.0.1:``front`` and pointed
    at ``servers``, without the syslog socket and the haproxy user a test machine may lack, and
    within its limit of open files (a front host's HAProxy, started as root, raises its own: the
    recipe's 20,000 connections need 40,019 descriptors)."""
    text = RECIPE.read_text()
    assert "    maxconn 20000\n" in text
    files = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if files != resource.RLIM_INFINITY:
        fitting = min(20000, (files - 100) // 2)
        text = text.replace("    maxconn 20000\n", f"    maxconn {fitting}\n")
    for line in ("    log /dev/log local0 notice\n", "    user haproxy\n", "    group haproxy\n"):
        assert line in text, line
        text = text.replace(line, "")
    assert "    bind :80\n" in text
    text = text.replace("    bind :80\n", f"    bind 127.0.0.1:{front}\n")
    lines = re.findall(r"^    server .*\n", text, flags=re.M)
    assert len(lines) == 4, "the recipe's four example workers"
    ours = [f"    server w{port} {host}:{port} cookie w{port}\n" for host, port in servers]
    return text.replace("".join(lines), "".join(ours))


def test_the_several_hosts_recipe_serves_readers_from_every_host(published, tmp_path, monkeypatch):
    """deploy/: workers on two hosts (here two loopback addresses) reading one published file,
    with the same cookie secret, behind HAProxy configured by the recipe: readers get every page
    with no error, spread over both hosts, each kept on its worker by the recipe's cookie."""
    monkeypatch.setenv("STREAMLIT_SERVER_COOKIE_SECRET", "0123456789abcdef" * 4)
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    with (
        running(published.root, host="127.0.0.2", log=tmp_path / "a.log") as a,
        running(published.root, host="127.0.0.3", log=tmp_path / "b.log") as b,
    ):
        front = free_ports()
        config = tmp_path / "haproxy.cfg"
        config.write_text(_front_config(front, [("127.0.0.2", a.port), ("127.0.0.3", b.port)]))
        checked = subprocess.run([haproxy, "-c", "-q", "-f", str(config)], capture_output=True)
        assert checked.returncode == 0, checked.stderr.decode()
        proxy = subprocess.Popen([haproxy, "-db", "-f", str(config)], stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{front}"
            deadline = time.monotonic() + 30
            while closed(front):
                assert time.monotonic() < deadline and proxy.poll() is None, "HAProxy"
                time.sleep(0.2)
            readers = asyncio.run(_sessions(url, 8))
        finally:
            proxy.terminate()
            proxy.wait(timeout=20)
    runs = [run for reader in readers for run in reader.runs]
    assert len(runs) == 8 * len(wsclient.PAGES) and [r for r in runs if r.error] == []
    assert {reader.worker for reader in readers} == {f"w{a.port}", f"w{b.port}"}
