"""What the open data package adds to a publish, on the national demo data.

Copies ``$OBSERVATOIRE_HOME/warehouse.duckdb`` (run ``observatoire refresh`` first), then
publishes it alternately without and with the package, three times each; prints the medians,
the package's size by kind of file and the time of its largest tables, and writes
``benchmarks/results/opendata.json`` with the load average. ``--valider`` also times
``frictionless validate`` on the whole package (several minutes on two cores).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
RUNS = 3


def _publish(home: Path, package: Path | None) -> float:
    from warehouse import internal
    from warehouse.publish import publish

    with internal.connect(home / "warehouse.duckdb") as con:
        start = time.perf_counter()
        publish(con, home / "public.duckdb", "benchmark", datetime.now(UTC), package=package)
        return time.perf_counter() - start


def _sizes(folder: Path) -> dict[str, float]:
    kinds: dict[str, float] = {}
    for path in folder.iterdir():
        kind = "".join(path.suffixes)
        kinds[kind] = kinds.get(kind, 0) + path.stat().st_size / 1e6
    return {kind: round(size, 1) for kind, size in sorted(kinds.items())}


def _validate(folder: Path) -> float:
    from frictionless import validate

    start = time.perf_counter()
    report = validate(folder / "datapackage.json")
    elapsed = time.perf_counter() - start
    if not report.valid:
        print(report.flatten(["resourceName", "rowNumber", "fieldName", "message"])[:20])
    print(f"frictionless validate : {elapsed:.1f} s, valide : {report.valid}")
    return elapsed


def main() -> None:
    from warehouse import opendata
    from warehouse.paths import Home

    source = Home.from_env()
    if not source.warehouse.exists():
        sys.exit(f"{source.warehouse} absent : lancez d'abord « observatoire refresh ».")
    with tempfile.TemporaryDirectory(prefix="observatoire-bench-") as folder:
        home = Path(folder)
        shutil.copy2(source.warehouse, home / "warehouse.duckdb")
        load = [round(os.getloadavg()[0], 2)]
        without, with_package = [], []
        for _ in range(RUNS):
            without.append(_publish(home, None))
            with_package.append(_publish(home, home / "opendata"))
        load.append(round(os.getloadavg()[0], 2))
        current = opendata.current(home / "opendata")
        descriptor = json.loads((current / "datapackage.json").read_text(encoding="utf-8"))
        results = {
            "measured_at": datetime.now(UTC).isoformat(),
            "cores": os.cpu_count(),
            "load_average_1min": load,
            "publish_without_package_s": round(statistics.median(without), 2),
            "publish_with_package_s": round(statistics.median(with_package), 2),
            "package_s": round(statistics.median(with_package) - statistics.median(without), 2),
            "package_mb": _sizes(current),
            "resources": len(descriptor["resources"]),
        }
        latest = RESULTS / "latest.json"
        if latest.exists():
            full = json.loads(latest.read_text()).get("full_refresh_s")
            if full:
                results["package_share_of_full_refresh"] = round(results["package_s"] / full, 3)
        if "--valider" in sys.argv:
            results["frictionless_validate_s"] = round(_validate(current), 1)
    for name, value in results.items():
        print(f"{name:36} {value}")
    (RESULTS / "opendata.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
