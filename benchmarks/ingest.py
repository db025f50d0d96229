"""Validated ingest of an energy file against the physical limit, in one run.

For a file in its publisher's format (see ``generate.py``), times, interleaved and ``repeat``
times each (medians):

- DuckDB's ``read_csv`` into a table of the columns the project reads (the anchor: reading
  without checking; 9 of ORE's 47 columns, every column of Enedis');
- the project's path as a refresh runs it: read the table from the file a slice of records at a
  time, repair codes, type, apply the pandera contract with its referential check, and for
  production make the long table to stage;
- the path a user would write first: pandas ``read_csv`` of the contract's columns, then
  pandera's pandas API with the same rules (it neither repairs codes nor says which cell is
  wrong).

``python benchmarks/ingest.py --scale 0.25`` prints the figures of both energy files.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import generate
import pandas as pd
import pandera.pandas as ppa

from flows.connector import RawFile
from flows.reference import Territories
from flows.sources import consommation, production
from schemas.consommation import ORE_COLUMNS, SECTEURS
from schemas.production import filieres

REPEAT = 3


def _pandas_consommation(path: Path, communes: list[str]) -> None:
    schema = ppa.DataFrameSchema(
        {
            "FILIERE": ppa.Column(str, ppa.Check.isin(["Electricité", "Gaz"])),
            "Année": ppa.Column(int, ppa.Check.in_range(2008, 2030)),
            "Code Commune": ppa.Column(str, ppa.Check.isin(communes)),
            "CODE GRAND SECTEUR": ppa.Column(str, ppa.Check.isin(SECTEURS)),
            "Nb sites": ppa.Column(float, ppa.Check.ge(0), nullable=True),
            "Conso totale (MWh)": ppa.Column(float, ppa.Check.ge(0), nullable=True),
        }
    )
    frame = pd.read_csv(
        path,
        sep=";",
        usecols=[*schema.columns, "OPERATEUR", "CODE CATEGORIE CONSOMMATION", "CODE SECTEUR NAF2"],
        dtype={"Code Commune": str, "CODE SECTEUR NAF2": str, "Nb sites": float},
    )
    schema.validate(frame, lazy=True)


def _pandas_production(path: Path, communes: list[str]) -> None:
    header = pd.read_csv(path, sep=";", nrows=0).columns
    measures = {
        f"{kind}_{f}_enedis{unit}": ppa.Column(float, ppa.Check.ge(0), nullable=True)
        for f in filieres(list(header))
        for kind, unit in (("nb_sites", ""), ("energie_produite_annuelle", "_mwh"))
    }
    schema = ppa.DataFrameSchema(
        {
            "annee": ppa.Column(int, ppa.Check.in_range(2008, 2030)),
            "code_commune": ppa.Column(str, ppa.Check.isin(communes)),
            "domaine_de_tension": ppa.Column(str, nullable=True),
            **measures,
        }
    )
    frame = pd.read_csv(
        path, sep=";", decimal=",", usecols=list(schema.columns), dtype={"code_commune": str}
    )
    schema.validate(frame, lazy=True)


def _columns(name: str, path: Path) -> str:
    """What the project reads of the file: ORE's contract columns of 47, all of Enedis'."""
    if name != "consommation":
        return "*"
    with path.open(encoding="utf-8-sig") as f:
        header = f.readline().rstrip("\r\n").split(";")
    return ", ".join(f'"{c}"' for c in header if c.strip().lower() in ORE_COLUMNS)


def _ours(name: str, path: Path, ref: Territories) -> Callable[[], None]:
    def run() -> None:
        raw = RawFile(path.name, str(path), path=path)
        # a slice of records at a time, as a refresh checks a national file (read_slices)
        for checked in (consommation if name == "consommation" else production)._sliced([raw], ref):
            assert checked.rejected.height == 0, checked.messages(limit=3)

    return run


def measure(name: str, path: Path, repeat: int = REPEAT) -> dict:
    """Seconds (medians) of the three paths on ``path``, its rows and the two ratios."""
    ref = Territories.load()
    communes = sorted(ref.communes)

    select = _columns(name, path)

    def anchor() -> None:
        with duckdb.connect() as con:
            con.execute(
                f"create table t as select {select} from read_csv('{path}', delim=';', header=true)"
            )

    pandas = _pandas_consommation if name == "consommation" else _pandas_production
    paths = {
        "duckdb_read_csv": anchor,
        "validated": _ours(name, path, ref),
        "pandas_pandera": lambda: pandas(path, communes),
    }
    times: dict[str, list[float]] = {key: [] for key in paths}
    for _ in range(repeat):  # interleaved: a burst of load on the machine hits every path
        for key, run in paths.items():
            start = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - start)
    duck, ours, naive = (statistics.median(times[key]) for key in paths)
    with path.open("rb") as f:
        rows = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b"")) - 1
    return {
        "rows": rows,
        "mb": round(path.stat().st_size / 2**20, 1),
        "duckdb_read_csv_s": round(duck, 3),
        "validated_s": round(ours, 3),
        "pandas_pandera_s": round(naive, 3),
        "ratio_vs_duckdb": round(ours / duck, 2),
        "ratio_vs_pandas": round(ours / naive, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, choices=generate.SCALES, default=1.0)
    parser.add_argument("--repeat", type=int, default=REPEAT)
    args = parser.parse_args()
    paths = generate.ensure(args.scale)
    for name in ("consommation", "production"):
        for key, value in measure(name, paths[name], args.repeat).items():
            print(f"{name:<14}{key:<22}{value:>12}")


if __name__ == "__main__":
    main()
