"""Shared fixtures: an isolated Prefect, and one real refresh whose published file tests reuse."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

# Prefect reads these at import: keep its state and cached results out of the user's home.
_PREFECT = Path(tempfile.mkdtemp(prefix="observatoire-prefect-"))
atexit.register(shutil.rmtree, _PREFECT, ignore_errors=True)
os.environ["PREFECT_HOME"] = str(_PREFECT)
os.environ["PREFECT_LOCAL_STORAGE_PATH"] = str(_PREFECT / "storage")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
# The static embeds (Chromium, a few seconds a chart) only where a test asks for them.
os.environ.setdefault("OBSERVATOIRE_INTEGRER", "aucun")

from prefect.testing.utilities import prefect_test_harness  # noqa: E402

from warehouse.paths import Home  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# Real publisher files, kept outside the repository (licences); another folder, or one that does
# not exist to see what is skipped without them: OBSERVATOIRE_REAL_DATA (relative to the repo).
REAL = (REPO / os.environ.get("OBSERVATOIRE_REAL_DATA", "../shared/data/real")).resolve()


def real_file(name: str) -> Path:
    """The real publisher file ``name``; the calling test or fixture is skipped without it.
    Call it at run time only (in a test or fixture), never at import: collection must not fail."""
    path = REAL / name
    if not REAL.is_dir():
        pytest.skip(f"../shared/data/real absent: {name} is a real publisher file ({REAL})")
    if not path.is_file():
        pytest.skip(f"{name} absent from {REAL}")
    return path


@pytest.fixture(scope="session")
def prefect_harness():
    # a shared two-core machine under load may take more than a minute to start the server
    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(autouse=True)
def keep_main_module(monkeypatch):
    """AppTest installs the page it ran as ``__main__`` and leaves it there: a later
    multiprocessing spawn (the Dask workers of test_refresh) would run that page again."""
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])


@pytest.fixture
def home(tmp_path, monkeypatch) -> Home:
    """An empty state folder for one test."""
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(tmp_path / "home"))
    return Home.from_env().ensure()


@pytest.fixture(scope="session")
def published(prefect_harness, tmp_path_factory) -> Home:
    """A home where the real refresh flow ran once on the embedded default."""
    from flows.refresh import refresh

    root = tmp_path_factory.mktemp("published")
    previous = os.environ.get("OBSERVATOIRE_HOME")
    os.environ["OBSERVATOIRE_HOME"] = str(root)
    try:
        refresh()
    finally:
        if previous is None:
            os.environ.pop("OBSERVATOIRE_HOME")
        else:
            os.environ["OBSERVATOIRE_HOME"] = previous
    return Home(root)


@pytest.fixture
def published_copy(published, tmp_path, monkeypatch) -> Home:
    """A private copy of the published home, for tests that change or break it."""
    root = tmp_path / "copy"
    root.mkdir()
    for name in ("public.duckdb", "partenaires.duckdb", "warehouse.duckdb"):
        shutil.copy2(published.root / name, root / name)
    shutil.copytree(published.landing, root / "landing")
    # published files are never changed in place (a publish writes a new version): link them
    shutil.copytree(published.static, root / "static", symlinks=True, copy_function=os.link)
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(root))
    return Home(root)


def load_into_copy(
    published: Home, root: Path, name: str, location: Path, run_id: str, before=None
):
    """Copy the published warehouse to ``root``, stage ``location`` for the source ``name`` as a
    refresh would, run ``before(con)`` if given, then build the marts that this load reaches;
    return the report, the landed files and a reader."""
    import duckdb

    from flows.pipeline import fetch, stage
    from flows.refresh import _changed
    from flows.sources import SOURCES
    from warehouse import internal, marts
    from warehouse.landing import land

    shutil.copy2(published.warehouse, root / "warehouse.duckdb")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OBSERVATOIRE_HOME", str(root))
        landed = [
            land(root / "landing", name, raw.name, raw.origin, raw.readable)
            for raw in fetch(SOURCES[name], str(location))
        ]
        report = stage.fn(name, str(location), landed, run_id)
        with internal.connect(root / "warehouse.duckdb") as con:
            if before is not None:
                before(con)
            marts.build(con, marts.plan(con, _changed(con, [name])))
    return report, landed, duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, resolving no host but 127.0.0.1."""
    from playwright.sync_api import sync_playwright

    from tests.test_browser import ARGS, CHROMIUM

    assert os.path.exists(CHROMIUM), "Debian's chromium package is needed (.ci/run installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
