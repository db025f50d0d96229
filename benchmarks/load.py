"""Readers arriving together, measured at the websocket: each reader opens a session as a browser
does (the page over HTTP, then ``/_stcore/stream``) and runs five pages in turn, embedded (home,
réseau, one EPCI, carte, contrats; dashboard/wsclient.py). For 1, 10, 50 and 100 readers at
once, with 1 worker (``observatoire dashboard``, one Streamlit process) then N workers
(``--workers N`` behind HAProxy, N = cores), in one run: page-run time p50 / p95 / max (request
to ``script_finished``), errors, page runs per second. A reader opens its next page
:data:`PAUSE` seconds after the last one showed (``--pause 0``: at once). Each server is warmed
first (every page run once by each worker), so the times are those of warm caches.

Target: 50 readers, p95 ≤ 3 s with no error on the machine's cores. The readers run in this
process, on the same cores as the servers: what they take is not the servers'.

Uses the published file of $OBSERVATOIRE_HOME when there is one (the national publish: a home
refreshed ``--from`` the files of ``generate.py``), else refreshes the embedded default into a
temporary folder first. Prints a table, merges ``dashboard_load_p95_s`` (50 readers, N workers) and
``dashboard_page_run_p50_ms`` (1 reader, 1 worker) into ``benchmarks/results/latest.json`` and
writes the table into docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import psutil
import refresh

from dashboard import wsclient
from dashboard.running import running

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "latest.json"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench-load:start -->", "<!-- bench-load:end -->"
# Seconds between a reader's pages. A rerun asked the moment the previous one finished waits about
# 40 ms in Streamlit itself (1.67, measured here: a one-line app answers in 4 ms with a 50 ms pause,
# in 44 ms without), which no reader clicking a link meets.
PAUSE = 0.3


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _readers(url: str, count: int, pause: float) -> tuple[list[wsclient.Reader], float]:
    """``count`` readers at once; a lone reader comes back four times (20 page runs)."""
    start = time.perf_counter()
    readers = []
    for _ in range(4 if count == 1 else 1):
        readers += await asyncio.gather(*(wsclient.read(url, pause=pause) for _ in range(count)))
    return readers, time.perf_counter() - start


def _cpu(server: psutil.Process) -> float:
    """Processor seconds of the server: the command, HAProxy and every worker."""
    total = 0.0
    for process in [server, *server.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def _level(url: str, server: psutil.Process, count: int, pause: float) -> dict[str, float | int]:
    cpu, mine = _cpu(server), time.process_time()
    readers, wall = asyncio.run(_readers(url, count, pause))
    cpu, mine = _cpu(server) - cpu, time.process_time() - mine
    runs = [r for reader in readers for r in reader.runs]
    done = [r.seconds for r in runs if r.error is None]
    errors = [r.error for r in runs if r.error is not None]
    for error in sorted(set(errors))[:3]:
        print(f"    erreur : {error}")
    return {
        "lecteurs": count,
        "p50_s": round(statistics.median(done), 3) if done else float("nan"),
        "p95_s": round(_quantile(done, 0.95), 3) if done else float("nan"),
        "max_s": round(max(done), 3) if done else float("nan"),
        "erreurs": len(errors),
        "executions_par_s": round(len(done) / wall, 2),
        "workers_servis": len({reader.worker for reader in readers}),
        # what a page run costs the server, whatever else the machine runs
        "cpu_serveur_ms_par_execution": round(1000 * cpu / max(len(done), 1), 1),
        "cpu_lecteurs_s": round(mine, 1),
    }


def measure(
    home: Path, workers: int, levels: list[int], pause: float
) -> list[dict[str, float | int]]:
    """Every level of readers against one server of ``workers`` processes."""
    rows = []
    with running(home, workers=workers) as served:
        url, server = served.url, psutil.Process(served.process.pid)
        _level(url, server, 2 * workers, pause)  # warm: each worker runs every page once
        for count in levels:
            load = os.getloadavg()[0]
            row = {
                "workers": workers,
                **_level(url, server, count, pause),
                "charge": round(load, 2),
            }
            print(
                f"  {workers} processus, {count:>3} lecteurs : p50 {row['p50_s']} s, "
                f"p95 {row['p95_s']} s, max {row['max_s']} s, {row['erreurs']} erreurs, "
                f"{row['executions_par_s']} exécutions/s, "
                f"{row['cpu_serveur_ms_par_execution']} ms de processeur serveur par exécution, "
                f"{row['cpu_lecteurs_s']} s de processeur des lecteurs (charge {load:.2f})",
                flush=True,
            )
            rows.append(row)
    return rows


def _fr(value: float | int) -> str:
    return f"{value:,}".replace(",", "\u202f").replace(".", ",")


def table(rows: list[dict[str, float | int]], cores: int) -> str:
    """The docs' table, one line per worker count and level."""
    lines = [
        f"Mesuré le {date.today().isoformat()} sur {cores} cœurs, Python "
        f"{sys.version.split()[0]} ; lecteurs et serveur sur la même machine ; charge moyenne "
        "(1 min) au début de chaque ligne.",
        "",
        "| processus | lecteurs | p50 | p95 | max | erreurs | exécutions / s "
        "| processeur serveur / exécution | processeur des lecteurs | charge |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['workers']} | {r['lecteurs']} | {_fr(r['p50_s'])} s | {_fr(r['p95_s'])} s | "
            f"{_fr(r['max_s'])} s | {r['erreurs']} | {_fr(r['executions_par_s'])} | "
            f"{_fr(r['cpu_serveur_ms_par_execution'])} ms | {_fr(r['cpu_lecteurs_s'])} s | "
            f"{_fr(r['charge'])} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lecteurs", default="1,10,50,100", help="niveaux, séparés par ,")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--pause", type=float, default=PAUSE, help="secondes entre deux pages d'un lecteur"
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.lecteurs.split(",")]
    with refresh.published("bench-load-") as home:
        rows = [
            row
            for w in sorted({1, args.workers})
            for row in measure(home.root, w, levels, args.pause)
        ]
    text = table(rows, os.cpu_count() or 1)
    print(text)
    at = {(r["workers"], r["lecteurs"]): r for r in rows}
    figures: dict[str, object] = {"dashboard_load": rows}
    if (args.workers, 50) in at:
        figures["dashboard_load_p95_s"] = at[(args.workers, 50)]["p95_s"]
    if (1, 1) in at:
        figures["dashboard_page_run_p50_ms"] = round(1000 * float(at[(1, 1)]["p50_s"]), 1)
    latest = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps(latest | figures, indent=2, ensure_ascii=False) + "\n")
    doc = DOC.read_text()
    DOC.write_text(re.sub(f"{START}.*?{END}", f"{START}\n{text}\n{END}", doc, flags=re.S))


if __name__ == "__main__":
    main()
