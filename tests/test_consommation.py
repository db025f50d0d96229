"""Source ``consommation``: Agence ORE's schema, the real Lyon export, the national demo."""

from __future__ import annotations

import functools
import shutil
from dataclasses import replace

import duckdb
import polars as pl
import pytest

from flows.connector import RawFile
from flows.demo import consommation as demo
from flows.pipeline import fetch
from flows.sources import SOURCES, consommation
from schemas.check import ContractError
from tests.conftest import REAL, load_into_copy, real_file
from tests.http_fixture import Script, serve
from warehouse import marts

LYON = REAL / "ore_conso_elec_gaz_commune_metropole_lyon.csv"


@functools.cache
def _header() -> str:
    return real_file(LYON.name).read_text(encoding="utf-8-sig").splitlines()[0]


@pytest.fixture(scope="module")
def lyon(published, tmp_path_factory):
    """The published warehouse with the real Lyon export loaded; coverage and series checks
    follow consumption, so production's marts are rebuilt too."""
    real_file(LYON.name)
    root = tmp_path_factory.mktemp("lyon")
    report, _, con = load_into_copy(published, root, "consommation", LYON, "lyon")
    yield report, con
    con.close()


def test_lyon_export_reproduces_its_own_totals_to_the_mwh(lyon):
    report, con = lyon
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (18230, 18230, 0)
    ours = con.execute(
        "select annee, filiere, round(sum(conso_mwh)) from marts.consommation group by 1, 2"
    ).fetchall()
    theirs = con.execute(
        f"""select "Année", case when FILIERE = 'Gaz' then 'gaz' else 'électricité' end,
                   round(sum("Conso totale (MWh)"))
            from read_csv('{LYON}', delim = ';', header = true) group by 1, 2"""
    ).fetchall()
    assert sorted(ours) == sorted(theirs)
    assert len(ours) == 26  # 2011-2023, two energies


def test_lyon_arrondissements_and_merged_communes_map_to_todays_communes(lyon):
    _, con = lyon
    repairs = dict(
        con.execute(
            "select valeur_retenue, count(*) from audit.reparations "
            "where id_execution = 'lyon' group by 1"
        ).fetchall()
    )
    assert repairs == {"69123": 479, "69149": 345}  # Lyon; Oullins-Pierre-Bénite (2024)
    communes = con.execute(
        "select count(*) from marts.consommation where code_commune like '6938%'"
    ).fetchone()[0]
    assert communes == 0


def _ore(rows: list[str]) -> bytes:
    return ("\ufeff" + _header() + "\n" + "\n".join(rows) + "\n").encode("utf-8")


def _row(commune: str, conso: str, sites: str = "3") -> str:
    cells = [
        "Enedis",
        "Electricité",
        "2021",
        commune,
        "X",
        "200046977",
        "Métropole",
        "",
        "69",
        "Rhône",
        "84",
        "ARA",
        "RES",
        "RESIDENTIEL",
        "",
        sites,
        conso,
    ]
    return ";".join(cells + [""] * (_header().count(";") + 1 - len(cells)))


def test_bad_rows_are_quarantined_and_secret_cells_kept_unknown():
    data = _ore(
        [
            _row("69003", "12,5"),
            _row("69003", ""),
            _row("99999", "1"),
            _row("69029", "-4"),
            _row("69029", "beaucoup"),
            _row("6903", "7"),
        ]
    )
    (checked,) = consommation.read([RawFile("ore.csv", "ore.csv", data)], None)["consommation"]
    problems = {(p["ligne"], p["colonne"], p["regle"]) for p in checked.problems.to_dicts()}
    assert problems == {
        (4, "code_commune", "commune actuelle (COG)"),
        (5, "conso_mwh", "au moins 0"),
        (6, "conso_mwh", "nombre attendu (ex. 1 234,5)"),
        (7, "code_commune", "commune actuelle (COG)"),  # 6903 → 06903 does not exist
    }
    assert checked.valid["conso_mwh"].to_list() == [12.5, None]


def test_missing_ore_column_names_it():
    data = _ore([_row("69003", "1")]).replace(b"Conso totale (MWh)", b"Conso (MWh)")
    with pytest.raises(ContractError, match=r"colonne\(s\) ORE manquante\(s\) : conso totale"):
        consommation.read([RawFile("ore.csv", "ore.csv", data)], None)


def test_demo_covers_every_commune_every_year():
    series = demo.series()
    assert series.equals(demo.series())
    electricity = series.filter(pl.col("FILIERE") == "Electricité")
    per_year = electricity.group_by("Année").agg(pl.col("Code Commune").n_unique())
    assert per_year.height == 14 and per_year["Code Commune"].n_unique() == 1
    assert per_year["Code Commune"][0] > 34_000


def test_territory_totals_add_up_with_their_coverage(published):
    with duckdb.connect(str(published.public), read_only=True) as con:
        national = con.execute(
            "select round(sum(conso_mwh)) from consommation where annee = 2024"
        ).fetchone()[0]
        # départements add up the (demo) communes; régions are the real région series
        departements = con.execute(
            "select round(sum(conso_mwh)), min(part_population_couverte) "
            "from consommation_territoires where niveau = 'departement' and annee = 2024 "
            "and filiere = 'électricité'"
        ).fetchone()
        gas = con.execute(
            "select round(sum(conso_mwh)) from consommation_territoires "
            "where niveau = 'departement' and annee = 2024 and filiere = 'gaz'"
        ).fetchone()[0]
    assert departements[0] + gas == pytest.approx(national, abs=2)
    assert departements[1] > 0.99  # every populated commune has electricity data in the demo


def test_commune_mart_is_published_in_order_and_replaces_an_old_table(published, tmp_path):
    """The commune-level mart is a view that the publish step writes, sorted; a warehouse built
    when it was a table has that table replaced by the view at its next build."""
    with duckdb.connect(str(published.public), read_only=True) as con:
        out_of_order = con.execute(
            """select count(*) from (
                   select k, lag(k) over (order by rowid) as before
                   from (select rowid, (code_commune, annee, filiere, grand_secteur, code_naf2) as k
                         from consommation))
               where k < before"""
        ).fetchone()[0]
    assert out_of_order == 0
    shutil.copy2(published.warehouse, tmp_path / "warehouse.duckdb")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        rows = con.execute("select count(*) from marts.consommation").fetchone()[0]
        con.execute("drop view marts.consommation")
        con.execute("create table marts.consommation as select 1 as ancienne_table")
        marts.build(con, [m for m in marts.marts() if m.name == "consommation"])
        kind = con.execute(
            "select count(*) from duckdb_views() where schema_name = 'marts' "
            "and view_name = 'consommation'"
        ).fetchone()[0]
        assert kind == 1
        assert con.execute("select count(*) from marts.consommation").fetchone()[0] == rows > 0


def test_portal_connector_downloads_both_methodologies(prefect_harness, monkeypatch, tmp_path):
    body = _ore([_row("69003", "1")])
    script = Script((200, body))
    with serve(script) as url:
        source = SOURCES["consommation"]
        portal = replace(source.spec.portal, url=f"{url}/datasets/{{dataset}}/exports/parquet")
        monkeypatch.setitem(source.__dict__, "spec", replace(source.spec, portal=portal))
        files = fetch(source, "ore")
    assert [f.data for f in files] == [body, body]
    assert script.requests == [
        "/datasets/conso-elec-gaz-annuelle-par-naf-agregee-commune/exports/parquet",
        "/datasets/conso-elec-gaz-annuelle-par-secteur-dactivite-agregee-commune/exports/parquet",
    ]


def test_incomplete_year_is_flagged_not_charted_silently(lyon):
    """SOURCES.md warns that the Lyon export's 2023 gas looks incomplete: the check says so."""
    _, con = lyon
    flags = con.execute(
        "select annee, probleme, round(valeur / valeur_precedente, 2) from marts.qualite_series "
        "where mesure = 'consommation' and niveau = 'epci' and code = '200046977' "
        "and detail = 'gaz'"
    ).fetchall()
    assert flags == [
        (2023, "année incomplète (moins de 85 % des années voisines)", 0.25),
        (2023, "variation de plus de moitié", 0.25),
    ]
