"""National files are read from disk, only the columns needed, and staged a slice at a time."""

from __future__ import annotations

import io

import duckdb
import polars as pl
import pytest

from flows import pipeline, remote
from flows.tabular import read_text_table
from warehouse.landing import land

HEADER = "Code Commune;Nom Commune;Année;Conso totale (MWh);Taux de logements collectifs\n"
ROWS = "01001;Abergement-Clémenciat;2020;12.5;\n2A004;Ajaccio;2021;;0.8\n"


def _parquet(text: str) -> bytes:
    buffer = io.BytesIO()
    pl.read_csv(text.encode(), separator=";", infer_schema=False).write_parquet(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        (HEADER + ROWS).encode("utf-8-sig"),
        (HEADER + ROWS).replace("\n", "\r\n").encode("cp1252"),
        _parquet(HEADER + ROWS),
    ],
    ids=["csv-utf8-bom", "csv-cp1252-crlf", "parquet"],
)
def test_a_file_on_disk_reads_as_its_bytes_do(tmp_path, data):
    path = tmp_path / "conso"
    path.write_bytes(data)
    numbers = {"année": pl.Int64}
    from_disk = read_text_table(path, "conso", numbers=numbers)
    assert from_disk.equals(read_text_table(data, "conso", numbers=numbers))
    assert from_disk["nom commune"].to_list() == ["Abergement-Clémenciat", "Ajaccio"]


@pytest.mark.parametrize("parquet", [False, True])
def test_only_the_columns_asked_for_are_read_unless_one_is_missing(tmp_path, parquet):
    path = tmp_path / "conso"
    path.write_bytes(_parquet(HEADER + ROWS) if parquet else (HEADER + ROWS).encode())
    wanted = {"code commune", "conso totale (mwh)"}
    numbers = {"conso totale (mwh)": pl.Float64}
    some = read_text_table(path, "conso", numbers=numbers, columns=wanted)
    assert some.columns == ["ligne", "code commune", "conso totale (mwh)"]
    assert some.rows() == [(2, "01001", 12.5 if not parquet else "12.5"), (3, "2A004", None)]
    # a missing column: everything is read, so the caller's error can list what the file has
    everything = read_text_table(path, "conso", columns=wanted | {"nb sites"})
    assert len(everything.columns) == 6


def test_a_local_file_is_landed_from_disk_as_its_bytes_would_be(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes((HEADER + ROWS * 1000).encode())
    raw = remote.read(str(path))
    assert raw.content is None and raw.readable == path.resolve()
    assert raw.data == path.read_bytes()
    from_disk = land(tmp_path / "a", "consommation", raw.name, raw.origin, raw.readable)
    from_bytes = land(tmp_path / "b", "consommation", raw.name, raw.origin, raw.data)
    assert (from_disk.sha256, from_disk.size) == (from_bytes.sha256, from_bytes.size)
    assert from_disk.path.read_bytes() == path.read_bytes()
    assert from_disk.path.relative_to(tmp_path / "a") == from_bytes.path.relative_to(tmp_path / "b")


def test_staging_is_written_aside_a_slice_at_a_time(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "STAGE_SLICE_ROWS", 10)
    frame = pl.DataFrame({"code": [f"{i:05d}" for i in range(25)], "valeur": range(25)})
    with duckdb.connect(str(tmp_path / "entrepot.duckdb")) as con:
        con.execute("create schema staging")
        con.execute("create table staging.mesures as select 'ancien' as code")
        # a table left aside by a killed run is replaced, not appended to
        con.execute("create table staging._chargement_mesures as select 'reste' as code, 0 as n")
        aside = pipeline._write_aside(con, "mesures", frame)
        written = con.sql(f'select * from staging."{aside}" order by code').pl()
        served = con.execute("select * from staging.mesures").fetchall()
    assert written.equals(frame)
    assert served == [("ancien",)]  # swapped in by the load's transaction, not before


def test_no_table_is_left_aside_after_a_refresh(published):
    with duckdb.connect(str(published.warehouse), read_only=True) as con:
        staging = {
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'staging'"
            ).fetchall()
        }
    assert "consommation" in staging and "production" in staging
    assert not [t for t in staging if t.startswith("_chargement_")]
