"""Publish step: build a new DuckDB file beside the old one, then swap it in atomically.

DuckDB locks a file for its writer, so the public file is never opened for writing in place:
readers keep the old inode until they reopen, and a failed build leaves the old file untouched.
The open data package (``warehouse/opendata.py``) and the map outlines (``warehouse/outlines.py``)
are written from the new public file before it is swapped in, so that a package that fails to
build publishes nothing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse import audit, datatests, dictionnaire, opendata, outlines
from warehouse.internal import bounded, scalar, sql
from warehouse.paths import READABLE_FILE
from warehouse.status import Status


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _temp_glob(target: Path) -> str:
    """Names of the files a build of ``target`` writes beside it before the swap."""
    return f".{target.stem}-*.duckdb*"


def clean_stale(target: Path) -> list[Path]:
    """Remove leftovers of a build that was killed: temporary files and a WAL orphaned by them."""
    stale = list(target.parent.glob(_temp_glob(target)))
    wal = target.with_name(target.name + ".wal")
    if wal.exists():
        stale.append(wal)
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


@contextmanager
def replacing(
    con: duckdb.DuckDBPyConnection,
    target: Path,
    alias: str,
    finish: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    mode: int | None = None,
) -> Iterator[None]:
    """Attach a new file beside ``target`` as ``alias`` for the block to fill, then swap it in;
    ``finish``, when given, works on the filled file, opened alone, just before the swap, and
    ``mode`` sets its permissions (else those the umask gave it, owner only in a refresh).

    If the block or ``finish`` fails, the new file is removed and ``target`` is left as it was."""
    temp = target.with_name(f".{target.stem}-{uuid.uuid4().hex}.duckdb")
    try:
        con.execute(f"attach '{_quoted(temp)}' as {alias}")
        try:
            yield
        finally:
            con.execute(f"detach {alias}")
        # A fresh connection checkpoints into the single file so no WAL travels with it.
        with bounded(duckdb.connect(str(temp))) as final:
            if finish is not None:
                finish(final)
            final.execute("checkpoint")
        Path(f"{temp}.wal").unlink(missing_ok=True)
        if mode is not None:
            temp.chmod(mode)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
        Path(f"{temp}.wal").unlink(missing_ok=True)


def copy_schema(con: duckdb.DuckDBPyConnection, schema: str, alias: str) -> list[str]:
    """Copy every table of the warehouse's ``schema`` into the attached file ``alias``, and
    write every view of it there as a table."""
    tables = [
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() "
            "where database_name = current_database() and schema_name = $1 "
            "union all "
            "select view_name from duckdb_views() "
            "where database_name = current_database() and schema_name = $1 "
            "order by 1",
            [schema],
        ).fetchall()
    ]
    for table in tables:
        con.execute(f'create table {alias}."{table}" as select * from {schema}."{table}"')
    return tables


def _public_text(text: str | None) -> str | None:
    return audit.public_text(text)


def publish(
    con: duckdb.DuckDBPyConnection,
    public: Path,
    run_id: str,
    published_at: datetime,
    package: Path | None = None,
    described: dict[str, dict] | None = None,
) -> dict[str, int]:
    """Copy every mart, the provenance and the run history into a new file and swap it in,
    with the descriptions of the sources' tables (``described``) and the warehouse's own;
    write its open data package and map outlines under ``package`` when given."""

    def describe(final: duckdb.DuckDBPyConnection) -> None:
        datatests.refuse_contacts(final)  # before anything is written from it
        tables = dictionnaire.tables(described or {})
        dictionnaire.comment(final, tables)
        if package is not None:
            opendata.write(final, package, tables)
            outlines.write(final, package)

    with replacing(con, public, "pub", describe, READABLE_FILE):
        marts = copy_schema(con, "marts", "pub")
        warehouse = scalar(con, "select current_database()")
        con.execute("use pub")
        con.execute(sql("trajectoire"))  # the rule, for whoever reads the file (SQL macros)
        con.execute(f'use "{warehouse}"')
        con.execute("set variable id_execution = ?", [run_id])
        con.execute("set variable charge = ?", [Status.LOADED])
        con.execute("set variable publie = ?", [Status.PUBLISHED])
        # run messages are published masked (values, header names, contacts: audit.public_text)
        con.create_function("texte_public", _public_text, ["VARCHAR"], "VARCHAR")
        try:
            con.execute(sql("publish"))
        finally:
            con.remove_function("texte_public")
        con.execute(
            "create table pub.publication as select ?::varchar as id_execution, "
            "?::timestamptz as publie_le",
            [run_id, published_at],
        )
        counts = {
            table: scalar(con, f'select count(*) from pub."{table}"')
            for table in [*marts, "sources", "executions"]
        }
    return counts


def table_counts(public: Path) -> dict[str, int]:
    """Rows of every table of the published file (none when there is no file yet)."""
    if not public.exists():
        return {}
    with duckdb.connect(str(public), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        return {t: scalar(con, f'select count(*) from "{t}"') for t in tables}
