"""France-sized data against the physical limit, at ½, 1 and 2× national size, in one run.

For each scale, on the files of ``generate.py`` (publishers' formats, every commune at 1×; at 2×,
every commune with its consumption series twice as fine: what users reach by adding years and
finer series, issue #22):

1. validated ingest of each energy file next to DuckDB's ``read_csv`` of it and to the naive
   pandas + pandera path (``ingest.py``);
2. a full ``observatoire refresh`` of the generated consumption, production, members and
   contracts (territories and installations: the embedded defaults), each run its own process
   against a long-running Prefect server (``refresh.py``): wall time, peak resident memory; and
   again with the consumption in Parquet, the portal's format that the real connector fetches;
3. the same refresh again, nothing changed: its share of the full one;
4. the dashboard's query time per page on the published file (``pages.py``): warm (a process of
   its own, Streamlit's cache cleared before each load) and cold (each load the first of a new
   process).

Prints a table with each figure's target, writes ``benchmarks/results/latest.json`` (the largest
scale's figures at the top level, every scale under ``echelles``, the growth from the smallest to
the largest under ``croissance``), a dated copy, and the table of ``docs/benchmarks.md``.
``make bench`` runs it at ``SCALES``, ½, 1 and 2×: 4× the rows from the first to the last, as
from ¼ to 1× before, and ¼ dropped so that the run does not grow by the whole of 2×;
``--echelles 0.25`` for a quick look, ``--echelles 0.25 0.5 1 2`` for every scale ``generate.py``
knows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import generate
import ingest
import pages
import refresh

ENERGY = ("consommation", "production")
SCALES = (0.5, 1.0, 2.0)  # by default; generate.SCALES adds ¼
# figure: (label, target or None, unit); every target is an upper bound
ROWS = {
    "ingest_ratio_vs_duckdb": ("ingestion validée / read_csv DuckDB (pire fichier)", 1.5, "×"),
    "ingest_ratio_vs_pandas": ("ingestion validée / pandas + pandera (pire fichier)", None, "×"),
    "full_refresh_s": ("rafraîchissement complet", 60, "s"),
    "full_refresh_peak_rss_mb": ("mémoire résidente maximale du rafraîchissement", 1536, "Mio"),
    "full_refresh_parquet_s": ("rafraîchissement complet, consommation en Parquet", 60, "s"),
    "full_refresh_parquet_peak_rss_mb": (
        "mémoire résidente maximale, consommation en Parquet",
        1536,
        "Mio",
    ),
    "unchanged_refresh_s": ("rafraîchissement sans changement", None, "s"),
    "unchanged_refresh_ratio": ("sans changement / complet (processus entiers)", 0.10, "×"),
    "unchanged_flow_run_ratio": ("sans changement / complet (runs Prefect)", None, "×"),
    "dashboard_query_p95_ms": ("requêtes d'une page, p95, pire page (processus chaud)", 100, "ms"),
    "dashboard_query_cold_p95_ms": (
        "requêtes d'une page, p95, pire page (nouveau processus)",
        None,
        "ms",
    ),
    "public_file_mb": ("fichier publié", None, "Mio"),
}


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _served(folder: Path, url: str, prefect_home: Path) -> dict[str, str]:
    """The settings of a refresh against the long-running Prefect server."""
    return {
        "PREFECT_API_URL": url,
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_LOCAL_STORAGE_PATH": str(folder / "resultats"),
    }


def _options(paths: dict[str, Path]) -> list[str]:
    return [part for name, path in paths.items() for part in ("--from", f"{name}={path}")]


def _refresh(paths: dict[str, Path], folder: Path, url: str, prefect_home: Path) -> dict:
    """Full refresh into a new home, then the same with nothing changed; returns the figures."""
    home = folder / "home"
    served = _served(folder, url, prefect_home)
    options = _options(paths)
    full_s, peak_mb = refresh.run(home, served, *options)
    full_flow_s = refresh.flow_seconds(url)
    published = _sha256(home / "public.duckdb")
    unchanged_s, unchanged_mb = refresh.run(home, served, *options)
    unchanged_flow_s = refresh.flow_seconds(url)
    assert _sha256(home / "public.duckdb") == published, "un run sans changement a republié"
    return {
        "full_refresh_s": round(full_s, 2),
        "full_refresh_peak_rss_mb": round(peak_mb),
        "full_flow_run_s": round(full_flow_s, 2),
        "unchanged_refresh_s": round(unchanged_s, 2),
        "unchanged_refresh_peak_rss_mb": round(unchanged_mb),
        "unchanged_flow_run_s": round(unchanged_flow_s, 2),
        "unchanged_refresh_ratio": round(unchanged_s / full_s, 3),
        "unchanged_flow_run_ratio": round(unchanged_flow_s / full_flow_s, 3),
        "public_file_mb": round((home / "public.duckdb").stat().st_size / 2**20, 1),
        "warehouse_file_mb": round((home / "warehouse.duckdb").stat().st_size / 2**20, 1),
    }


def _scale(scale: float, args: argparse.Namespace, url: str, prefect_home: Path) -> dict:
    paths = generate.ensure(scale)
    described = generate.description(scale)
    figures = {
        "load_average_1min": round(os.getloadavg()[0], 2),
        "communes": described["communes"],
        "rows": described["rows"],
    }
    print(f"échelle {scale:g} : ingestion", flush=True)
    files = {name: ingest.measure(name, paths[name], args.repetitions) for name in ENERGY}
    figures["ingest"] = files
    figures["ingest_ratio_vs_duckdb"] = max(f["ratio_vs_duckdb"] for f in files.values())
    figures["ingest_ratio_vs_pandas"] = max(f["ratio_vs_pandas"] for f in files.values())
    with tempfile.TemporaryDirectory(prefix=f"bench-national-{scale:g}-") as folder:
        print(f"échelle {scale:g} : rafraîchissements", flush=True)
        figures |= _refresh(paths, Path(folder), url, prefect_home)
        print(f"échelle {scale:g} : rafraîchissement, consommation en Parquet", flush=True)
        aside = Path(folder) / "parquet"
        aside.mkdir()
        from_parquet = {**paths, "consommation": generate.parquet(scale)}
        seconds, peak = refresh.run(
            aside / "home", _served(aside, url, prefect_home), *_options(from_parquet)
        )
        figures["full_refresh_parquet_s"] = round(seconds, 2)
        figures["full_refresh_parquet_peak_rss_mb"] = round(peak)
        public = Path(folder) / "home" / "public.duckdb"
        print(f"échelle {scale:g} : requêtes du tableau de bord", flush=True)
        warm = pages.measure_aside(public, args.chargements)
        cold = pages.measure_cold(public, args.premiers)
    figures["pages"] = {page: {"chaud": warm[page], "froid": cold[page]} for page in warm}
    figures["dashboard_query_p95_ms"] = max(f["wall_ms"]["p95"] for f in warm.values())
    figures["dashboard_query_cold_p95_ms"] = max(f["wall_ms"]["p95"] for f in cold.values())
    figures["load_average_1min_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures, ensure_ascii=False), flush=True)
    return figures


def _number(value: float) -> str:
    """French writing: thin spaces between thousands, decimal comma, three decimals at most."""
    text = f"{value:,.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    return text.replace(",", "\u202f").replace(".", ",")


def _scale_label(scale: float) -> str:
    return f"{_number(scale)}\u202f×"


def _summary(scales: dict[float, dict]) -> list[str]:
    """Markdown rows: one figure per line, one column per scale, the growth and the target."""
    first, last = min(scales), max(scales)
    head = [
        f"{_scale_label(s)} ({_number(f['communes'])} communes, "
        f"{_number(f['rows']['consommation'])} l. de conso.)"
        for s, f in scales.items()
    ]
    lines = [
        f"| mesure | {' | '.join(head)} | croissance | cible |",
        "|---|" + "---:|" * (len(scales) + 2),
    ]
    for key, (label, target, unit) in ROWS.items():
        values = [f"{_number(scales[s][key])} {unit}" for s in scales]
        growth = f"{_number(round(scales[last][key] / scales[first][key], 2))} ×"
        lines.append(
            f"| {label} | {' | '.join(values)} | {growth if last != first else ''} | "
            f"{f'≤ {_number(target)} {unit}' if target is not None else ''} |"
        )
    return lines


def _detail(figures: dict) -> list[str]:
    """Markdown rows of one scale: each energy file's ingest, each page's query times."""
    lines = [
        "| fichier | lignes | Mio | DuckDB `read_csv` | validé | pandas + pandera |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, f in figures["ingest"].items():
        lines.append(
            f"| {name} | {_number(f['rows'])} | {_number(f['mb'])} | "
            f"{_number(f['duckdb_read_csv_s'])} s | {_number(f['validated_s'])} s "
            f"({_number(f['ratio_vs_duckdb'])} ×) | {_number(f['pandas_pandera_s'])} s |"
        )
    lines += [
        "",
        "| page | chaud p50 | chaud p95 | nouveau processus p50 | nouveau processus p95 |",
        "|---|---:|---:|---:|---:|",
    ]
    for page, f in figures["pages"].items():
        warm, cold = f["chaud"]["wall_ms"], f["froid"]["wall_ms"]
        lines.append(
            f"| {page} | {_number(warm['p50'])} ms | {_number(warm['p95'])} ms | "
            f"{_number(cold['p50'])} ms | {_number(cold['p95'])} ms |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--echelles", type=float, nargs="+", choices=generate.SCALES, default=list(SCALES)
    )
    parser.add_argument("--repetitions", type=int, default=ingest.REPEAT, help="par ingestion")
    parser.add_argument("--chargements", type=int, default=10, help="par vue, processus chaud")
    parser.add_argument("--premiers", type=int, default=2, help="nouveaux processus par vue")
    args = parser.parse_args()
    machine = refresh.machine()
    measured_at = datetime.now(UTC).isoformat()
    started = time.perf_counter()
    scales = {}
    with tempfile.TemporaryDirectory(prefix="bench-national-prefect-") as prefect_home:
        server, url = refresh.server(Path(prefect_home))
        try:
            for scale in sorted(args.echelles):
                scales[scale] = _scale(scale, args, url, Path(prefect_home))
        finally:
            server.terminate()
            server.wait(timeout=60)
    minutes = (time.perf_counter() - started) / 60
    largest, first = scales[max(scales)], scales[min(scales)]
    growth = ("full_refresh_s", "full_refresh_peak_rss_mb", "dashboard_query_p95_ms")
    flow_runs = ("full_flow_run_s", "unchanged_flow_run_s")
    figures = {key: largest[key] for key in [*ROWS, *flow_runs]} | {
        "echelles": {f"{s:g}": f for s, f in scales.items()},
        "croissance": {key: round(largest[key] / first[key], 2) for key in growth}
        | {"lignes": round(largest["rows"]["consommation"] / first["rows"]["consommation"], 2)},
        "duree_min": round(minutes, 1),
    }
    refresh.save(None, figures, measured_at, machine)
    loads = ", ".join(
        f"{_number(s['load_average_1min'])} à {_scale_label(scale)}" for scale, s in scales.items()
    )
    lines = [
        f"Mesuré le {measured_at[:10]} sur {machine['cores']} cœurs ({machine['processor']}), "
        f"{_number(machine['memory_gb'])} Gio, Python {machine['python']}, DuckDB "
        f"{machine['duckdb']}, polars {machine['polars']}, Prefect {machine['prefect']}, en "
        f"{_number(round(minutes))} min ; charge moyenne (1 min) au début de chaque échelle : "
        f"{loads}. Croissance : de la plus petite échelle à la plus grande.",
        "",
        *_summary(scales),
        "",
        f"Détail à {_scale_label(max(scales))} :",
        "",
        *_detail(largest),
    ]
    print("\n".join(lines))
    refresh.docs_table("bench", lines)


if __name__ == "__main__":
    main()
