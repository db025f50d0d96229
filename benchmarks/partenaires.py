"""What the partner file adds to a publish: building its tables and swapping it in, against the
public file's publish, on a copy of ``$OBSERVATOIRE_HOME/warehouse.duckdb`` (run
``observatoire refresh`` first). Median of 5 runs; prints a table and merges the figures into
``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import refresh

from warehouse import internal, partenaires
from warehouse.internal import sql
from warehouse.paths import Home
from warehouse.publish import publish

RUNS = 5


def _median(step: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    source = Home.from_env().warehouse
    with tempfile.TemporaryDirectory() as folder:
        home = Home(Path(folder))
        shutil.copy2(source, home.warehouse)
        at = datetime.now(UTC)
        with internal.connect(home.warehouse) as con:
            con.execute("set enable_progress_bar = false")
            build = _median(lambda: con.execute(sql("partenaires")))
            partner = _median(lambda: partenaires.publish(con, home.partenaires, "bench", at))
            public = _median(lambda: publish(con, home.public, "bench", at))
        figures = {
            "partner_build_s": round(build, 3),
            "partner_publish_s": round(partner, 3),
            "public_publish_s": round(public, 2),
            "partner_share_of_publish": round((build + partner) / public, 3),
            "partner_file_mb": round(home.partenaires.stat().st_size / 2**20, 1),
        }
    heading = f"{RUNS} runs each, load average {os.getloadavg()[0]:.2f}"
    refresh.report("partenaires", figures, heading)


if __name__ == "__main__":
    main()
