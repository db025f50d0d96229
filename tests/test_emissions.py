"""Source ``emissions``: Airparif's commune inventory read for real (text numbers with a decimal
comma, Paris by arrondissement, the ``Totale`` line kept apart), over HTTP, and the demo."""

from __future__ import annotations

import io

import duckdb
import polars as pl
import pytest

from flows.connector import RawFile
from flows.demo import emissions as demo
from flows.demo import territoires
from flows.pipeline import receive
from flows.sources import SOURCES, emissions
from schemas.check import ContractError
from tests.conftest import load_into_copy, real_file
from tests.http_fixture import Script, serve

AIRPARIF = "airparif_emissions_ges_commune_idf_2005_2017.xlsx"
HEADER = "secteur;annee;insee;commune;emission"
TOTAL = "Total (éditeur)"


def _read(*files: RawFile):
    return emissions.read(list(files), None)["emissions"]


def _file_totals(path) -> dict[tuple[int, str], float]:
    """kteqCO2 by year and sector as Airparif's file adds them up, decimal commas read."""
    raw = pl.read_excel(path, infer_schema_length=0)
    sums = (
        raw.with_columns(pl.col("emission").str.replace(",", ".").cast(pl.Float64))
        .group_by("annee", "secteur")
        .agg(pl.col("emission").sum())
    )
    return {(int(a), s): v for a, s, v in sums.iter_rows()}


def test_the_real_inventory_is_read_with_paris_as_one_commune():
    path = real_file(AIRPARIF)
    (checked,) = _read(RawFile(AIRPARIF, str(path), path=path))
    assert checked.valid.height + checked.problems["ligne"].n_unique() == 41694
    # Gadancourt (95282) merged into Avernes in 2018 and is no commune déléguée in today's COG:
    # its 30 rows are rejected, not guessed
    assert set(checked.problems["valeur"]) == {"95282"}
    assert checked.problems.height == 30
    repaired = dict(checked.repairs.group_by("valeur_retenue").len().iter_rows())
    assert repaired == {"75056": 680, "93066": 30}  # 20 arrondissements; Pierrefitte (2025)
    assert set(checked.repairs.filter(pl.col("valeur_retenue") == "75056")["valeur_lue"]) == {
        f"751{n:02}" for n in range(1, 21)
    }
    assert not checked.valid["code_commune"].str.starts_with("751").any()
    # 2,931 numbers are text with a decimal comma in the file: all read as numbers
    assert checked.valid["emission_kteqco2"].null_count() == 0


def test_decimal_commas_text_numbers_and_bad_rows_in_a_workbook():
    rows = [
        ("Residentiel", "2017", "75105", "Paris 5e", "12,5"),  # text, decimal comma
        ("Residentiel", "2017", "75106", "Paris 6e", "0.4"),
        ("Totale", "2017", "75105", "Paris 5e", "13,1"),
        ("Tertiaire", "2017", "91228", "Évry", "1 234,5"),  # spaced thousands
        ("Tertiaire", "2017", "91228", "Évry", "-4"),
        ("Tertiaire", "2017", "91228", "Évry", "beaucoup"),
        ("Autre", "2017", "91228", "Évry", "1"),
        ("Tertiaire", "2017", "99999", "Nulle part", "1"),
        ("Tertiaire", "2017", "1001", "L'Abergement-Clémenciat", "2,5"),  # leading zero lost
    ]
    frame = pl.DataFrame(rows, schema=HEADER.split(";"), orient="row")
    buffer = io.BytesIO()
    frame.write_excel(buffer)  # every cell a text cell, as Airparif's file has some
    (checked,) = _read(RawFile("airparif.xlsx", "airparif.xlsx", buffer.getvalue()))
    problems = {(p["ligne"], p["colonne"], p["regle"]) for p in checked.problems.to_dicts()}
    assert problems == {
        (6, "emission_kteqco2", "au moins 0"),
        (7, "emission_kteqco2", "nombre attendu (ex. 1 234,5)"),
        (
            8,
            "secteur",
            "la valeur doit être l'une de : Agriculture, Industrie, Residentiel, Tertiaire, "
            "Transport_R, Transport_A, Totale",
        ),
        (9, "code_commune", "commune actuelle (COG)"),
    }
    valid = checked.valid.select("code_commune", "emission_kteqco2").rows()
    assert valid == [
        ("75056", 12.5),
        ("75056", 0.4),
        ("75056", 13.1),
        ("91228", 1234.5),
        ("01001", 2.5),
    ]
    assert sorted(checked.repairs["valeur_lue"]) == ["1001", "75105", "75105", "75106"]


def test_a_file_without_its_emission_column_is_refused_naming_it():
    data = b"secteur;annee;insee;commune\nTotale;2017;91228;Evry\n"
    with pytest.raises(ContractError, match=r"colonne\(s\) Airparif manquante\(s\) : emission"):
        _read(RawFile("autre.csv", "autre.csv", data))


def test_served_over_http_a_failure_is_retried_then_the_inventory_read(prefect_harness, home):
    body = real_file(AIRPARIF).read_bytes()
    script = Script((503, b"indisponible"), (200, body))
    with serve(script) as url:
        landed = receive.with_options(retry_delay_seconds=0)("emissions", f"{url}/{AIRPARIF}")
    assert len(script.requests) == 2
    (checked,) = _read(*[RawFile(f.name, f.origin, path=f.path) for f in landed])
    assert checked.valid.height == 41664


def test_the_demo_is_flagged_seeded_and_on_ile_de_france_communes_only():
    spec = SOURCES["emissions"].spec
    assert spec.embedded.demo and not spec.snapshots  # Airparif's file states no licence
    assert not spec.publisher.demo
    assert demo.csv_bytes() == demo.csv_bytes()
    series = demo.series()
    idf = territoires.communes().filter(pl.col("code_region") == "11")
    assert set(series["insee"]) <= set(idf["code_commune"])
    assert series["insee"].n_unique() > 1200
    assert set(series["secteur"]) == {
        "Agriculture",
        "Industrie",
        "Residentiel",
        "Tertiaire",
        "Transport_R",
        "Transport_A",
        "Totale",
    }
    assert series["emission"].str.contains(",").any()  # a decimal comma, as Airparif's file
    (checked,) = _read(*emissions.embedded())
    assert checked.problems.height == 0


@pytest.fixture(scope="module")
def airparif(published, tmp_path_factory):
    """The published warehouse with Airparif's real inventory loaded in place of the demo."""
    path = real_file(AIRPARIF)
    root = tmp_path_factory.mktemp("airparif")
    report, _, con = load_into_copy(published, root, "emissions", path, "airparif")
    yield report, con, path
    con.close()


@pytest.mark.slow
def test_airparif_totals_per_year_reach_the_marts_and_totale_is_never_summed(airparif):
    report, con, path = airparif
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (41694, 41664, 30)
    file = _file_totals(path)
    rejected = pl.read_excel(path, infer_schema_length=0).filter(pl.col("insee") == "95282")
    lost = {
        (int(a), s): float(v.replace(",", "."))
        for s, a, v in rejected.select("secteur", "annee", "emission").iter_rows()
    }
    marts = {
        (a, s): v
        for a, s, v in con.execute(
            "select annee, secteur, emissions_teqco2 from marts.emissions_territoires "
            "where niveau = 'region' and code = '11'"
        ).fetchall()
    }
    print("\nAirparif, Île-de-France, total de l'éditeur (Totale), kteqCO2 : fichier / marts")
    for annee in (2005, 2010, 2012, 2015, 2017):
        theirs = file[(annee, "Totale")]
        ours = marts[(annee, TOTAL)] / 1000
        sectors = sum(v for (a, s), v in marts.items() if a == annee and s != TOTAL) / 1000
        print(f"{annee}  {theirs:9.1f}  {ours:9.1f}  (secteurs : {sectors:9.1f})")
        assert ours == pytest.approx(theirs - lost.get((annee, "Totale"), 0), abs=0.05)
        assert abs(sectors - ours) > 100  # the publisher's total is not the sum of its sectors
        for secteur in ("Agriculture", "Industrie", "Residentiel", "Tertiaire", "Transport_R"):
            expected = file[(annee, secteur)] - lost.get((annee, secteur), 0)
            assert marts[(annee, secteur)] / 1000 == pytest.approx(expected, abs=0.05)
    assert file[(2017, "Totale")] == pytest.approx(38092.7)  # 38.1 Mt: the unit is the kt
    sectors = {s for _, s in marts}
    assert TOTAL in sectors and "Totale" not in sectors
    # Île-de-France's communes all have data; a région, a whole one
    share = con.execute(
        "select min(part_population_avec_donnees) from marts.emissions_territoires "
        "where niveau = 'region' and secteur = ?",
        [TOTAL],
    ).fetchone()[0]
    assert share > 0.99


@pytest.mark.slow
def test_paris_is_one_commune_the_sum_of_its_arrondissements(airparif):
    _, con, path = airparif
    arrondissements = (
        pl.read_excel(path, infer_schema_length=0)
        .filter(pl.col("insee").str.starts_with("751") & (pl.col("secteur") == "Totale"))
        .with_columns(pl.col("emission").str.replace(",", ".").cast(pl.Float64))
        .group_by("annee")
        .agg(pl.col("emission").sum() * 1000, pl.col("insee").n_unique())
    )
    paris = dict(
        con.execute(
            "select annee, emissions_teqco2 from marts.emissions "
            "where code_commune = '75056' and secteur = ?",
            [TOTAL],
        ).fetchall()
    )
    for annee, teq, count in arrondissements.iter_rows():
        assert count == 20
        assert paris[int(annee)] == pytest.approx(teq, abs=1)
    assert (
        con.execute(
            "select count(*) from marts.emissions where code_commune like '751%'"
        ).fetchone()[0]
        == 0
    )
    repairs = con.execute(
        "select count(*) from audit.reparations where id_execution = 'airparif' "
        "and valeur_retenue = '75056' and valeur_lue like '751%'"
    ).fetchone()[0]
    assert repairs == 680


@pytest.mark.slow
def test_the_snbc_objective_on_real_figures(airparif):
    _, con, _ = airparif
    values = con.execute(
        "select annee, valeur, numerateur, denominateur, part_perimetre_avec_donnees, statut "
        "from marts.objectifs_valeurs where id_objectif = 'emissions_snbc' order by annee"
    ).fetchall()
    print("\nObjectif SNBC (baisse depuis 2015), inventaire Airparif :", values)
    assert [v[0] for v in values] == [2015, 2017]  # from the reference year on
    assert values[0][1] == 0 and values[0][5] == "année de référence"
    # Airparif's total rose from 37,677.7 kt (2015) to 38,092.7 kt (2017): no decrease
    assert values[1][1] == pytest.approx(-0.011, abs=0.001)
    assert values[1][5] == "en retard"
    assert values[1][4] > 0.99


def test_the_demo_is_published_flagged_and_its_totale_apart(published):
    with duckdb.connect(str(published.public), read_only=True) as con:
        assert con.execute(
            "select bool_and(demo) from sources where source = 'emissions'"
        ).fetchone()[0]
        communes, region = con.execute(
            "select (select sum(emissions_teqco2) from emissions where annee = 2017 "
            "        and secteur = ?), "
            "       (select emissions_teqco2 from emissions_territoires where niveau = 'region' "
            "        and code = '11' and annee = 2017 and secteur = ?)",
            [TOTAL, TOTAL],
        ).fetchone()
        assert region == pytest.approx(communes, abs=1)
        regions = con.execute(
            "select distinct code from emissions_territoires where niveau = 'region'"
        ).fetchall()
        assert regions == [("11",)]  # the inventory's scope: Île-de-France only
        (first,) = con.execute(
            "select min(annee) from objectifs_valeurs where id_objectif = 'emissions_snbc' "
            "and valeur is not null"
        ).fetchone()
        assert first == 2015
