"""Data tests of the marts, run after they are built and before anything is published.

As dbt's schema tests, they are declared beside the tables they guard, in the data dictionary
(a source's spec or ``dictionnaire.yaml``):

- every text column of every table of the new public file (marts, run history, provenance) is
  searched for e-mail addresses and phone numbers (``contacts``, whatever the dictionary says),
  by the publish itself, on the file it is about to swap in: there the marts are tables, which a
  scan of the warehouse's views would recompute (2 s for the whole file instead of 24 s);
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

# What no public text may hold, whatever its column: an e-mail address, a French phone number as
# people write them. Both read the same in Python and in DuckDB (RE2): ASCII classes only. The
# user part of a URL (``https://lecteur:***@crm.example.org``) is not an address: it is cut off
# first (URL_USER), and a masked credential has no letter before its ``@``.
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
PHONE = r"(?:\+33|0033|\b0)\s?[1-9](?:[ .-]?[0-9]{2}){4}\b"
URL_USER = r"[A-Za-z][A-Za-z0-9+.-]*://[^/@\s]*@"
CONTACT_TEST = "ni courriel ni téléphone"


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


def _contact(column: str) -> str:
    """SQL: whether the text of ``column`` holds an e-mail address or a phone number."""
    text = f'"{column}"::varchar'
    return (
        f"case when contains({text}, '@') then regexp_matches("
        f"regexp_replace({text}, '{URL_USER}', '://', 'g'), '{EMAIL}') else false end "
        f"or regexp_matches({text}, '{PHONE}')"
    )


def contacts(
    con: duckdb.DuckDBPyConnection, schema: str = "marts", tables: list[str] | None = None
) -> list[Result]:
    """Every text column (lists and structs of text too) of every table of ``schema`` (or of
    ``tables``) searched for an e-mail address or a phone number: one result per table, failing
    when it holds one, naming its columns and how many distinct values, never the values (the
    result is told in the run's record and the alert). Distinct values only are searched: the
    national tables repeat a few labels millions of times (2.2 M rows: 0.25 s, not 6 s)."""
    columns: dict[str, list[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name = ? "
        "and data_type like '%VARCHAR%' order by table_name, column_index",
        [schema],
    ).fetchall():
        if tables is None or table in tables:
            columns.setdefault(table, []).append(column)
    results = []
    for table, names in columns.items():
        found = {}
        for column in names:
            (n,) = con.execute(
                f"select count(*) filter ({_contact(column)}) "
                f'from (select distinct "{column}" from {schema}."{table}")'
            ).fetchone() or (0,)
            if n:
                found[column] = n
        sample = ", ".join(f"{c} : {n} valeur(s) distincte(s)" for c, n in found.items())
        results.append(Result(table, CONTACT_TEST, sum(found.values()), sample))
    return results


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


class Refused(RuntimeError):
    """A publish refused by its own tests (``contacts``): the message names tables and columns."""

    def __init__(self, results: list[Result]) -> None:
        super().__init__(
            f"{len(results)} table(s) en échec, publication refusée : "
            + " ; ".join(str(r) for r in results)
        )


def refuse_contacts(con: duckdb.DuckDBPyConnection, schema: str = "main") -> None:
    """Refuse a file about to be published if any of its text values looks like an e-mail
    address or a phone number (the publish calls it on the new file, before swapping it in)."""
    found = [r for r in contacts(con, schema) if not r.passed]
    if found:
        raise Refused(found)


def failed(results: list[Result]) -> list[Result]:
    """The results that refuse a publish."""
    return [r for r in results if not r.passed and r.severity == ERROR]
