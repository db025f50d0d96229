"""The internal warehouse file: one connection helper and the DDL of its fixed layers."""

from __future__ import annotations

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


@contextmanager
def connect(path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the internal warehouse, creating its layers on first use."""
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        if not read_only:
            con.execute(sql("internal"))
            con.execute(sql("trajectoire"))
        yield con
    finally:
        con.close()
