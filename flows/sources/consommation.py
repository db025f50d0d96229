"""Source ``consommation``: Agence ORE's annual electricity and gas consumption by commune.

Reads ORE's national export schema (``;``, BOM, French headers, blank secret cells) as CSV or as
the Parquet its Opendatasoft portal exports. ``--from consommation=ore`` downloads the datasets
listed in ``consommation.yaml`` from the portal (both methodologies: before and from 2022);
any other location is one file. The embedded default is the demo of
``flows/demo/consommation.py``. Old commune codes are mapped to today's, and the mapping recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

import duckdb
import polars as pl

from flows.codes import repair_column
from flows.connector import EMBEDDED, FileToRead, RawFile
from flows.demo import consommation as demo
from flows.reference import Territories
from flows.tabular import read_text_slices, read_text_table
from schemas.check import Checked, ContractError, numbers, require_columns
from schemas.check import check as check_table

DEMO_FILE = "consommation_demo.parquet"


def embedded() -> list[RawFile]:
    return [RawFile(DEMO_FILE, EMBEDDED, demo.parquet_bytes())]


def _ore_numbers() -> dict[str, pl.DataType]:
    """ORE headers of the contract's number columns: the CSV reader parses them when it can."""
    from schemas.consommation import ORE_COLUMNS, ConsommationBrute

    typed = numbers(ConsommationBrute)
    return {ore: typed[name] for ore, name in ORE_COLUMNS.items() if name in typed}


def _checked(raw: pl.DataFrame, file: FileToRead, ref: Territories) -> Checked:
    """The contract applied to ``raw``: a whole file, or a slice of its rows."""
    # the contract (pandera) is imported only when a file is checked
    from schemas.consommation import ORE_COLUMNS, with_communes

    # a file without the contract's columns is read whole: a région file is recognised by its own
    if "code_region" in raw.columns and "code commune" not in raw.columns:
        raise ContractError(
            f"{file.origin} : fichier de l'Agence ORE à la maille région (colonne code_region, "
            "pas de code commune) : chargez-le avec --from consommation_regions=…"
        )
    require_columns(raw, ORE_COLUMNS, file.origin, "ORE")
    raw = raw.select("ligne", *ORE_COLUMNS).rename(ORE_COLUMNS)
    if raw.schema["code_commune"] != pl.String:
        raw = raw.with_columns(pl.col("code_commune").cast(pl.String))
    raw, repairs = repair_column(raw, "code_commune", ref)
    checked = check_table(raw, with_communes(ref.communes), file.origin)
    return replace(
        checked,
        repairs=repairs,
        staged=checked.valid.with_columns(pl.lit(file.name).alias("source")),
    )


def _one(file: FileToRead, ref: Territories) -> Checked:
    from schemas.consommation import ORE_COLUMNS

    raw = read_text_table(
        file.readable, file.origin, numbers=_ore_numbers(), columns=set(ORE_COLUMNS)
    )
    return _checked(raw, file, ref)


def read(
    files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None
) -> dict[str, list[Checked]]:
    ref = Territories.load(con)
    return {"consommation": [_one(file, ref) for file in files]}


def _sliced(files: Sequence[FileToRead], ref: Territories) -> Iterator[Checked]:
    from schemas.consommation import ORE_COLUMNS

    ore_numbers = _ore_numbers()
    for file in files:
        for raw in read_text_slices(
            file.readable, file.origin, numbers=ore_numbers, columns=set(ORE_COLUMNS)
        ):
            yield _checked(raw, file, ref)


def read_slices(
    files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None
) -> dict[str, Iterator[Checked]]:
    """What ``read`` gives, each file checked a slice of its rows at a time (the contract
    compares no row with another): the national file is never held whole. A slice's rows keep
    their numbers in the file; raises :class:`flows.tabular.WholeFileNeeded` when a file must
    be read whole (then call ``read``)."""
    return {"consommation": _sliced(files, Territories.load(con))}
