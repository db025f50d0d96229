"""The internal warehouse file: one connection helper and the DDL of its fixed layers."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

import duckdb


def sql(name: str) -> str:
    """Text of ``warehouse/sql/<name>.sql``."""
    return (files("warehouse") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def one(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> tuple:
    """The first row ``query`` returns (an aggregate always returns one)."""
    row = con.execute(query, params or []).fetchone()
    if row is None:
        raise LookupError(f"aucune ligne : {query}")
    return row


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> Any:
    """The one value ``query`` returns (a count, a name)."""
    return one(con, query, params)[0]


OWNER_ONLY = 0o600  # the warehouse holds staging and quarantine: contacts, rejected rows


def owner_only(path: Path) -> None:
    """Make ``path`` readable by its owner only, if it is not already (files DuckDB creates
    follow the umask: world-readable)."""
    if path.exists() and path.stat().st_mode & 0o777 != OWNER_ONLY:
        path.chmod(OWNER_ONLY)


# DuckDB's memory, at most (its default: 80 % of the machine's): beyond, it writes what it sorts
# and groups to its temporary folder beside the file. A refresh's polars slices and Python come
# on top of it; ``OBSERVATOIRE_DUCKDB_MEMORY`` changes it (DuckDB's units: « 2GB »).
MEMORY_LIMIT = "800MB"


def bounded(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """``con``, its database's memory capped at ``MEMORY_LIMIT`` (or the environment's)."""
    limit = os.environ.get("OBSERVATOIRE_DUCKDB_MEMORY") or MEMORY_LIMIT
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", limit, re.IGNORECASE):
        raise ValueError(f"OBSERVATOIRE_DUCKDB_MEMORY : {limit!r} n'est pas une taille (« 2GB »)")
    con.execute(f"set memory_limit = '{limit}'")
    return con


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the internal warehouse, creating its layers on first use; its file is the owner's
    only (DuckDB's write-ahead log, while it exists, follows the umask)."""
    con = bounded(duckdb.connect(str(path), read_only=read_only))
    try:
        if not read_only:
            owner_only(path)
            con.execute(sql("internal"))
            # a failure's full message, quoting the file, stays here (audit.finish)
            con.execute("alter table audit.executions add column if not exists detail varchar")
            con.execute(sql("trajectoire"))
        yield con
    finally:
        con.close()
