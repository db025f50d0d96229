"""The marts and the order they are built in, derived from what each one reads.

A SQL mart is its file, ``warehouse/sql/<name>.sql``: what it reads and writes is read from its
text (``schema.table`` after ``from``/``join``, and after ``create … table|view``), as dbt reads
``ref()``. A mart written in Python declares both. The build order is a topological sort of
those reads; a mart is built only when what it reads exists (staged, or written by a mart built
before it) and is rebuilt only when something upstream changed in this run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from graphlib import TopologicalSorter
from importlib.resources import files
from typing import Any

import duckdb

from warehouse.internal import sql

# Map a function over items, in parallel where the caller can (the flow passes Prefect tasks).
Mapper = Callable[[Callable[[Any], Any], list[Any]], list[Any]]
Builder = Callable[[duckdb.DuckDBPyConnection, Mapper], None]

SCHEMAS = ("staging", "marts", "interne", "partenaires")
_COMMENT = re.compile(r"--[^\n]*")
_WRITES = re.compile(
    r"\bcreate\s+(?:or\s+replace\s+)?(?:table|view)\s+(?:if\s+not\s+exists\s+)?"
    rf"((?:{'|'.join(SCHEMAS)})\.\w+)",
    re.IGNORECASE,
)
_REFERENCES = re.compile(rf"\b((?:{'|'.join(SCHEMAS)})\.\w+)\b", re.IGNORECASE)


def _sequential(function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    return [function(item) for item in items]


@dataclass(frozen=True)
class Mart:
    """One step of the build: its name, what it reads and writes, and how it is built."""

    name: str
    reads: frozenset[str]
    writes: frozenset[str]
    build: Builder = field(repr=False)
    sql_files: tuple[str, ...] = ()


def sql_tables(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """What a SQL text reads and writes, as ``schema.table`` (comments ignored)."""
    code = _COMMENT.sub("", text).lower()
    writes = frozenset(_WRITES.findall(code))
    return frozenset(_REFERENCES.findall(code)) - writes, writes


def from_sql(name: str) -> Mart:
    """The mart of ``warehouse/sql/<name>.sql``."""
    reads, writes = sql_tables(sql(name))

    def run(con: duckdb.DuckDBPyConnection, _map: Mapper) -> None:
        con.execute(sql(name))

    return Mart(name, reads, writes, run)


def _territories_geometries(con: duckdb.DuckDBPyConnection, map_: Mapper) -> None:
    from warehouse import geometries  # shapely: imported only when shapes are made

    geometries.write(con, map_(geometries.region_frame, geometries.regions(con)))


def _contracts(con: duckdb.DuckDBPyConnection, _map: Mapper) -> None:
    from warehouse import contrats as overlay  # shapely: imported only when marts are built

    con.execute(sql("contrats"))
    overlay.build(con)  # the 2019 CTE perimeters are drawn: their EPCI come from an overlay
    con.execute(sql("contrats_rapprochement"))


def _objectives_list(con: duckdb.DuckDBPyConnection, _map: Mapper) -> None:
    from warehouse import objectifs

    objectifs.write_list(con)


def _objectives(con: duckdb.DuckDBPyConnection, _map: Mapper) -> None:
    from warehouse import objectifs

    objectifs.build(con)


def _consumption(con: duckdb.DuckDBPyConnection, _map: Mapper) -> None:
    # a warehouse built before marts.consommation became a view holds it as a table
    old_table = con.execute(
        "select count(*) from duckdb_tables() "
        "where schema_name = 'marts' and table_name = 'consommation'"
    ).fetchone()
    if old_table and old_table[0]:
        con.execute("drop table marts.consommation")
    con.execute(sql("consommation"))


def _python(
    name: str,
    builder: Builder,
    reads: Iterable[str] = (),
    writes: Iterable[str] = (),
    sql_files: Iterable[str] = (),
) -> Mart:
    """A mart built in Python: what it declares, plus what the SQL files it runs read and write."""
    all_reads, all_writes = set(reads), set(writes)
    for file in sql_files:
        r, w = sql_tables(sql(file))
        all_reads |= r
        all_writes |= w
    return Mart(
        name, frozenset(all_reads - all_writes), frozenset(all_writes), builder, tuple(sql_files)
    )


# SQL files that are not marts: the warehouse's own tables, the trajectory macros, the publish.
NOT_MARTS = ("internal", "trajectoire", "publish")


def _python_marts() -> tuple[Mart, ...]:
    """The marts built in Python, each with the SQL files it runs."""
    return (
        _python(
            "geometries",
            _territories_geometries,
            reads=["marts.communes", "marts.communes_niveaux", "staging.territoires_communes"],
            writes=["marts.geometries"],
        ),
        _python(
            "contrats",
            _contracts,
            reads=["marts.geometries", "marts.epci", "marts.epci_territoires", "marts.regions"],
            writes=["marts.contrats_rapprochement"],
            sql_files=["contrats", "contrats_rapprochement"],
        ),
        _python("consommation", _consumption, sql_files=["consommation"]),
        _python("objectifs_liste", _objectives_list, writes=["marts.objectifs"]),
        _python(
            "objectifs",
            _objectives,
            reads=["marts.objectifs", "marts.couverture", "marts.contrats"],
            writes=["marts.objectifs_valeurs"],
            sql_files=["objectifs"],
        ),
    )


@cache
def marts() -> tuple[Mart, ...]:
    """Every mart, in no particular order (:func:`plan` orders them): those built in Python,
    and every other file of ``warehouse/sql/``, so that a new source's SQL needs no line here."""
    python = _python_marts()
    claimed = {f for m in python for f in m.sql_files} | set(NOT_MARTS)
    folder = files("warehouse") / "sql"
    names = sorted(
        entry.name.removesuffix(".sql") for entry in folder.iterdir() if entry.name.endswith(".sql")
    )
    return python + tuple(from_sql(name) for name in names if name not in claimed)


def order(steps: Iterable[Mart]) -> list[Mart]:
    """``steps`` sorted so that each comes after the marts that write what it reads."""
    steps = list(steps)
    writer = {table: m.name for m in steps for table in m.writes}
    graph = {
        m.name: {writer[t] for t in m.reads if t in writer and writer[t] != m.name} for m in steps
    }
    by_name = {m.name: m for m in steps}
    return [by_name[name] for name in TopologicalSorter(graph).static_order()]


def existing(con: duckdb.DuckDBPyConnection) -> set[str]:
    """``schema.table`` of every table and view of the warehouse."""
    rows = con.execute(
        "select schema_name || '.' || table_name from duckdb_tables() "
        "where database_name = current_database() "
        "union all select schema_name || '.' || view_name from duckdb_views() "
        "where database_name = current_database() and not internal"
    ).fetchall()
    return {r[0] for r in rows}


def plan(con: duckdb.DuckDBPyConnection, changed: set[str], force: bool = False) -> list[Mart]:
    """The marts to build now, in order: those whose inputs all exist, and of them those with
    something upstream in ``changed`` (staging tables loaded in this run), with an output
    missing, or all of them when ``force``."""
    present = existing(con)
    available = set(present)
    dirty = set(changed)
    steps = []
    for mart in order(marts()):
        if not mart.reads <= available:
            continue
        available |= mart.writes
        if force or mart.reads & dirty or not mart.writes <= present:
            dirty |= mart.writes
            steps.append(mart)
    return steps


def build(con: duckdb.DuckDBPyConnection, steps: list[Mart], map_: Mapper = _sequential) -> None:
    """Build ``steps`` in order, each in its own transaction (a national mart's transaction
    holds its rows uncompressed in memory: one at a time keeps the peak down)."""
    for mart in steps:
        con.execute("begin")
        mart.build(con, map_)
        con.execute("commit")
