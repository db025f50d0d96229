"""The open data package: it validates with Frictionless, carries every public table with its
rows, its descriptions from the one data dictionary, the licence and every source; a publish
swaps whole versions only, and a package that fails to build publishes nothing."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from frictionless import validate

from flows.sources import SOURCES
from warehouse import dictionnaire, internal, opendata
from warehouse.publish import publish

# Frictionless checks some 10,000 CSV rows a second on this machine: it checks the first rows
# of every table, and DuckDB counts the rows of every file.
VALIDATED_ROWS = 10_000


def _public(published) -> dict[str, int]:
    with duckdb.connect(str(published.public), read_only=True) as con:
        tables = [t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()]
        return {t: con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}


def _descriptor(published) -> dict:
    path = opendata.current(published.static) / "datapackage.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_package_validates_with_frictionless(published):
    report = validate(
        opendata.current(published.static) / "datapackage.json", limit_rows=VALIDATED_ROWS
    )
    assert report.valid, report.flatten(["name", "rowNumber", "fieldName", "type", "message"])[:10]
    rows = _public(published)
    tables = {t.name: t.stats.get("rows") or 0 for t in report.tasks if t.type == "table"}
    assert tables == {t: min(n, VALIDATED_ROWS) for t, n in rows.items()}
    files = [task.name for task in report.tasks if task.type == "file"]
    assert files == [f"{t}-parquet" for t in tables], "each Parquet file is checked whole (size)"


def test_package_files_hold_every_public_row(published):
    rows = _public(published)
    descriptor = _descriptor(published)
    resources = {r["name"]: r for r in descriptor["resources"]}
    assert set(resources) == set(rows) | {f"{t}-parquet" for t in rows}
    folder = opendata.current(published.static)
    with duckdb.connect() as con:
        for table, count in rows.items():
            csv, parquet = resources[table], resources[f"{table}-parquet"]
            assert csv["path"].endswith(".csv.gz" if count > opendata.SPREADSHEET_ROWS else ".csv")
            read = con.execute(
                "select count(*) from read_csv(?, header = true, all_varchar = true)",
                [str(folder / csv["path"])],
            ).fetchone()[0]
            assert read == count, table
            assert con.execute(
                "select count(*) from read_parquet(?)", [str(folder / parquet["path"])]
            ).fetchone() == (count,)
            for resource in (csv, parquet):
                assert (folder / resource["path"]).stat().st_size == resource["bytes"]
    # the outlines: the web GeoJSON in both files, the full WKB only in Parquet
    geometries = [f["name"] for f in resources["geometries"]["schema"]["fields"]]
    assert "geojson" in geometries and "geometrie_wkb" not in geometries
    assert "geometrie_wkb" in [
        f["name"] for f in resources["geometries-parquet"]["schema"]["fields"]
    ]


def test_package_gives_the_licence_and_credits_every_source(published):
    descriptor = _descriptor(published)
    assert descriptor["licenses"] == [dictionnaire.package()["licence"]]
    with duckdb.connect(str(published.public), read_only=True) as con:
        expected = con.execute(
            "select distinct source, editeur, jeu_de_donnees, millesime, licence, demo "
            "from sources order by source"
        ).fetchall()
        (run,) = con.execute("select id_execution from publication").fetchone()
    given = [
        (s["source"], s["editeur"], s["jeu_de_donnees"], s["millesime"], s["licence"], s["demo"])
        for s in descriptor["sources"]
    ]
    assert given == expected
    assert all(s["title"].startswith(s["editeur"]) for s in descriptor["sources"])
    assert descriptor["id"] == run


def test_dictionary_describes_every_public_column_once(published):
    with duckdb.connect(str(published.public), read_only=True) as con:
        present = con.execute(
            "select table_name, list(column_name order by column_index), "
            "list(comment order by column_index) from duckdb_columns() "
            "where database_name = current_database() group by all"
        ).fetchall()
        comments = dict(con.execute("select table_name, comment from duckdb_tables()").fetchall())
    described = dictionnaire.tables(SOURCES.public_tables())
    assert {t for t, _, _ in present} == set(described)
    for table, columns, column_comments in present:
        assert list(described[table]["colonnes"]) == columns, table
        assert column_comments == list(described[table]["colonnes"].values()), table
        assert comments[table] == described[table]["description"]
        for ref in described[table].get("renvoie", []):
            target = described[ref["table"]]
            assert ref.get("vers", ref["colonnes"]) == target["cle"], (table, ref)


def _warehouse_with(con: duckdb.DuckDBPyConnection, rows: int) -> None:
    con.execute(
        f"create or replace table marts.regions as select range::varchar as code_region, "
        f"'région ' || range as nom from range({rows})"
    )


def _version(package: Path) -> Path:
    return package / os.readlink(opendata.current(package))


def test_a_publish_swaps_whole_versions_and_keeps_the_previous_one(home):
    package = home.static
    versions = []
    with internal.connect(home.warehouse) as con:
        for rows in (1, 2, 3):
            _warehouse_with(con, rows)
            if rows == 3:  # what a publish killed while building leaves behind
                (package / f"{opendata.BUILDING}tue").mkdir()
            publish(con, home.public, str(rows), datetime.now(UTC), package=package)
            versions.append(_version(package))
            lines = (versions[-1] / "regions.csv").read_text(encoding="utf-8").splitlines()
            assert len(lines) == rows + 1
    assert len(set(versions)) == 3
    assert sorted(p.name for p in package.iterdir()) == sorted(
        [opendata.CURRENT, versions[1].name, versions[2].name]
    ), "the previous version stays for downloads under way; older ones and leftovers go"
    descriptor = json.loads((versions[2] / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["id"] == "3"


def test_a_package_that_cannot_be_written_publishes_nothing(home):
    with internal.connect(home.warehouse) as con:
        _warehouse_with(con, 1)
        publish(con, home.public, "1", datetime.now(UTC), package=home.static)
        before = (home.public.read_bytes(), _version(home.static))
        _warehouse_with(con, 2)
        blocked = home.root / "bloque"
        blocked.write_text("un fichier là où le paquet devrait être")
        with pytest.raises(FileExistsError):
            publish(con, home.public, "2", datetime.now(UTC), package=blocked)
    assert (home.public.read_bytes(), _version(home.static)) == before
    assert not list(home.root.glob(".public-*"))
