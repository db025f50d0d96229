"""The dashboard served by two Streamlit processes behind the real HAProxy
(``observatoire dashboard --workers 2``), read over real websockets as a browser reads it:
readers keep loading pages while a publication replaces the public file, both workers get
sessions, and Ctrl-C stops HAProxy and every worker."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime

import duckdb
import psutil
import pytest

from dashboard import workers, wsclient
from dashboard.running import closed, running
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
