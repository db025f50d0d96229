"""Refresh cost on the embedded default: wall time and peak memory of ``observatoire refresh``.

Runs the real command in a fresh state folder twice (first load, then nothing changed), prints a
table and writes ``benchmarks/results/latest.json`` plus a dated copy. Run with ``make bench``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
README = Path(__file__).parents[1] / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _run(home: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one refresh in its own process."""
    env = {**os.environ, "OBSERVATOIRE_HOME": str(home)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "flows.cli", "refresh"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def _machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def _readme_table(result: dict) -> None:
    """Replace the table between the README's bench markers with this run's figures."""
    machine = result["machine"]
    rows = [
        f"Mesuré le {result['measured_at'][:10]} sur {machine['cores']} cœurs, "
        f"{machine['memory_gb']} Gio, Python {machine['python']}.",
        "",
        "| mesure | valeur |",
        "|---|---:|",
        *(f"| `{k}` | {v} |" for k, v in result.items() if k not in ("measured_at", "machine")),
    ]
    text = README.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    README.write_text(f"{head}{START}\n" + "\n".join(rows) + f"\n{END}{tail}", encoding="utf-8")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as folder:
        home = Path(folder)
        first_s, first_mb = _run(home)
        again_s, _ = _run(home)
        public_mb = (home / "public.duckdb").stat().st_size / 2**20
    figures = {
        "full_refresh_s": round(first_s, 2),
        "full_refresh_peak_rss_mb": round(first_mb),
        "unchanged_refresh_s": round(again_s, 2),
        "unchanged_refresh_ratio": round(again_s / first_s, 3),
        "public_file_mb": round(public_mb, 1),
    }
    print(f"{'figure':<28}{'value':>10}")
    for key, value in figures.items():
        print(f"{key:<28}{value:>10}")
    result = {"measured_at": datetime.now(UTC).isoformat(), "machine": _machine(), **figures}
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    (RESULTS / "latest.json").write_text(text + "\n")
    (RESULTS / f"{datetime.now(UTC):%Y-%m-%d}.json").write_text(text + "\n")
    _readme_table(result)


if __name__ == "__main__":
    main()
