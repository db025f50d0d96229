"""The open data package: every public table as CSV and as Parquet, written by DuckDB, with a
Frictionless Data Package (``datapackage.json``) that describes them: types, descriptions, keys,
references, missing values, the licence and the attribution of every source.

A package is built in a hidden folder, renamed to its version (``donnees-<date>-<id>``), then
made current by replacing the symbolic link ``donnees`` with one that points to it (a rename):
whoever follows the link, like the dashboard's static files, sees a whole package, the previous
one or the new one. The previous version stays until the next publish, for downloads that began
before the swap. The folder holds other files the dashboard serves (map outlines): a publish
touches only its own.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
from isal import igzip

from warehouse import dictionnaire
from warehouse.internal import one, scalar
from warehouse.versions import Versions

CURRENT = "donnees"
BUILDING = ".construction-"
# Beyond this many rows a CSV no longer opens in a spreadsheet: it is published gzipped.
SPREADSHEET_ROWS = 1_048_576
# Gzip by ISA-L (Intel's compression library) at its level 1: the national consumption CSV
# (327 MB) in 0.58 s, against 2.28 s for zlib at its level 1, and 5 % smaller.
GZIP_LEVEL = 1
# OWASP's rule against formula injection: a spreadsheet reads a cell that starts with one of these
# as a formula (``=HYPERLINK(…)``, ``+cmd|…``, ``@SUM(…)``); in the CSV, a text cell that starts
# with one is prefixed with a single quote. Numbers are not text: a -3.5 stays a number.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT"}
INTEGERS |= {"UINTEGER", "UBIGINT"}
TYPES = {
    "VARCHAR": "string",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "datetime",
    "TIMESTAMP WITH TIME ZONE": "datetime",
    "FLOAT": "number",
    "DOUBLE": "number",
    **dict.fromkeys(INTEGERS, "integer"),
}
# Typed more precisely than their storage says. A GeoJSON outline is declared a JSON object: the
# Table Schema type ``geojson`` has Frictionless check each one against the GeoJSON schema, about
# 20 outlines a second.
FIELD_TYPES = {("geometries", "geojson"): "object"}


def current(root: Path) -> Path:
    """The folder of the package published now (``root/donnees``, a link to its version)."""
    return root / CURRENT


def _type(table: str, column: str, data_type: str) -> str:
    if data_type.startswith("DECIMAL"):
        return "number"
    return FIELD_TYPES.get((table, column), TYPES.get(data_type, "any"))


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main' and table_name = ? "
        "order by column_index",
        [table],
    ).fetchall()


def _schema(table: str, columns: list[tuple[str, str]], described: dict, csv: bool) -> dict:
    """The Table Schema of ``columns``; references only for the CSV resources, which they name."""
    texts = described.get("colonnes", {})
    schema: dict = {
        "fields": [
            {"name": name, "type": _type(table, name, data_type)}
            | ({"description": texts[name]} if name in texts else {})
            for name, data_type in columns
        ],
        "missingValues": [""],
    }
    if "cle" in described:
        schema["primaryKey"] = described["cle"]
    if csv and "renvoie" in described:
        schema["foreignKeys"] = [
            {
                "fields": ref["colonnes"],
                "reference": {"resource": ref["table"], "fields": ref.get("vers", ref["colonnes"])},
            }
            for ref in described["renvoie"]
        ]
    return schema


def _gzip(path: Path) -> Path:
    target = path.with_name(path.name + ".gz")
    with path.open("rb") as source, igzip.open(target, "wb", compresslevel=GZIP_LEVEL) as sink:
        shutil.copyfileobj(source, sink, 1 << 20)
    path.unlink()
    return target


def _to_quote(
    con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str]]
) -> list[str]:
    """Text columns with a value that needs quotes (a comma, a quote, a line break, or empty, as
    opposed to missing): every value of theirs is quoted, so that a reader's sniffer (DuckDB's
    reads 20,480 rows) sees quotes from the first row, not only where the first comma inside a
    name comes. Quoting every text column made the national consumption CSV 16 % larger and
    0.8 s slower to write, for codes that never need it."""
    text = [name for name, data_type in columns if data_type == "VARCHAR"]
    if not text:
        return []

    def needs_quotes(name: str) -> str:
        # contains() reads the national consumption's text columns in 0.4 s, a regex in 1.7 s
        chars = ("','", "'\"'", "chr(10)", "chr(13)")
        tests = [f"\"{name}\" = ''", *(f'contains("{name}", {char})' for char in chars)]
        return f"bool_or({' or '.join(tests)})"

    checks = ", ".join(needs_quotes(name) for name in text)
    needs = one(con, f'select {checks} from "{table}"')
    return [name for name, need in zip(text, needs, strict=True) if need]


def _column(name: str, data_type: str, spreadsheet: bool) -> str:
    """The column as exported; in a CSV (``spreadsheet``), a text cell that a spreadsheet would
    read as a formula gets a quote before it. HUGEINT (sums) has no Parquet type: every value of
    the public file fits a BIGINT."""
    if data_type == "HUGEINT":
        return f'"{name}"::bigint as "{name}"'
    if spreadsheet and data_type == "VARCHAR":
        # left() and a list of characters: no regex to run over 4.9 M rows
        starts = ", ".join(
            "chr(9)" if c == "\t" else "chr(13)" if c == "\r" else f"'{c}'" for c in FORMULA_START
        )
        return (
            f"case when left(\"{name}\", 1) in ({starts}) then '''' || \"{name}\" "
            f'else "{name}" end as "{name}"'
        )
    return f'"{name}"'


def _export(
    con: duckdb.DuckDBPyConnection,
    table: str,
    described: dict,
    folder: Path,
    gzip_later: Callable[[Path], None],
) -> list[dict]:
    """Write ``table`` as CSV (without its binary columns) and as Parquet; return both
    resources, without their sizes. A CSV too long for a spreadsheet is handed to
    ``gzip_later``, so that DuckDB writes on while it is compressed."""
    columns = _columns(con, table)
    text = [(name, data_type) for name, data_type in columns if data_type != "BLOB"]

    def select(chosen: list[tuple[str, str]], spreadsheet: bool) -> str:
        return ", ".join(_column(name, data_type, spreadsheet) for name, data_type in chosen)

    quoted = ", ".join(f'"{name}"' for name in _to_quote(con, table, text))
    csv, parquet = folder / f"{table}.csv", folder / f"{table}.parquet"
    for chosen, path, options, spreadsheet in (
        (
            text,
            csv,
            f"format csv, header, force_quote ({quoted})" if quoted else "format csv, header",
            True,
        ),
        (columns, parquet, "format parquet", False),  # for machines: values exact
    ):
        con.execute(
            f'copy (select {select(chosen, spreadsheet)} from "{table}") to ? ({options})',
            [str(path)],
        )
    if scalar(con, f'select count(*) from "{table}"') > SPREADSHEET_ROWS:
        gzip_later(csv)
        csv = csv.with_name(f"{csv.name}.gz")
    description = described.get("description", table)
    return [
        {
            "name": table,
            "description": description,
            "path": csv.name,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            **({"compression": "gz"} if csv.suffix == ".gz" else {}),
            "schema": _schema(table, text, described, csv=True),
        },
        {
            # A file to Frictionless, whose Parquet reader goes through pandas: it reads the whole
            # file and takes a missing integer for a wrong one. Its size is checked; the schema
            # describes it (Parquet carries its own types).
            "name": f"{table}-parquet",
            "type": "file",
            "description": f"{description} (Parquet)",
            "path": parquet.name,
            "format": "parquet",
            "mediatype": "application/vnd.apache.parquet",
            "schema": _schema(table, columns, described, csv=False),
        },
    ]


def _sources(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """One attribution per source: publisher, dataset, vintage, licence, as the table ``sources``
    gives them for its last published load."""
    rows = con.execute(
        """select source, any_value(editeur), any_value(jeu_de_donnees), any_value(licence),
                  any_value(millesime), bool_or(demo),
                  list(distinct origine order by origine)
                    filter (where origine like 'http%') as adresses
           from sources
           group by source
           order by source"""
    ).fetchall()
    return [
        {
            "title": f"{editeur} — {jeu} ({millesime})",
            **({"path": adresses[0]} if adresses else {}),
            "source": source,
            "editeur": editeur,
            "jeu_de_donnees": jeu,
            "millesime": millesime,
            "licence": licence,
            "demo": demo,
        }
        for source, editeur, jeu, licence, millesime, demo, adresses in rows
    ]


def _descriptor(con: duckdb.DuckDBPyConnection, resources: list[dict]) -> dict:
    meta = dictionnaire.package()
    run_id, published = one(
        con, "select id_execution, strftime(publie_le, '%Y-%m-%dT%H:%M:%SZ') from publication"
    )
    return {
        "name": meta["nom"],
        "id": run_id,
        "title": meta["titre"],
        "description": meta["description"],
        "homepage": meta["site"],
        "created": published,
        "keywords": meta["mots_cles"],
        "licenses": [meta["licence"]],
        "contributors": [{"title": meta["editeur"], "role": "publisher", "path": meta["site"]}],
        "sources": _sources(con),
        "resources": resources,
    }


def write(con: duckdb.DuckDBPyConnection, root: Path, described: dict[str, dict]) -> Path:
    """Write the package of the public file open in ``con``, its tables ``described``, into a
    new version under ``root`` and make it current; keep the version it replaces, remove older
    ones. Return its folder."""
    versions = Versions(root, CURRENT, BUILDING)
    build = versions.start()
    # timestamps are written with their offset, +00; no progress bar in the refresh's output
    con.execute("set TimeZone = 'UTC'; set enable_progress_bar = false")
    present = {
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() "
            "where database_name = current_database() and schema_name = 'main'"
        ).fetchall()
    }
    order = [t for t in described if t in present] + sorted(present - set(described))
    gzips: list[Future] = []
    with ThreadPoolExecutor(max_workers=1) as pool:

        def gzip_later(path: Path) -> None:
            gzips.append(pool.submit(_gzip, path))

        resources = [
            r
            for table in order
            for r in _export(con, table, described.get(table, {}), build, gzip_later)
        ]
    for job in gzips:
        job.result()  # a gzip that failed (a full disk) fails the publish
    for resource in resources:
        resource["bytes"] = (build / resource["path"]).stat().st_size
    descriptor = _descriptor(con, resources)
    (build / "datapackage.json").write_text(
        json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return versions.finish(build, descriptor["created"].replace(":", ""))
