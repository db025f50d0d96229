"""Server-side data time of each dashboard page with Streamlit's cache cold: p50 and p95.

Copies ``$OBSERVATOIRE_HOME/public.duckdb`` (run ``observatoire refresh`` first), then loads
each page under AppTest many times, clearing the data cache before every load, and sums the time
spent in ``dashboard.data.query`` (every read goes through it): wall time, and the process's CPU
time, which other processes on a shared machine do not inflate. Attaching the file, once per
publish and process, is left out. Prints a table and writes ``benchmarks/results/pages.json``
with the load average. Target: 100 ms (wall) at p95 for every page.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import statistics
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


def _measure(at, data, page: str, params: dict) -> tuple[float, float]:
    """Wall and CPU milliseconds spent in ``data.query`` while ``page`` loads, cache cold."""
    import streamlit as st

    st.cache_data.clear()
    wall = cpu = 0.0
    query = data.query

    def timed(*args, **kwargs):
        nonlocal wall, cpu
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            return query(*args, **kwargs)
        finally:
            wall += time.perf_counter() - start
            cpu += time.process_time() - start_cpu

    data.query = timed
    try:
        at.query_params.clear()
        at.query_params.update(params)
        at.switch_page(f"views/{page}.py").run()
    finally:
        data.query = query
    assert not at.exception, at.exception
    return wall * 1000, cpu * 1000


def _percentiles(values: list[float]) -> dict:
    return {
        "p50": round(statistics.median(values), 1),
        "p95": round(statistics.quantiles(values, n=20)[-1], 1),
    }


def main() -> None:
    logging.disable(logging.WARNING)
    from streamlit.testing.v1 import AppTest

    from dashboard import data
    from warehouse.paths import Home

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        shutil.copy2(Home.from_env().public, Path(folder) / "public.duckdb")
        os.environ["OBSERVATOIRE_HOME"] = folder
        at = AppTest.from_file(str(APP), default_timeout=120).run()  # attaches the file
        figures = {}
        for page, variants in PAGES.items():
            times = [_measure(at, data, page, params) for _ in range(LOADS) for params in variants]
            wall = _percentiles([w for w, _ in times])
            cpu = _percentiles([c for _, c in times])
            figures[page] = {"wall_ms": wall, "cpu_ms": cpu}
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
    worst = max(f["wall_ms"]["p95"] for f in figures.values())
    latest_path = RESULTS / "latest.json"
    latest = json.loads(latest_path.read_text()) if latest_path.exists() else {}
    latest["dashboard_query_p95_ms"] = worst
    latest_path.write_text(json.dumps(latest, indent=2, ensure_ascii=False) + "\n")
    slow = [page for page, f in figures.items() if f["wall_ms"]["p95"] > 100]
    print(f"au-delà de 100 ms au p95 : {', '.join(slow)}" if slow else "toutes sous 100 ms au p95")


if __name__ == "__main__":
    main()
