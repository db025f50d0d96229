"""National files are read from disk, only the columns needed, and staged a slice at a time."""

from __future__ import annotations

import io

import duckdb
import polars as pl
import pytest

from flows import pipeline, remote, tabular
from flows.tabular import WholeFileNeeded, read_text_slices, read_text_table
from schemas.check import ContractError
from warehouse.landing import land
from warehouse.paths import Home

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


# Slices: a national file is checked and staged a slice of its records at a time. Whatever the
# slice size, the table, the rejects (their row numbers in the file), the repairs and the staged
# rows are those of the file read whole.

QUOTED = (
    "Code Commune;Nom Commune;Année;Conso totale (MWh)\r\n"
    + "".join(f"{i % 90 + 1000:05d};Commune {i};{2011 + i % 14};{i}.5\r\n" for i in range(40))
    + '01001;"Nom sur\r\ndeux lignes; avec point-virgule";2020;1.5\r\n'
    + "01001;Sans fin de ligne;2021;2.5"
)


@pytest.mark.parametrize("slice_bytes", [1, 13, 64, 200, 10_000])
@pytest.mark.parametrize("columns", [None, {"code commune", "année"}])
def test_a_csv_read_in_slices_is_the_csv_read_whole(tmp_path, slice_bytes, columns):
    path = tmp_path / "conso.csv"
    path.write_bytes(QUOTED.encode("utf-8-sig"))
    numbers = {"année": pl.Int64, "conso totale (mwh)": pl.Float64}
    whole = read_text_table(path, "conso.csv", numbers=numbers, columns=columns)
    slices = list(
        read_text_slices(
            path, "conso.csv", numbers=numbers, columns=columns, slice_bytes=slice_bytes
        )
    )
    assert len(slices) > 1 or slice_bytes == 10_000
    assert pl.concat(slices).equals(whole)
    assert whole["ligne"].to_list() == list(range(2, 44))


def test_a_number_that_does_not_parse_makes_every_slice_text_or_the_file_read_whole(tmp_path):
    numbers = {"année": pl.Int64}
    first = QUOTED.replace(";2011;", ";2011 ;", 1)  # in the first slice: every slice is text
    whole = read_text_table(first.encode(), "f", numbers=numbers)
    slices = list(read_text_slices(first.encode(), "f", numbers=numbers, slice_bytes=200))
    assert whole.schema["année"] == pl.String and pl.concat(slices).equals(whole)
    later = QUOTED.replace(";2020;", ";2020 ;")  # in a later one: read whole
    with pytest.raises(WholeFileNeeded):
        list(read_text_slices(later.encode(), "f", numbers=numbers, slice_bytes=200))
    for other in (QUOTED.replace("Commune 39", "Commune\x00"), QUOTED.replace("Commune 39", "é")):
        data = other.encode("utf-8" if "\x00" in other else "cp1252")
        with pytest.raises(WholeFileNeeded):
            list(read_text_slices(data, "f", slice_bytes=200))


@pytest.mark.parametrize("rows", [1, 5, 13, 100])
def test_a_parquet_file_read_in_slices_is_the_file_read_whole(tmp_path, monkeypatch, rows):
    frame = pl.read_csv(
        QUOTED.encode(), separator=";", schema_overrides={"Code Commune": pl.String}
    )
    path = tmp_path / "conso.parquet"
    frame.write_parquet(path, row_group_size=7)
    monkeypatch.setattr(tabular, "SLICE_ROWS", rows)
    columns = {"code commune", "année"}
    for wanted in (None, columns, columns | {"absente"}):
        whole = read_text_table(path, "conso.parquet", columns=wanted)
        slices = list(read_text_slices(path, "conso.parquet", columns=wanted))
        assert len(slices) == -(-42 // rows) and pl.concat(slices).equals(whole)
        assert whole["ligne"].to_list() == list(range(2, 44))
        assert whole.schema["année"] == pl.Int64
    frame.with_columns(
        pl.col("Nom Commune").str.replace("Commune 39", "Commune\x00")
    ).write_parquet(path, row_group_size=7)
    with pytest.raises(WholeFileNeeded):
        list(read_text_slices(path, "conso.parquet"))
    path.write_bytes(path.read_bytes()[:300])  # cut short
    with pytest.raises(ContractError, match=r"conso\.parquet : fichier Parquet illisible"):
        list(read_text_slices(path, "conso.parquet"))


def _ore_file(rows: int) -> bytes:
    """An ORE export with rejects (unknown commune, negative and non-number consumption) and
    repairs (a lost leading zero) scattered over its rows."""
    lines = [
        "OPERATEUR;FILIERE;Année;Code Commune;CODE CATEGORIE CONSOMMATION;"
        "CODE GRAND SECTEUR;CODE SECTEUR NAF2;Nb sites;Conso totale (MWh)"
    ]
    for i in range(rows):
        commune = "99999" if i % 307 == 13 else {7: "1001", 29: "1004"}.get(i % 37, "01001")
        conso = "-4" if i % 401 == 11 else "12,5" if i % 211 == 23 else f"{i}.25"
        lines.append(f"Enedis;Electricité;{2011 + i % 14};{commune};PRO;TERTIAIRE;;{i % 9};{conso}")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _enedis_file(rows: int) -> bytes:
    lines = [
        "annee;nom_commune;code_commune;domaine_de_tension;nb_sites_photovoltaique_enedis;"
        "energie_produite_annuelle_photovoltaique_enedis_mwh;nb_sites_eolien_enedis;"
        "energie_produite_annuelle_eolien_enedis_mwh"
    ]
    for i in range(rows):
        commune = "99999" if i % 211 == 17 else "1001" if i % 31 == 5 else "01001"
        energy = "-2,5" if i % 307 == 19 else f"{i},5"
        lines.append(f"{2011 + i % 14};X;{commune};BT;{i % 4};{energy};0;")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _staged_load(root, monkeypatch, name: str, path, slice_bytes: int | None):
    """Stage the file ``path`` for ``name`` into a new home ``root``, checked in slices of
    ``slice_bytes`` (whole when ``None``: the connector's ``read``); what the load wrote."""
    from flows.sources import production

    monkeypatch.setenv("OBSERVATOIRE_HOME", str(root))
    connector = pipeline.SOURCES[name].connector
    if slice_bytes is None:
        monkeypatch.delattr(connector, "read_slices")
    else:
        monkeypatch.setattr(tabular, "SLICE_BYTES", slice_bytes)
        monkeypatch.setattr(tabular, "SLICE_ROWS", slice_bytes // 10)
        monkeypatch.setattr(production, "SLICE_BYTES", slice_bytes)
    home = Home.from_env().ensure()
    landed = [
        land(home.landing, name, f.name, f.origin, f.readable)
        for f in pipeline.fetch(pipeline.SOURCES[name], str(path))
    ]
    report = pipeline.stage.fn(name, str(path), landed, "essai")
    monkeypatch.undo()
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        tables = {
            "rejets": "select ligne, colonne, regle, valeur, enregistrement from quarantine.rejets",
            "reparations": "select * exclude (id_execution) from audit.reparations",
            "staging": f'select * from staging."{name}"',
            "aside": "select table_name from duckdb_tables() where table_name like '_chargement%'",
        }
        written = {k: con.sql(q).pl() for k, q in tables.items()}
    return report, written


@pytest.mark.parametrize(
    ("name", "data", "suffix"),
    [
        ("consommation", _ore_file(1200), "csv"),
        ("consommation", _parquet(_ore_file(1200).decode("utf-8-sig")), "parquet"),
        ("production", _enedis_file(1300), "csv"),
    ],
    ids=["ore-csv", "ore-parquet", "enedis-csv"],
)
def test_a_file_checked_in_slices_stages_and_rejects_as_read_whole(
    tmp_path, monkeypatch, name, data, suffix
):
    path = tmp_path / f"{name}.{suffix}"
    path.write_bytes(data)
    whole = _staged_load(tmp_path / "entier", monkeypatch, name, path, None)
    for slice_bytes in (500, 4096):
        report, written = _staged_load(
            tmp_path / f"{slice_bytes}", monkeypatch, name, path, slice_bytes
        )
        assert report == whole[0]
        for table, frame in written.items():
            assert frame.sort(frame.columns).equals(whole[1][table].sort(frame.columns)), table
    report, written = whole
    assert 5 <= report.rows_rejected <= 12 and report.rows_accepted > 1000
    assert written["reparations"].height > 20 and written["aside"].is_empty()
    assert written["rejets"]["ligne"].max() > 900  # the file's row numbers, not a slice's


def test_duckdb_memory_is_capped_and_its_setting_checked(tmp_path, monkeypatch):
    from warehouse import internal

    def limit() -> str:
        with internal.connect(tmp_path / "entrepot.duckdb") as con:
            return con.execute("select current_setting('memory_limit')").fetchall()[0][0]

    default = limit()
    monkeypatch.setenv("OBSERVATOIRE_DUCKDB_MEMORY", "2GB")
    assert limit() != default and "GiB" in limit()
    monkeypatch.setenv("OBSERVATOIRE_DUCKDB_MEMORY", "1GB'; drop table x; --")
    with pytest.raises(ValueError, match="OBSERVATOIRE_DUCKDB_MEMORY"):
        limit()
