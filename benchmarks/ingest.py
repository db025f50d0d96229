"""Validated ingest of the national consumption file against the physical limit.

Writes the national demo consumption (2.2 M rows) as ORE's CSV export, then times, in one run:
DuckDB's ``read_csv`` of the file into a table (the anchor: reading without checking), the
project's path (read, repair codes, type, pandera contract with referential check), and the
path a user would write first (pandas ``read_csv`` + pandera's pandas API, same rules).
Prints a table and merges the ratios into ``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as ppa

from flows import consommation
from flows.demo import consommation as demo
from flows.reference import Territories
from flows.source import RawFile
from schemas.consommation import SECTEURS

RESULTS = Path(__file__).parent / "results" / "latest.json"
REPEAT = 3


def _best(run) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _pandas_path(path: Path, communes: list[str]) -> None:
    schema = ppa.DataFrameSchema(
        {
            "FILIERE": ppa.Column(str, ppa.Check.isin(["Electricité", "Gaz"])),
            "Année": ppa.Column(int, ppa.Check.in_range(2008, 2030)),
            "Code Commune": ppa.Column(str, ppa.Check.isin(communes)),
            "CODE GRAND SECTEUR": ppa.Column(str, ppa.Check.isin(SECTEURS)),
            "Nb sites": ppa.Column(int, ppa.Check.ge(0)),
            "Conso totale (MWh)": ppa.Column(float, ppa.Check.ge(0), nullable=True),
        }
    )
    frame = pd.read_csv(path, sep=";", dtype={"Code Commune": str, "CODE SECTEUR NAF2": str})
    schema.validate(frame, lazy=True)


def main() -> None:
    ref = Territories.load()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        path = Path(folder) / "conso.csv"
        path.write_bytes(b"\xef\xbb\xbf" + demo.series().write_csv(separator=";").encode())
        data = path.read_bytes()
        rows = data.count(b"\n") - 1

        def anchor() -> None:
            with duckdb.connect() as con:
                con.execute(
                    f"create table t as select * from read_csv('{path}', delim=';', header=true)"
                )

        def ours() -> None:
            checked = consommation._one(RawFile(path.name, str(path), data), ref)
            assert checked.rejected.height == 0

        duck_s, ours_s = _best(anchor), _best(ours)
        pandas_s = _best(lambda: _pandas_path(path, sorted(ref.communes)))
    figures = {
        "ingest_rows": rows,
        "ingest_duckdb_read_csv_s": round(duck_s, 3),
        "ingest_validated_s": round(ours_s, 3),
        "ingest_pandas_pandera_s": round(pandas_s, 3),
        "ingest_ratio_vs_duckdb": round(ours_s / duck_s, 2),
        "ingest_ratio_vs_pandas": round(ours_s / pandas_s, 2),
    }
    for key, value in figures.items():
        print(f"{key:<28}{value:>12}")
    latest = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps(latest | figures, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
