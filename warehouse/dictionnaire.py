"""The data dictionary of the public tables (``dictionnaire.yaml``): descriptions, keys and
references, read by the open data package, the public file's comments, the Données page and the
README, whose section is generated here.

``python -m warehouse.dictionnaire`` rewrites the README's section from the YAML file.
"""

from __future__ import annotations

import sys
from functools import cache
from importlib.resources import files
from pathlib import Path

import duckdb
import yaml

START, END = "<!-- dictionnaire:start -->", "<!-- dictionnaire:end -->"


@cache
def _load() -> dict:
    return yaml.safe_load((files("warehouse") / "dictionnaire.yaml").read_text(encoding="utf-8"))


def package() -> dict:
    """What the package says of itself: name, title, description, publisher, licence."""
    return _load()["paquet"]


def tables() -> dict[str, dict]:
    """Every public table: ``description``, ``colonnes`` and, when it has them, ``cle`` and
    ``renvoie``."""
    return _load()["tables"]


def _literal(text: str) -> str:
    """A SQL string literal (COMMENT ON takes no parameter)."""
    return "'" + text.replace("'", "''") + "'"


def comment(con: duckdb.DuckDBPyConnection) -> None:
    """Write the descriptions of the tables and columns of ``con``'s database as DuckDB comments,
    so that ``duckdb_tables()`` and ``duckdb_columns()`` show them to whoever reads the file."""
    present = con.execute(
        "select table_name, list(column_name) from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main' group by all"
    ).fetchall()
    described = tables()
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


def readme_section() -> str:
    """The README's data dictionary: one line per table (its description, key and references),
    then one per column."""
    lines = ["| table | colonne | description |", "|---|---|---|"]
    for name, table in tables().items():
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


def replace_section(readme: str) -> str:
    """``readme`` with its data dictionary section rewritten from the YAML file."""
    before, _, rest = readme.partition(START)
    _, _, after = rest.partition(END)
    return f"{before}{START}\n{readme_section()}\n{END}{after}"


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(replace_section(path.read_text(encoding="utf-8")), encoding="utf-8")
