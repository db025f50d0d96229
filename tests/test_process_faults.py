"""Process faults against a real `observatoire refresh` process: killed (SIGKILL) at each step,
or out of disk space. The published file keeps serving its data, no landed file is lost, and the
next refresh cleans what the dead one left and succeeds."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb
import pytest
from prefect.settings import PREFECT_API_URL

from flows.demo import membres as demo
from flows.refresh import refresh
from tests.http_fixture import Script, serve
from warehouse.paths import Home

# each test runs whole refreshes, in a child process that is killed or on a filled volume
pytestmark = pytest.mark.slow

# The real command line, stopped at one named step until it is killed: the step's function is
# replaced by one that writes the marker file and sleeps. Test code only; nothing in production.
STOPPED_CLI = textwrap.dedent(
    """
    import os, sys, time, types
    from pathlib import Path

    import flows.sources.membres, warehouse.audit, warehouse.landing, warehouse.objectifs
    import warehouse.publish
    from observatoire.cli import app

    step, marker = sys.argv[1], Path(sys.argv[2])

    def stop(*args, **kwargs):
        marker.write_text(step)
        time.sleep(600)

    def os_stopped_at_replace(swaps_before: int):
        \"\"\"``os`` whose ``replace`` lets ``swaps_before`` calls through, then stops.\"\"\"
        done = []

        def replace(*args):
            if len(done) == swaps_before:
                stop()
            done.append(args)
            os.replace(*args)

        return types.SimpleNamespace(**{**vars(os), "replace": replace})

    where = {  # (module, attribute, replacement)
        "téléchargement": None,  # stopped by the HTTP server itself
        # file written, not yet renamed into place
        "atterrissage": (warehouse.landing, "os", os_stopped_at_replace(0)),
        # file read, contract being applied
        "validation": (flows.sources.membres, "check_table", stop),
        # staging replaced, not committed
        "chargement": (warehouse.audit, "record_staged", stop),
        # marts rebuilt, not committed
        "marts": (warehouse.objectifs, "build", stop),
        # new partner file complete, not swapped in
        "publication": (warehouse.publish, "os", os_stopped_at_replace(0)),
        # partner file swapped in, new public file complete, not swapped in
        "entre les deux fichiers": (warehouse.publish, "os", os_stopped_at_replace(1)),
        # both swapped in, the run not yet recorded as published
        "après la substitution": (warehouse.audit, "mark_published", stop),
    }[step]
    if where:
        module, name, replacement = where
        setattr(module, name, replacement)
    sys.argv = ["observatoire", *sys.argv[3:]]
    app()
    """
)
STEPS = [
    "téléchargement",
    "atterrissage",
    "validation",
    "chargement",
    "marts",
    "publication",
    "entre les deux fichiers",
    "après la substitution",
]
SWAPPED = {"entre les deux fichiers": "partenaires", "après la substitution": "both"}


# the objectives count member territories; each territory lists its members
MEMBERS_TABLES = ("membres", "objectifs", "territoires_membres")


def _registry_without_last(members: int) -> bytes:
    lines = demo.csv_bytes().decode("utf-8-sig").splitlines()
    return ("\n".join(lines[:-members]) + "\n").encode()


@dataclass(frozen=True)
class Published:
    """What a reader of the public file sees, and what the landing holds."""

    sha256: str
    publication: str
    partners: str  # the run that published the partner file beside it
    tables: dict[str, tuple[int, int]]  # rows and an order-free digest, run records aside
    landing: dict[str, str]  # landed path -> sha256 of its bytes

    @classmethod
    def of(cls, home: Home) -> Published:
        with duckdb.connect(str(home.public), read_only=True) as con:
            publication = con.execute("select id_execution from publication").fetchone()[0]
            names = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
            tables = {
                t: con.execute(f'select count(*), sum(hash(x)) from "{t}" as x').fetchone()
                for t in names
                if t not in ("executions", "publication", "sources")
            }
        landing = {
            str(p.relative_to(home.landing)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in home.landing.rglob("*")
            if p.is_file() and not p.name.startswith(".")
        }
        with duckdb.connect(str(home.partenaires), read_only=True) as con:
            partners = con.execute("select id_execution from publication").fetchone()[0]
        digest = hashlib.sha256(home.public.read_bytes()).hexdigest()
        return cls(digest, publication, partners, tables, landing)

    def lost_files(self, later: Published) -> list[str]:
        return [p for p, digest in self.landing.items() if later.landing.get(p) != digest]


def _beyond_members(published: Published) -> dict[str, tuple[int, int]]:
    """Tables that do not depend on the member registry."""
    return {t: v for t, v in published.tables.items() if not t.startswith(MEMBERS_TABLES)}


def _leftovers(home: Home) -> list[str]:
    """Files a refresh in progress or killed may leave: temporary builds, partial landings, WAL."""
    found = [*home.root.glob(".public-*"), *home.root.glob(".partenaires-*")]
    found += [*home.landing.rglob(".*.partial")]
    found += [p for p in home.root.glob("*.wal")]
    return sorted(str(p.relative_to(home.root)) for p in found)


def _refresh_args(location: str) -> list[str]:
    return ["refresh", "--from", f"membres={location}", "--source", "membres"]


def _child_env(home: Home) -> dict[str, str]:
    env = {**os.environ, "OBSERVATOIRE_HOME": str(home.root)}
    env["PREFECT_API_URL"] = PREFECT_API_URL.value()  # the harness's server, already up
    return env


def _holds(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open."""
    try:
        return any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # a descriptor closed while listed
        return False


def _kill_at(home: Home, step: str, location: str, reached: Callable[[int], bool]) -> None:
    """Run the refresh of ``location`` stopped at ``step``; SIGKILL it once its marker file is
    written, or ``reached(pid)``."""
    marker = home.root.parent / f"arrivé-{STEPS.index(step)}"
    log = home.root.parent / f"refresh-{STEPS.index(step)}.log"
    child = subprocess.Popen(
        [sys.executable, "-c", STOPPED_CLI, step, str(marker), *_refresh_args(location)],
        env=_child_env(home),
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    deadline = time.monotonic() + 300
    while not (marker.exists() or reached(child.pid)):
        assert child.poll() is None, f"ended before « {step} » :\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"never reached « {step} »"
        time.sleep(0.05)
    time.sleep(1)  # nothing moves meanwhile: the child sleeps, or waits for the HTTP server
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL


def test_refresh_killed_at_every_step_loses_nothing(published_copy, prefect_harness, tmp_path):
    """Eight refreshes of a new registry, each killed with SIGKILL at a later step; after each,
    the public file opens and serves a complete version and no landed file is lost. The refresh
    after them cleans every leftover and publishes the new registry."""
    home = published_copy
    registry = tmp_path / "registre.csv"
    registry.write_bytes(_registry_without_last(10))
    first = Published.of(home)
    assert first.tables["membres"][0] == 293

    arrived, release = threading.Event(), threading.Event()

    def stall(handler: BaseHTTPRequestHandler) -> None:
        """Send half the file, then hold the connection until the client is dead."""
        data = registry.read_bytes()
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data[: len(data) // 2])
        handler.wfile.flush()
        arrived.set()
        release.wait(60)

    survived, leftovers = [], {}
    with serve(Script(stall)) as url:
        for step in STEPS:
            if step == "téléchargement":  # half received, the run recorded in the warehouse
                _kill_at(
                    home,
                    step,
                    f"{url}/registre.csv",
                    lambda pid: arrived.is_set() and _holds(pid, home.warehouse),
                )
            else:
                _kill_at(home, step, str(registry), lambda pid: False)
            leftovers[step] = _leftovers(home)
            now = Published.of(home)  # opens read-only: no stale WAL stops it
            assert not first.lost_files(now), f"landed files lost at « {step} »"
            # the partner file is swapped in first, then the public one
            assert (now.partners != first.partners) == (step in SWAPPED), step
            if SWAPPED.get(step) == "both":  # the new version is complete and served
                assert now.publication == now.partners != first.publication
                assert now.tables["membres"][0] == 283
                assert _beyond_members(now) == _beyond_members(first)
            else:
                assert (now.sha256, now.publication) == (first.sha256, first.publication), step
                assert now.tables == first.tables
            survived.append(step)
        release.set()

    # what each kill left for the next run to clean (stale lock aside: the kernel frees flock)
    assert any(".partial" in f for f in leftovers["atterrissage"]), leftovers
    assert any(f.startswith(".partenaires-") for f in leftovers["publication"]), leftovers
    assert any(f.startswith(".public-") for f in leftovers["entre les deux fichiers"]), leftovers
    assert (home.lock).read_text().strip().isdigit(), "the dead process's pid is in the lock"

    report = refresh(locations={"membres": str(registry)}, sources=["membres"])
    assert [(s.source, s.status, s.rows_accepted) for s in report.sources] == [
        ("membres", "chargé", 283)
    ]
    last = Published.of(home)
    assert _leftovers(home) == [], "stale temporary files, partial landings and WAL cleaned"
    assert home.lock.read_text() == "", "the lock is free again"
    assert not first.lost_files(last)
    assert last.tables["membres"][0] == 283
    assert last.publication == last.partners == report.run_id
    assert _beyond_members(last) == _beyond_members(first), "the rest publishes the same rows"
    with duckdb.connect(str(home.public), read_only=True) as con:
        killed = con.execute(
            "select count(*) from executions where source = 'membres' and statut = 'interrompu'"
        ).fetchone()[0]
    assert killed == len(STEPS) and survived == STEPS


# --- a full disk ---------------------------------------------------------------------------------


@pytest.fixture
def small_volume(published, tmp_path, monkeypatch) -> Home:
    """A copy of the published home on its own tmpfs, as large as what it holds plus room for
    a new open data package and 512 MiB (a refresh needs about 400 MB more besides: a new public
    file, the warehouse's new marts, and the package's long CSVs, uncompressed while the gzip of
    one overlaps the writing of the next): root may mount it, as on CI."""
    root = tmp_path / "petit-volume"
    root.mkdir()
    files = [published.public, published.partenaires, published.warehouse]
    files += published.landing.rglob("*")
    package = sum(
        (Path(folder) / name).stat().st_size
        for folder, _, names in os.walk(published.static)
        for name in names
    )
    size = sum(f.stat().st_size for f in files if f.is_file()) + 2 * package + (512 << 20)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(root)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode:
        pytest.skip(f"tmpfs impossible à monter ici (root requis) : {mounted.stderr.strip()}")
    try:
        shutil.copy2(published.public, root)
        shutil.copy2(published.partenaires, root)
        shutil.copy2(published.warehouse, root)
        shutil.copytree(published.landing, root / "landing")
        shutil.copytree(published.static, root / "static", symlinks=True)
        monkeypatch.setenv("OBSERVATOIRE_HOME", str(root))
        yield Home(root)
    finally:
        subprocess.run(["umount", "--lazy", str(root)], check=True)


def _fill(root: Path, keep: int) -> Path:
    """Take the volume's free space but ``keep`` bytes."""
    filler = root / "remplissage"
    with filler.open("wb") as handle:
        os.posix_fallocate(handle.fileno(), 0, shutil.disk_usage(root).free - keep)
    return filler


# A registry change rebuilds only the marts it reaches (a few MB): between staging and the
# publish there is no room left to fill, so the marts' own failure path is exercised by the
# kill at every step above, and a full disk here stops the run at the start or at the publish.
@pytest.mark.parametrize(
    ("keep", "step"),
    [(0, None), (12 << 20, "publication"), (80 << 20, "publication")],
    ids=["plein-au-depart", "presque-plein", "plein-pendant-la-publication"],
)
def test_full_disk_fails_cleanly_and_the_next_refresh_succeeds(
    small_volume, prefect_harness, tmp_path, keep, step
):
    home = small_volume
    registry = tmp_path / "registre.csv"
    registry.write_bytes(_registry_without_last(10))
    first = Published.of(home)
    filler = _fill(home.root, keep)
    run = subprocess.run(
        [sys.executable, "-m", "observatoire.cli", *_refresh_args(str(registry))],
        env=_child_env(home),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 1, run.stderr[-3000:]
    message = run.stderr[run.stderr.index("Échec du rafraîchissement") :]
    assert re.search(rf"disque plein : il reste \d+ Mo sur le volume de {home.root} ;", message)
    assert "reste en service, inchangé" in message
    if step:  # with no room at all, the run stops as it takes the lock, before any step
        assert f"étape {step} : " in message
    now = Published.of(home)
    assert (now.sha256, now.tables) == (first.sha256, first.tables)
    assert not first.lost_files(now)
    assert not [f for f in _leftovers(home) if not f.endswith(".wal")], "no temporary file left"

    filler.unlink()  # room again: the warehouse the failed run wrote to still loads and publishes
    report = refresh(locations={"membres": str(registry)}, sources=["membres"])
    assert [(s.source, s.rows_accepted) for s in report.sources] == [("membres", 283)]
    assert Published.of(home).tables["membres"][0] == 283
    assert _leftovers(home) == []
