"""Server-side data time of each dashboard page with Streamlit's cache cold: p50 and p95.

Copies ``$OBSERVATOIRE_HOME/public.duckdb`` (run ``observatoire refresh`` first) and links the
files the publish wrote beside it (the map outlines), then loads each page under AppTest many
times, clearing Streamlit's caches before every load, and sums the time spent in
``dashboard.db.query``, ``queries`` and ``provenance`` (every read goes through them): wall time,
and the process's CPU time, which other processes on a shared machine do not inflate. Attaching
the file, once per publish and process, is left out. Prints a table and writes
``benchmarks/results/pages.json`` with the load average. Target: 100 ms (wall) at p95 for every
page.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
APP = Path(__file__).parents[1] / "dashboard" / "app.py"
LOADS = 30
# Each page with its default view and a filtered one, as a visitor's URL would give them.
PAGES = {
    "accueil": [{}],
    "reseau": [{}, {"type": "association", "region": "84"}],
    "contrats": [{}, {"type": "CTE", "region": "53"}],
    "donnees": [{}, {"table": "consommation", "niveau": "epci"}],
    "carte": [
        {"niveau": "epci", "indicateur": "taux_couverture", "annee": "2024"},
        {"niveau": "commune", "indicateur": "adhesion", "annee": "2020", "departement": "38"},
    ],
    "territoire": [{"niveau": "epci", "code": "200046977"}, {"niveau": "region", "code": "84"}],
}


def _home(public: Path, folder: str) -> None:
    """A home in ``folder`` with a copy of ``public`` and the files published beside it."""
    shutil.copy2(public, Path(folder) / "public.duckdb")
    if (public.parent / "static").is_dir():
        (Path(folder) / "static").symlink_to(public.parent / "static", target_is_directory=True)


def _measure(at, db, page: str, params: dict) -> tuple[float, float]:
    """Wall and CPU milliseconds spent reading data while ``page`` loads, caches cold."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()  # the provenance every page cites is read once per publication
    wall = cpu = 0.0
    # every read goes through one of these doors of dashboard/db.py
    doors = {name: getattr(db, name) for name in ("query", "queries", "provenance")}

    def timed(door):
        def run(*args, **kwargs):
            nonlocal wall, cpu
            start, start_cpu = time.perf_counter(), time.process_time()
            try:
                return door(*args, **kwargs)
            finally:
                wall += time.perf_counter() - start
                cpu += time.process_time() - start_cpu

        return run

    for name, door in doors.items():
        setattr(db, name, timed(door))
    try:
        at.query_params.clear()
        at.query_params.update(params)
        at.switch_page(f"views/{page}.py").run()
    finally:
        for name, door in doors.items():
            setattr(db, name, door)
    assert not at.exception, at.exception
    return wall * 1000, cpu * 1000


def _percentiles(values: list[float]) -> dict:
    """Median and 95th percentile (the value itself when there is only one)."""
    p95 = statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]
    return {"p50": round(statistics.median(values), 1), "p95": round(p95, 1)}


def measure(public: Path, loads: int = LOADS) -> dict[str, dict]:
    """Per page, wall and CPU p50/p95 of ``loads`` loads of each view, in this process, on a copy
    of ``public``. Attaching the file, once per publish and process, is left out: the app runs
    once first."""
    logging.disable(logging.WARNING)
    from streamlit.testing.v1 import AppTest

    from dashboard import db

    figures = {}
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        _home(public, folder)
        previous = os.environ.get("OBSERVATOIRE_HOME")
        os.environ["OBSERVATOIRE_HOME"] = folder
        try:
            at = AppTest.from_file(str(APP), default_timeout=120).run()  # attaches the file
            for page, views in PAGES.items():
                times = [_measure(at, db, page, params) for _ in range(loads) for params in views]
                figures[page] = {
                    "wall_ms": _percentiles([w for w, _ in times]),
                    "cpu_ms": _percentiles([c for _, c in times]),
                }
        finally:
            if previous is None:
                os.environ.pop("OBSERVATOIRE_HOME")
            else:
                os.environ["OBSERVATOIRE_HOME"] = previous
    return figures


def measure_aside(public: Path, loads: int = LOADS) -> dict[str, dict]:
    """:func:`measure` in a process of its own. In the process of ``national.py``, which had
    held the ingestion's tables, Territoire at 2× showed p95 508 ms for a p50 of 109 ms; alone,
    on the same file, 120 ms."""
    out = subprocess.run(
        [sys.executable, __file__, "--chaud", str(public), str(loads)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.splitlines()[-1])


def _first_load(page: str, params: dict) -> tuple[float, float]:
    """In a fresh process (``OBSERVATOIRE_HOME`` set by the caller): the page's first load,
    attaching the file included, as the first visitor after a start or a publish pays it."""
    logging.disable(logging.WARNING)
    from streamlit.testing.v1 import AppTest

    from dashboard import db

    at = AppTest.from_file(str(APP), default_timeout=120)
    return _measure(at, db, page, params)


def measure_cold(public: Path, repeats: int) -> dict[str, dict]:
    """Each view of each page loaded first in a new process, ``repeats`` times: p50/p95 per page
    of the time spent in queries (the processes' start and imports are left out)."""
    figures = {}
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-cold-") as folder:
        _home(public, folder)
        env = {**os.environ, "OBSERVATOIRE_HOME": folder}
        for page, views in PAGES.items():
            times = []
            for _ in range(repeats):
                for params in views:
                    out = subprocess.run(
                        [sys.executable, __file__, "--premier", page, json.dumps(params)],
                        env=env,
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout
                    times.append(tuple(json.loads(out.splitlines()[-1])))
            figures[page] = {
                "wall_ms": _percentiles([w for w, _ in times]),
                "cpu_ms": _percentiles([c for _, c in times]),
            }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--premier", nargs=2, metavar=("PAGE", "PARAMETRES_JSON"))
    parser.add_argument("--chaud", nargs=2, metavar=("FICHIER_PUBLIE", "CHARGEMENTS"))
    args = parser.parse_args()
    if args.chaud:
        public, loads = args.chaud
        print(json.dumps(measure(Path(public), int(loads))))
        return
    if args.premier:
        page, params = args.premier
        print(json.dumps(_first_load(page, json.loads(params))))
        return
    from warehouse.paths import Home

    load_before = os.getloadavg()[0]
    figures = measure(Home.from_env().public)
    for page, f in figures.items():
        wall, cpu = f["wall_ms"], f["cpu_ms"]
        print(
            f"{page:<12} wall p50 {wall['p50']:>6} p95 {wall['p95']:>6} ms   "
            f"cpu p50 {cpu['p50']:>6} p95 {cpu['p95']:>6} ms"
        )
    result = {
        "measured_at": datetime.now(UTC).isoformat(),
        "cores": os.cpu_count(),
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "loads_per_view": LOADS,
        "pages": figures,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "pages.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    slow = [page for page, f in figures.items() if f["wall_ms"]["p95"] > 100]
    print(f"au-delà de 100 ms au p95 : {', '.join(slow)}" if slow else "toutes sous 100 ms au p95")


if __name__ == "__main__":
    main()
