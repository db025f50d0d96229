"""Atomic publish: readers never fail nor see half a file; a killed refresh changes nothing."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime

import duckdb
import pytest
from prefect.settings import PREFECT_API_URL

from flows.refresh import refresh
from flows.sources import SOURCES
from warehouse import internal
from warehouse.publish import clean_stale, publish

READER = textwrap.dedent(
    """
    import json, os, sys, duckdb
    path, stop, hold = sys.argv[1], sys.argv[2], sys.argv[3] == "hold"

    def connect():
        con = duckdb.connect(path, read_only=True)
        # a read slower than 2 s on a busy machine would print DuckDB's progress bar on stdout
        con.execute("set enable_progress_bar = false")
        return con

    # A held connection keeps reading the file it opened, even once replaced; while it is open,
    # DuckDB hands the same instance to new connections of this process, so hold in its own.
    held = connect() if hold else None
    seen, errors, reads = set(), [], 0
    while not os.path.exists(stop):
        try:
            con = held or connect()
            version, rows = con.execute(
                "select (select id_execution from publication), count(*) from t"
            ).fetchone()
            if rows != int(version) * 1000:
                errors.append(f"version {version} with {rows} rows")
            if version not in seen:
                print(version, flush=True)  # the test waits for the last version to be seen
            seen.add(version)
            reads += 1
            if con is not held:
                con.close()
        except Exception as error:
            errors.append(repr(error))
    print(json.dumps({"seen": sorted(seen), "errors": errors, "reads": reads}))
    """
)


def _warehouse_with(con: duckdb.DuckDBPyConnection, version: int) -> None:
    con.execute(
        f"create or replace table marts.t as select range as i from range({version * 1000})"
    )


def _until_seen(reader: subprocess.Popen, version: str) -> None:
    """Read what ``reader`` prints (each version it sees for the first time) up to ``version``."""
    for line in reader.stdout:
        if line.strip() == version:
            return


@pytest.mark.slow
def test_readers_never_fail_while_refreshes_publish(home):
    """20 reader processes (half holding one connection, half reopening) while 5 publishes
    replace the file: no reader error, every read a complete version."""
    stop = home.root / "stop"
    try:  # the readers stop even when a step below fails: else they would read forever
        with internal.connect(home.warehouse) as con:
            _warehouse_with(con, 1)
            publish(con, home.public, "1", datetime.now(UTC))
            readers = [
                subprocess.Popen(
                    [sys.executable, "-c", READER, str(home.public), str(stop), mode],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for mode in ["hold"] * 10 + ["reopen"] * 10
            ]
            for reader in readers:  # every reader has read version 1 before the first publish
                assert reader.stdout.readline().strip() == "1"
            for version in range(2, 7):
                _warehouse_with(con, version)
                publish(con, home.public, str(version), datetime.now(UTC))
                time.sleep(0.5)
        # stop once every reopening reader has seen the last version, however busy the host
        waiting = [threading.Thread(target=_until_seen, args=(r, "6")) for r in readers[10:]]
        for thread in waiting:
            thread.start()
        for thread in waiting:
            thread.join(timeout=120)
    finally:
        stop.touch()
    assert not any(t.is_alive() for t in waiting), "a reopening reader never saw version 6"
    results = [json.loads(r.communicate(timeout=120)[0].splitlines()[-1]) for r in readers]
    assert [r["errors"] for r in results] == [[]] * 20
    assert [r["seen"] for r in results[:10]] == [["1"]] * 10
    assert all(len(r["seen"]) >= 2 and r["seen"][-1] == "6" for r in results[10:]), results
    assert not list(home.root.glob(".public-*")), "no temporary file left behind"
    assert not (home.root / "public.duckdb.wal").exists()


@pytest.mark.slow
def test_refresh_killed_while_publishing_leaves_previous_file(published_copy, prefect_harness):
    home = published_copy
    before = hashlib.sha256(home.public.read_bytes()).hexdigest()
    env = {**os.environ, "OBSERVATOIRE_HOME": str(home.root)}
    env["PREFECT_API_URL"] = PREFECT_API_URL.value()  # the harness's server, already up
    child = subprocess.Popen(  # forced: with nothing changed, a refresh publishes nothing
        [sys.executable, "-m", "observatoire.cli", "refresh", "--force"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(home.root / "child.log").open("w"),
    )
    deadline = time.monotonic() + 240
    while not list(home.root.glob(".public-*.duckdb")) and child.poll() is None:
        assert time.monotonic() < deadline, "the refresh never reached its publish step"
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "killed before it could finish"

    assert hashlib.sha256(home.public.read_bytes()).hexdigest() == before
    with duckdb.connect(str(home.public), read_only=True) as con:
        assert con.execute("select count(*) from communes").fetchone()[0] == 34875
    leftovers = list(home.root.glob(".public-*"))
    assert leftovers, "the kill left a partial build, which the next run must clean"

    report = refresh()
    assert {s.status for s in report.sources} == {"chargé"}, "the killed run's loads are redone"
    assert not list(home.root.glob(".public-*"))
    with duckdb.connect(str(home.public), read_only=True) as con:
        statuses = con.execute(
            "select statut, count(*) from executions group by 1 order by 1"
        ).fetchall()
    runs = len(SOURCES)
    assert statuses == [("interrompu", runs), ("succès", 2 * runs)]


def test_clean_stale_removes_orphan_wal(home):
    (home.root / "public.duckdb.wal").write_bytes(b"orphan")
    (home.root / ".public-abc.duckdb.wal").write_bytes(b"orphan")
    removed = clean_stale(home.public)
    assert sorted(p.name for p in removed) == [".public-abc.duckdb.wal", "public.duckdb.wal"]
