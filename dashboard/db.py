"""The dashboard's only door to data: parameterised, read-only queries on ``public.duckdb``.
Each page's queries live beside it, in ``dashboard/queries/``; they only read what the publish
wrote: the marts carry every rule (a contract's start, an objective's status), the publish writes
the files served as they are (the open data package, the map outlines).

Results are cached by Streamlit under the published file's identity (path, inode and mtime), so a
new publish is seen on the next rerun without restarting the server.

Cache misses run on one in-memory DuckDB of the process, which attaches the published file
read-only and re-attaches it when the file changes. Opening a database costs 30-70 ms on a busy
2-core machine, a query a few milliseconds; and ``duckdb.connect(path)`` would return a
process-wide cached instance while any connection to that path is open, serving a file that has
since been replaced. Queries run one at a time under a lock; those of a page that needs them all
run at once on a few cursors (:func:`queries`).

Values always travel as parameters (``$1``, ``$2``); a filter left empty is passed as ``None``.
Times are returned in Paris time, without time zone: they are shown so, and naive timestamps
convert to pandas two to three times faster than zoned ones.
"""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import duckdb
import pandas as pd
import streamlit as st

from warehouse.paths import Home
from warehouse.status import Status

Version = tuple[str, int, int]
P = ParamSpec("P")
T = TypeVar("T")
Statement = tuple[str, tuple]  # SQL and its parameters
# Cursors that run one page's queries at once: on two cores, more brought nothing.
CURSORS = 3
# Argument sets a chart builder keeps built (:func:`per_publication`).
BUILT = 64


class NotPublished(RuntimeError):
    """No public file yet."""


def public_file() -> Path:
    return Home.from_env().public


def version() -> Version:
    """Identity of the file published right now."""
    path = public_file()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise NotPublished(str(path)) from None
    return str(path), stat.st_ino, stat.st_mtime_ns


class _Published:
    """One in-memory DuckDB with the published file attached read-only as ``pub``, and a few
    cursors on it to run one page's queries at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version: Version | None = None
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._pool = ThreadPoolExecutor(CURSORS, thread_name_prefix="queries")

    @property
    def _connection(self) -> duckdb.DuckDBPyConnection:
        """The in-memory database, once :meth:`_attached` has opened it."""
        if self._con is None:
            raise RuntimeError("the in-memory DuckDB is not open yet: call _attached() first")
        return self._con

    def _attached(self, file_version: Version) -> None:
        if self._con is None:
            self._con = duckdb.connect(":memory:")
        if self._version != file_version:
            for cursor in self._cursors:
                cursor.close()
            self._cursors = []
            self._con.execute("use memory")
            self._con.execute("detach database if exists pub")
            self._version = None
            _attach(self._con, file_version[0])
            self._version = file_version

    def run(self, sql: str, params: tuple, file_version: Version) -> pd.DataFrame:
        with self._lock:
            self._attached(file_version)
            return self._connection.execute(sql, list(params)).df()

    def run_many(self, statements: tuple[Statement, ...], file_version: Version) -> list:
        """The frames of ``statements``, run at once on up to CURSORS cursors."""
        with self._lock:
            self._attached(file_version)
            while len(self._cursors) < CURSORS:
                cursor = self._connection.cursor()
                cursor.execute("use pub")
                self._cursors.append(cursor)
            free: queue.SimpleQueue = queue.SimpleQueue()
            for cursor in self._cursors:
                free.put(cursor)

            def run(statement: Statement) -> pd.DataFrame:
                cursor = free.get()
                try:
                    return cursor.execute(statement[0], list(statement[1])).df()
                finally:
                    free.put(cursor)

            return list(self._pool.map(run, statements))

    def rows(self, sql: str, params: tuple, file_version: Version) -> list[tuple]:
        """The rows as Python tuples, for a few rows that become objects, not a frame."""
        with self._lock:
            self._attached(file_version)
            return self._connection.execute(sql, list(params)).fetchall()


def _attach(con: duckdb.DuckDBPyConnection, path: str) -> None:
    con.execute("attach ? as pub (read_only)", [path])
    con.execute("use pub")


_published = _Published()


# Kept as they are, not pickled (``st.cache_data`` pickles every result it stores and unpickles
# it at every hit): under pandas' copy-on-write, the shallow copy each caller gets behaves as a
# copy, so no page can alter what the cache holds.
@st.cache_resource(show_spinner=False, max_entries=512)
def _query(sql: str, params: tuple, file_version: Version) -> pd.DataFrame:
    return _published.run(sql, params, file_version)


def query(sql: str, *params: object) -> pd.DataFrame:
    """Run one parameterised query on the current public file."""
    return _query(sql, params, version()).copy(deep=False)


@st.cache_resource(show_spinner=False, max_entries=256)
def _queries(statements: tuple[Statement, ...], file_version: Version) -> list[pd.DataFrame]:
    return _published.run_many(statements, file_version)


def queries(*statements: Statement) -> list[pd.DataFrame]:
    """Run several parameterised queries (SQL, parameters) at once on the current public file,
    for a page that needs them all; cached together, like :func:`query`."""
    return [frame.copy(deep=False) for frame in _queries(statements, version())]


def per_publication(build: Callable[P, T]) -> Callable[P, T]:
    """``build`` run once per published file and arguments, its result kept as it is (never
    copied: see :class:`dashboard.components.Chart`) for every reader of the process. A page run
    that finds its charts built does no pandas and no Plotly work: on two cores, the figures'
    construction was half of a warm page run's time. Each builder keeps its :data:`BUILT` latest
    argument sets: a crawler opening 400 territories one after another left a worker at 692 MiB
    (651 MiB when charts were not kept, 835 MiB keeping 256 of each)."""

    @st.cache_resource(show_spinner=False, max_entries=BUILT)
    @functools.wraps(build)
    def cached(file_version: Version, *args: Any) -> T:
        return build(*args)  # type: ignore[call-arg]

    @functools.wraps(build)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        assert not kwargs, "a builder's arguments are positional (they are its cache key)"
        return cached(version(), *args)

    return call


# --- Provenance, shared by every page -------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One source as the pages cite it (the columns of ``sources``: editeur, jeu_de_donnees,
    millesime, charge_le)."""

    source: str
    publisher: str
    dataset: str
    licence: str
    vintage: str
    loaded_at: datetime  # Paris time
    demo: bool


@dataclass(frozen=True)
class Provenance:
    """What every page cites: its sources, those that failed in the run this file publishes
    (they show their previous load) and when the file was published (Paris time)."""

    sources: tuple[Source, ...]
    failed: tuple[str, ...]
    published_at: datetime

    def of(self, names: Collection[str]) -> list[Source]:
        return [s for s in self.sources if s.source in names]


def provenance() -> Provenance:
    return _provenance(version())


# Read once per publication and process: every chart's caption and every footer cite it, and a
# frozen object needs no copy (``st.cache_data`` unpickles a fresh frame at every call).
@st.cache_resource(show_spinner=False, max_entries=4)
def _provenance(file_version: Version) -> Provenance:
    ((sources, failed, published_at),) = _published.rows(
        """select (select list(s order by s.source) from (
                      select source, editeur as publisher, jeu_de_donnees as dataset, licence,
                             millesime as vintage,
                             timezone('Europe/Paris', min(charge_le)) as loaded_at,
                             bool_or(demo) as demo
                      from sources group by source, editeur, jeu_de_donnees, licence, millesime
                  ) as s),
                  (select coalesce(list(source order by source), [])
                   from executions
                   where statut = """
        + Status.FAILED.sql
        + """
                     and id_execution = (select id_execution from publication)),
                  (select timezone('Europe/Paris', max(publie_le)) from publication)""",
        (),
        file_version,
    )
    return Provenance(tuple(Source(**s) for s in sources or []), tuple(failed), published_at)
