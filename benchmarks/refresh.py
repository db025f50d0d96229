"""Refresh cost on the embedded default, as a scheduled refresh pays it.

Starts a long-running Prefect server (as on the maintainers' host), then runs the real command
``observatoire refresh`` in a fresh state folder: a full load, the same refresh with nothing
changed, then a forced rebuild on a local Dask cluster (``--runner dask --force``). Each run is
its own process: ``*_refresh_s`` include Python's start and imports (≈ 3 s), ``*_flow_run_s``
are the flow runs' durations as the Prefect server recorded them. Also times an unchanged
refresh without a server, where Prefect starts a temporary one (≈ 7 s). Prints a table, merges the
figures into ``benchmarks/results/latest.json`` (plus a dated copy) and the README's table.
Run with ``make bench``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
README = Path(__file__).parents[1] / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
QUIET = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_LOGGING_LEVEL": "WARNING"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server(prefect_home: Path) -> tuple[subprocess.Popen, str]:
    """A ``prefect server start`` on a free loopback port, once it answers its health check."""
    port = _free_port()
    env = {**os.environ, **QUIET, "PREFECT_HOME": str(prefect_home)}
    env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return server, url
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise RuntimeError("le serveur Prefect ne répond pas")


def _run(home: Path, prefect: dict[str, str], *options: str) -> float:
    """Wall seconds of one ``observatoire refresh`` in its own process, with these Prefect
    settings (no ``PREFECT_API_URL``: Prefect starts a temporary server)."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {**QUIET, **prefect, "OBSERVATOIRE_HOME": str(home)}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "flows.cli", "refresh", *options],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def _flow_seconds(url: str) -> float:
    """Run time of the last flow run, as the Prefect server recorded it (the process aside)."""
    completed = {"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}
    query = json.dumps({**completed, "sort": "END_TIME_DESC", "limit": 1}).encode()
    request = urllib.request.Request(
        f"{url}/flow_runs/filter", data=query, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        (run,) = json.load(response)
    return run["total_run_time"]


def _machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def _readme_table(figures: dict, machine: dict, measured_at: str) -> None:
    """Replace the table between the README's bench markers with this run's figures."""
    rows = [
        f"Mesuré le {measured_at[:10]} sur {machine['cores']} cœurs, {machine['memory_gb']} Gio, "
        f"Python {machine['python']}, charge moyenne {machine['load_average_1min']} au départ.",
        "",
        "| mesure | valeur |",
        "|---|---:|",
        *(f"| `{k}` | {v} |" for k, v in figures.items()),
    ]
    text = README.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    README.write_text(f"{head}{START}\n" + "\n".join(rows) + f"\n{END}{tail}", encoding="utf-8")


def main() -> None:
    machine = _machine()
    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as folder:
        home, prefect_home = Path(folder) / "home", Path(folder) / "prefect"
        server, url = _server(prefect_home)
        try:
            # cached results are shared by both ways of running, as on one host
            results = {"PREFECT_LOCAL_STORAGE_PATH": str(Path(folder) / "resultats")}
            served = {**results, "PREFECT_API_URL": url, "PREFECT_HOME": str(prefect_home)}
            full_s = _run(home, served)
            full_flow_s = _flow_seconds(url)
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            public = (home / "public.duckdb").read_bytes()
            unchanged_s = _run(home, served)
            unchanged_flow_s = _flow_seconds(url)
            assert (home / "public.duckdb").read_bytes() == public, "unchanged run published"
            temporary = {**results, "PREFECT_HOME": str(Path(folder) / "temporaire")}
            _run(home, temporary)  # the first temporary server creates its database (≈ 20 s)
            temporary_s = _run(home, temporary)
            assert (home / "public.duckdb").read_bytes() == public, "unchanged run published"
            dask_s = _run(home, served, "--runner", "dask", "--force")
            dask_flow_s = _flow_seconds(url)
        finally:
            server.terminate()
            server.wait(timeout=60)
        public_mb = (home / "public.duckdb").stat().st_size / 2**20
    figures = {
        "full_refresh_s": round(full_s, 2),
        "full_refresh_peak_rss_mb": round(peak_mb),
        "unchanged_refresh_s": round(unchanged_s, 2),
        "unchanged_refresh_ratio": round(unchanged_s / full_s, 3),
        "full_flow_run_s": round(full_flow_s, 2),
        "unchanged_flow_run_s": round(unchanged_flow_s, 2),
        "unchanged_flow_run_ratio": round(unchanged_flow_s / full_flow_s, 3),
        "unchanged_refresh_temporary_server_s": round(temporary_s, 2),
        "dask_forced_refresh_s": round(dask_s, 2),
        "dask_forced_flow_run_s": round(dask_flow_s, 2),
        "public_file_mb": round(public_mb, 1),
    }
    print(f"{'figure':<40}{'value':>10}")
    for key, value in figures.items():
        print(f"{key:<40}{value:>10}")
    measured_at = datetime.now(UTC).isoformat()
    RESULTS.mkdir(exist_ok=True)
    latest = RESULTS / "latest.json"
    previous = json.loads(latest.read_text()) if latest.exists() else {}
    result = previous | {"measured_at": measured_at, "machine": machine} | figures
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    latest.write_text(text)
    (RESULTS / f"{datetime.now(UTC):%Y-%m-%d}.json").write_text(text)
    _readme_table(figures, machine, measured_at)


if __name__ == "__main__":
    main()
