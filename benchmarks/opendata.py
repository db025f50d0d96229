"""What the open data package adds to a publish: the public file's publish with and without its
package (CSV and Parquet of every table, ``datapackage.json``), on a copy of
``$OBSERVATOIRE_HOME/warehouse.duckdb`` (run ``observatoire refresh`` first). Runs alternate,
median of 3 each; prints a table with the package's size by kind of file and merges the figures
into ``benchmarks/results/latest.json``. ``--valider`` also times ``frictionless validate`` on
the whole package (minutes on two cores).
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import refresh

from warehouse import internal, opendata
from warehouse.paths import Home
from warehouse.publish import publish

RUNS = 3


def _sizes(folder: Path) -> dict[str, float]:
    """Megabytes of the package by kind of file (``.csv``, ``.csv.gz``, ``.parquet``…)."""
    kinds: dict[str, float] = {}
    for path in folder.iterdir():
        kind = "".join(path.suffixes)
        kinds[kind] = kinds.get(kind, 0) + path.stat().st_size / 2**20
    return {kind: round(size, 1) for kind, size in sorted(kinds.items())}


def _validate(folder: Path) -> float:
    from frictionless import validate

    start = time.perf_counter()
    report = validate(folder / "datapackage.json")
    elapsed = time.perf_counter() - start
    if not report.valid:
        print(report.flatten(["name", "rowNumber", "fieldName", "message"])[:20])
    return elapsed


def main() -> None:
    source = Home.from_env().warehouse
    with tempfile.TemporaryDirectory() as folder:
        home = Home(Path(folder))
        shutil.copy2(source, home.warehouse)
        load = os.getloadavg()[0]
        alone, with_package = [], []
        with internal.connect(home.warehouse) as con:
            con.execute("set enable_progress_bar = false")
            for _ in range(RUNS):
                for times, package in ((alone, None), (with_package, home.static)):
                    start = time.perf_counter()
                    publish(con, home.public, "bench", datetime.now(UTC), package=package)
                    times.append(time.perf_counter() - start)
        package = statistics.median(with_package) - statistics.median(alone)
        current = opendata.current(home.static)
        figures = {
            "opendata_publish_alone_s": round(statistics.median(alone), 2),
            "opendata_package_s": round(package, 2),
            "opendata_share_of_publish": round(package / statistics.median(alone), 2),
            "opendata_package_mb": _sizes(current),
        }
        if "--valider" in sys.argv:
            figures["opendata_frictionless_validate_s"] = round(_validate(current), 1)
    heading = f"{RUNS} runs each, load average {load:.2f} -> {os.getloadavg()[0]:.2f}"
    refresh.report("opendata", figures, heading)


if __name__ == "__main__":
    main()
