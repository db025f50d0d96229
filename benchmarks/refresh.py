"""Refresh cost on the embedded default, as a scheduled refresh pays it.

Starts a long-running Prefect server (as on the maintainers' host), then runs the real command
``observatoire refresh`` in a fresh state folder: a full load, the same refresh with nothing
changed, then a forced rebuild on a local Dask cluster (``--runner dask --force``). Each run is
its own process: ``*_refresh_s`` include Python's start and imports (≈ 3 s), ``*_flow_run_s``
are the flow runs' durations as the Prefect server recorded them. Also times an unchanged
refresh without a server, where Prefect starts a temporary one (≈ 7 s). The refreshes write no
static embed (``OBSERVATOIRE_INTEGRER=aucun``): those are timed apart, a first set then the same
set again (``embeds_*``). Prints a table, merges the
figures into ``benchmarks/results/latest.json`` under ``demo`` (plus a dated copy) and the
table of ``docs/benchmarks.md``. ``benchmarks/national.py`` reuses its server and process
helpers. Run with ``make bench``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import psutil

from dashboard.running import free_ports
from warehouse.paths import Home

RESULTS = Path(__file__).parent / "results"
BENCHMARKS_DOC = Path(__file__).parents[1] / "docs" / "benchmarks.md"
QUIET = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_LOGGING_LEVEL": "WARNING"}
# The pipeline's own cost: the static embeds, drawn by Chromium after the publish, are timed
# apart (:func:`embeds`).
PIPELINE_ONLY = {"OBSERVATOIRE_INTEGRER": "aucun"}


def server(prefect_home: Path) -> tuple[subprocess.Popen, str]:
    """A ``prefect server start`` on a free loopback port, once it answers its health check."""
    port = free_ports()
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


@contextmanager
def published(prefix: str) -> Iterator[Home]:
    """``$OBSERVATOIRE_HOME`` when it holds a published file (the national publish, say), else
    the embedded default refreshed into a temporary folder, removed at the end."""
    home = Home.from_env()
    if home.public.exists():
        yield home
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        subprocess.run(
            [sys.executable, "-m", "observatoire.cli", "refresh"],
            env={**os.environ, "OBSERVATOIRE_HOME": folder},
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        yield Home(Path(folder))


def _high_water_mb(pid: int) -> float:
    """The process's peak resident memory so far (``VmHWM``: its own, from its ``exec``)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    kb = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")), 0)
    return int(kb) / 1024


def run(home: Path, prefect: dict[str, str], *options: str) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one ``observatoire refresh`` in its own
    process, with these Prefect settings (no ``PREFECT_API_URL``: Prefect starts a temporary
    server). The peak adds up the high-water marks of the process and of its children, read
    every 0.2 s (``getrusage`` would count the memory of this process, which the child's
    ``fork`` copied). Its output goes to ``refresh.log`` beside ``home``, quoted if it fails."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env |= {**QUIET, **PIPELINE_ONLY, **prefect, "OBSERVATOIRE_HOME": str(home)}
    log = home.parent / "refresh.log"
    command = [sys.executable, "-m", "observatoire.cli", "refresh", *options]
    peaks: dict[int, float] = {}
    with log.open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        tree = psutil.Process(process.pid)
        while process.poll() is None:
            try:
                pids = [process.pid, *(child.pid for child in tree.children(recursive=True))]
            except psutil.NoSuchProcess:
                break
            for pid in pids:
                peaks[pid] = max(peaks.get(pid, 0.0), _high_water_mb(pid))
            time.sleep(0.2)
        seconds = time.perf_counter() - start
    if process.returncode:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(command)} : code {process.returncode}\n{tail}")
    return seconds, sum(peaks.values())


def flow_seconds(url: str) -> float:
    """Run time of the last flow run, as the Prefect server recorded it (the process aside)."""
    completed = {"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}
    query = json.dumps({**completed, "sort": "END_TIME_DESC", "limit": 1}).encode()
    request = urllib.request.Request(
        f"{url}/flow_runs/filter", data=query, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        (run,) = json.load(response)
    return run["total_run_time"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """The machine and the versions measured, with its load when the measure starts."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        **{library: version(library) for library in ("duckdb", "polars", "pandera", "prefect")},
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def save(key: str | None, figures: dict, measured_at: str, machine_: dict) -> None:
    """Merge ``figures`` into ``results/latest.json`` (top level, or under ``key``) with when
    and where they were measured, and copy it under today's date: each script adds its part."""
    RESULTS.mkdir(exist_ok=True)
    latest = RESULTS / "latest.json"
    result = json.loads(latest.read_text()) if latest.exists() else {}
    part = {"measured_at": measured_at, "machine": machine_} | figures
    result |= {key: part} if key else part
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    latest.write_text(text)
    (RESULTS / f"{measured_at[:10]}.json").write_text(text)


def report(key: str, figures: dict, heading: str) -> None:
    """Print ``heading`` and one line per figure, then save them under ``key``."""
    print(heading)
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:{width}} {value}")
    save(key, figures, datetime.now(UTC).isoformat(), machine())


def docs_table(marker: str, lines: list[str]) -> None:
    """Replace the text between ``<!-- marker:start/end -->`` of ``docs/benchmarks.md`` with
    ``lines``."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    text = BENCHMARKS_DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    text = f"{head}{start}\n" + "\n".join(lines) + f"\n{end}{tail}"
    BENCHMARKS_DOC.write_text(text, encoding="utf-8")


def embeds(home: Path) -> dict:
    """What the static embeds add to a publish of ``home`` (``python -m dashboard.embeds``, as
    the refresh starts it): a first set, every image drawn, then the same again, every image
    reused (a publish that changed none of the charts)."""

    def once() -> tuple[float, dict]:
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "dashboard.embeds", "--delai", "3600"],
            env={**os.environ, "OBSERVATOIRE_HOME": str(home)},
            capture_output=True,
            text=True,
            check=True,
        )
        return time.perf_counter() - start, json.loads(done.stdout.splitlines()[-1])

    first_s, first = once()
    again_s, again = once()
    assert again["rendered"] == 0, again
    return {
        "embeds_charts": first["charts"],
        "embeds_full_s": round(first_s, 2),
        "embeds_image_pair_s": round(first["render_seconds"] / max(first["rendered"], 1), 3),
        "embeds_unchanged_charts_s": round(again_s, 2),
    }


def main() -> None:
    machine_ = machine()
    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as folder:
        home, prefect_home = Path(folder) / "home", Path(folder) / "prefect"
        server_, url = server(prefect_home)
        try:
            # cached results are shared by both ways of running, as on one host
            results = {"PREFECT_LOCAL_STORAGE_PATH": str(Path(folder) / "resultats")}
            served = {**results, "PREFECT_API_URL": url, "PREFECT_HOME": str(prefect_home)}
            full_s, peak_mb = run(home, served)
            full_flow_s = flow_seconds(url)
            public = (home / "public.duckdb").read_bytes()
            unchanged_s, _ = run(home, served)
            unchanged_flow_s = flow_seconds(url)
            assert (home / "public.duckdb").read_bytes() == public, "unchanged run published"
            temporary = {**results, "PREFECT_HOME": str(Path(folder) / "temporaire")}
            run(home, temporary)  # the first temporary server creates its database (≈ 20 s)
            temporary_s, _ = run(home, temporary)
            assert (home / "public.duckdb").read_bytes() == public, "unchanged run published"
            dask_s, _ = run(home, served, "--runner", "dask", "--force")
            dask_flow_s = flow_seconds(url)
        finally:
            server_.terminate()
            server_.wait(timeout=60)
        public_mb = (home / "public.duckdb").stat().st_size / 2**20
        drawn = embeds(home)
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
        **drawn,
    }
    print(f"{'figure':<40}{'value':>10}")
    for key, value in figures.items():
        print(f"{key:<40}{value:>10}")
    measured_at = datetime.now(UTC).isoformat()
    save("demo", figures, measured_at, machine_)
    docs_table(
        "bench-demo",
        [
            f"Mesuré le {measured_at[:10]} sur {machine_['cores']} cœurs, "
            f"{machine_['memory_gb']} Gio, Python {machine_['python']}, charge moyenne "
            f"{machine_['load_average_1min']} au départ.",
            "",
            "| mesure | valeur |",
            "|---|---:|",
            *(f"| `{k}` | {v} |" for k, v in figures.items()),
        ],
    )


if __name__ == "__main__":
    main()
