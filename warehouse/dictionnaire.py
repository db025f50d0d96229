"""The data dictionary of the public tables: descriptions, keys and references. Each source's
tables are described in its spec (``flows/sources/<name>.yaml``, passed in by the flow); the
tables the warehouse builds across sources or at publish in ``dictionnaire.yaml``. The open data
package and the public file's comments (which the Données page reads) are written from it, and
``docs/dictionnaire.md`` is generated from it (``observatoire generate``).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import duckdb
import yaml

START, END = "<!-- dictionnaire:start -->", "<!-- dictionnaire:end -->"


@cache
def _load() -> dict:
    return yaml.safe_load((files("warehouse") / "dictionnaire.yaml").read_text(encoding="utf-8"))


def package() -> dict:
    """What the package says of itself: name, title, description, publisher, licence."""
    return _load()["paquet"]


def tables(sources: dict[str, dict] | None = None) -> dict[str, dict]:
    """Every public table, the sources' (``sources``) first: ``description``, ``colonnes`` and,
    when it has them, ``cle``, ``renvoie`` and ``tests``."""
    return {**(sources or {}), **_load()["tables"]}


def _literal(text: str) -> str:
    """A SQL string literal (COMMENT ON takes no parameter)."""
    return "'" + text.replace("'", "''") + "'"


def comment(con: duckdb.DuckDBPyConnection, described: dict[str, dict]) -> None:
    """Write the descriptions of the tables and columns of ``con``'s database as DuckDB comments,
    so that ``duckdb_tables()`` and ``duckdb_columns()`` show them to whoever reads the file."""
    present = con.execute(
        "select table_name, list(column_name) from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main' group by all"
    ).fetchall()
    con.execute("begin")  # one commit, not one for each of some 150 comments
    for table, columns in present:
        if table not in described:
            continue
        con.execute(f'comment on table "{table}" is {_literal(described[table]["description"])}')
        for column in columns:
            text = described[table]["colonnes"].get(column)
            if text:
                con.execute(f'comment on column "{table}"."{column}" is {_literal(text)}')
    con.execute("commit")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def section(described: dict[str, dict]) -> str:
    """The generated data dictionary: one line per table (its description, key and references),
    then one per column."""
    lines = ["| table | colonne | description |", "|---|---|---|"]
    for name, table in described.items():
        notes = [f"**{table['description']}**"]
        if "cle" in table:
            notes.append("clé : " + ", ".join(f"`{c}`" for c in table["cle"]))
        for ref in table.get("renvoie", []):
            source = ", ".join(f"`{c}`" for c in ref["colonnes"])
            target = ", ".join(f"`{c}`" for c in ref.get("vers", []))
            notes.append(f"{source} → `{ref['table']}`" + (f" ({target})" if target else ""))
        lines.append(f"| `{name}` | | {_cell(' ; '.join(notes))} |")
        lines += [f"| | `{c}` | {_cell(text)} |" for c, text in table["colonnes"].items()]
    return "\n".join(lines)


def replace_section(text: str, described: dict[str, dict]) -> str:
    """``text`` with its data dictionary section rewritten from ``described``."""
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    return f"{before}{START}\n{section(described)}\n{END}{after}"
