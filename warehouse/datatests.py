"""Data tests of the marts, run after they are built and before anything is published.

As dbt's schema tests, they are declared beside the tables they guard, in the data dictionary
(a source's spec or ``dictionnaire.yaml``):

- ``cle`` (the key) is tested ``unique`` and ``not_null``;
- each of ``renvoie`` is a ``relationships`` test: every value points to a row of its table;
- ``tests`` adds others: ``not_null: [columns]``, ``unique: [columns]`` (empty values equal),
  ``accepted_values: {column: [values]}``,
  ``row_count: {min: n, max_drop: share}`` (``max_drop``: the largest share of its rows the
  table may lose since the last publication).

A failed test refuses the publish, like a failed source: the public file keeps serving the
last good data. A test may say ``severity: warn`` to be reported only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

ERROR, WARN = "erreur", "avertissement"
SAMPLE = 3  # failing values quoted in a result's message


@dataclass(frozen=True)
class Result:
    """One test of one table: how many rows fail it, and a few of them."""

    table: str
    test: str
    failures: int
    sample: str = ""
    severity: str = ERROR

    @property
    def passed(self) -> bool:
        return self.failures == 0

    def __str__(self) -> str:
        return f"{self.table} : {self.test} — {self.failures} ligne(s) en échec ({self.sample})"


def _columns(names: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in names)


def _count(con: duckdb.DuckDBPyConnection, query: str) -> tuple[int, str]:
    """Rows returned by ``query`` and the first of them, as text."""
    rows = con.execute(f"select count(*) over (), * from ({query}) limit {SAMPLE}").fetchall()
    if not rows:
        return 0, ""
    return rows[0][0], " ; ".join(str(tuple(r[1:])) for r in rows)


def _unique(con, schema: str, table: str, key: list[str]) -> tuple[int, str]:
    return _count(
        con,
        f'select {_columns(key)}, count(*) as n from {schema}."{table}" '
        f"group by all having count(*) > 1",
    )


def _not_null(con, schema: str, table: str, column: str) -> tuple[int, str]:
    return _count(con, f'select * from {schema}."{table}" where "{column}" is null')


def _relationship(con, schema: str, table: str, ref: dict[str, Any]) -> tuple[int, str]:
    source, target, parent = ref["colonnes"], ref.get("vers", ref["colonnes"]), ref["table"]
    on = " and ".join(f't."{b}" = s."{a}"' for a, b in zip(source, target, strict=True))
    filled = " and ".join(f's."{c}" is not null' for c in source)
    chosen = ", ".join(f's."{c}"' for c in source)
    return _count(
        con,
        f'select distinct {chosen} from {schema}."{table}" as s where {filled} and not exists '
        f'(select 1 from {schema}."{parent}" as t where {on})',
    )


def _accepted(con, schema: str, table: str, column: str, values: list) -> tuple[int, str]:
    con.execute("set variable accepted = ?", [values])
    accepted = "getvariable('accepted')"
    return _count(
        con,
        f'select distinct "{column}" from {schema}."{table}" '
        f'where "{column}" is not null and not list_contains({accepted}, "{column}")',
    )


def _rows(con, schema: str, table: str) -> int:
    return con.execute(f'select count(*) from {schema}."{table}"').fetchone()[0]


def run(
    con: duckdb.DuckDBPyConnection,
    described: dict[str, dict],
    schema: str = "marts",
    published: dict[str, int] | None = None,
    personal: tuple[str, ...] = (),
) -> list[Result]:
    """Every test of every described table present in ``schema``; ``published`` holds each
    table's rows in the last publication, ``personal`` the columns no public table may have."""
    present = {
        row[0]: row[1]
        for row in con.execute(
            "select table_name, list(column_name) from duckdb_columns() "
            "where database_name = current_database() and schema_name = ? group by all",
            [schema],
        ).fetchall()
    }
    results = []
    for table, columns in sorted(present.items()):
        leaked = sorted(set(columns) & set(personal))
        if leaked:
            results.append(Result(table, "donnée personnelle", len(leaked), ", ".join(leaked)))
    for table, spec in described.items():
        if table not in present:
            continue
        key = spec.get("cle", [])
        if key:
            results.append(Result(table, f"unique {key}", *_unique(con, schema, table, key)))
            for column in key:
                results.append(
                    Result(table, f"not_null {column}", *_not_null(con, schema, table, column))
                )
        for ref in spec.get("renvoie", []):
            if ref["table"] in present:
                results.append(
                    Result(
                        table,
                        f"relationships {ref['colonnes']} → {ref['table']}",
                        *_relationship(con, schema, table, ref),
                    )
                )
        tests = spec.get("tests", {})
        severity = tests.get("severity", ERROR)
        if "unique" in tests:
            columns = tests["unique"]
            failures, sample = _unique(con, schema, table, columns)
            results.append(Result(table, f"unique {columns}", failures, sample, severity))
        for column in tests.get("not_null", []):
            results.append(
                Result(
                    table, f"not_null {column}", *_not_null(con, schema, table, column), severity
                )
            )
        for column, values in tests.get("accepted_values", {}).items():
            failures, sample = _accepted(con, schema, table, column, values)
            results.append(Result(table, f"accepted_values {column}", failures, sample, severity))
        if "row_count" in tests:
            rows, limits = _rows(con, schema, table), tests["row_count"]
            if rows < limits.get("min", 0):
                results.append(
                    Result(table, f"row_count ≥ {limits['min']}", 1, f"{rows} lignes", severity)
                )
            before = (published or {}).get(table)
            if before and "max_drop" in limits and rows < before * (1 - limits["max_drop"]):
                results.append(
                    Result(
                        table,
                        f"row_count baisse ≤ {limits['max_drop']:.0%}",
                        1,
                        f"{before} → {rows} lignes",
                        severity,
                    )
                )
    return results


def failed(results: list[Result]) -> list[Result]:
    """The results that refuse a publish."""
    return [r for r in results if not r.passed and r.severity == ERROR]
