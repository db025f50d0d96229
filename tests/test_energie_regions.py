"""Sources ``consommation_regions`` and ``production_regions``: the publishers' région series, read
for real (ORE's and Enedis' files), shipped as the embedded default, and the région and France
levels of the marts made of them only, never of a sum of (demo) communes."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from flows.connector import RawFile
from flows.pipeline import receive
from flows.sources import SOURCES, consommation, consommation_regions, production_regions
from schemas.check import ContractError
from tests.conftest import real_file
from tests.http_fixture import Script, serve

ORE = "ore_conso_elec_gaz_naf_region_2011_2021.csv"
ENEDIS = "enedis_prod_elec_filiere_region_2011_2023.csv"
RENOUVELABLES = ["photovoltaique", "eolien", "hydraulique", "bio_energie", "autres_filieres"]
ORE_HEADER = (
    "operateur;annee;filiere;code_categorie_consommation;libelle_categorie_consommation;"
    "code_grand_secteur;libelle_grand_secteur;code_naf;libelle_secteur_naf2;conso;pdl;indqual;"
    "nombre_mailles_secretisees;code_region;libelle_region"
)


def _ore_sums() -> dict[tuple[str, int, str], float]:
    """MWh by région code (as written, « Fr » and « XX » included), year and filière, added up
    from ORE's file by DuckDB's own CSV reader, not by the connector."""
    rows = duckdb.sql(
        f"select code_region, annee::int, filiere, sum(conso::double) "
        f"from read_csv('{real_file(ORE)}', delim=';', all_varchar=true) group by all"
    ).fetchall()
    return {(r, a, "gaz" if f == "Gaz" else "électricité"): v for r, a, f, v in rows}


def _enedis_sums() -> dict[tuple[str, int, str], float]:
    """MWh by région, year and filière, added up from Enedis' file by DuckDB."""
    columns = ", ".join(
        f"sum(try_cast(energie_produite_annuelle_{f}_enedis_mwh as double)) as {f}"
        for f in [*RENOUVELABLES, "cogeneration"]
    )
    frame = duckdb.sql(
        f"select code_region, annee::int as annee, {columns} "
        f"from read_csv('{real_file(ENEDIS)}', delim=';', all_varchar=true) group by all"
    ).pl()
    return {
        (r["code_region"], r["annee"], f): r[f]
        for r in frame.iter_rows(named=True)
        for f in [*RENOUVELABLES, "cogeneration"]
        if r[f] is not None
    }


def test_the_real_ore_region_file_is_read_whole_with_its_lost_zeros_repaired():
    path = real_file(ORE)
    (checked,) = consommation_regions.read([RawFile(ORE, str(path), path=path)], None)[
        "consommation_regions"
    ]
    assert (checked.rows_read, checked.valid.height, checked.problems.height) == (18128, 18128, 0)
    # ORE's own file writes 571 NAF codes without their leading zero (« 9 » for 09)
    assert checked.repairs.height == 571
    assert set(checked.repairs["colonne"]) == {"code_naf2"}
    assert checked.to_stage["code_naf2"].drop_nulls().str.len_chars().unique().to_list() == [2]
    unassigned = checked.to_stage.filter(pl.col("code_region").is_null())
    assert unassigned.height == 57  # « Fr » and « XX »: non affecté à une région


def test_a_region_code_without_its_zero_is_repaired_and_an_unknown_one_refused():
    rows = [
        "Enedis;2020;Electricité;RES;Résidentiel;R;Résidentiel;;;1000,5;10;0.9;0;1;Guadeloupe",
        "Enedis;2020;Gaz;ENT;Entreprises;I;Industrie;10;;2000;3;0.9;0;99;Nulle part",
        "Enedis;2020;Fioul;ENT;Entreprises;I;Industrie;10;;5;3;0.9;0;11;Île-de-France",
    ]
    data = "\n".join([ORE_HEADER, *rows]).encode("cp1252")
    (checked,) = consommation_regions.read([RawFile("ore.csv", "ore.csv", data)], None)[
        "consommation_regions"
    ]
    assert checked.to_stage.select("code_region", "conso_mwh").rows() == [("01", 1000.5)]
    assert {(p["ligne"], p["colonne"]) for p in checked.problems.to_dicts()} == {
        (3, "code_region"),
        (4, "filiere"),
    }


def test_the_real_enedis_region_file_is_read_long_by_filiere():
    path = real_file(ENEDIS)
    (checked,) = production_regions.read([RawFile(ENEDIS, str(path), path=path)], None)[
        "production_regions"
    ]
    assert (checked.rows_read, checked.problems.height) == (468, 0)
    staged = checked.to_stage
    assert staged.height == 468 * 6  # six filières, long
    assert staged["code_region"].n_unique() == 12  # Enedis' network: no Corsica, no overseas
    assert "geom" not in staged.columns


def test_a_region_file_given_as_a_commune_one_says_which_source_reads_it():
    path = real_file(ORE)
    with pytest.raises(ContractError, match="--from consommation_regions="):
        consommation.read([RawFile(ORE, str(path), path=path)], None)


def test_served_over_http_a_failure_is_retried_then_the_file_read(prefect_harness, home):
    body = real_file(ENEDIS).read_bytes()
    script = Script((502, b"passerelle"), (200, body))
    with serve(script) as url:
        receive_now = receive.with_options(retry_delay_seconds=0)
        landed = receive_now("production_regions", f"{url}/{ENEDIS}")
    assert len(script.requests) == 2
    files = [RawFile(f.name, f.origin, path=f.path) for f in landed]
    (checked,) = production_regions.read(files, None)["production_regions"]
    assert checked.valid.height == 468


def test_both_series_are_the_real_embedded_default():
    for name, file in (("consommation_regions", ORE), ("production_regions", ENEDIS)):
        spec = SOURCES[name].spec
        assert not spec.embedded.demo
        (snapshot,) = spec.snapshots
        assert snapshot.file == file
        assert snapshot.path.read_bytes() == real_file(file).read_bytes()


@pytest.fixture(scope="module")
def public(published):
    con = duckdb.connect(str(published.public), read_only=True)
    yield con
    con.close()


@pytest.mark.slow
def test_region_and_france_consumption_are_the_files_own_sums(public):
    sums = _ore_sums()
    marts = {
        (n, c, a, f): v
        for n, c, a, f, v in public.execute(
            "select niveau, code, annee, filiere, conso_mwh from consommation_territoires "
            "where niveau in ('region', 'france')"
        ).fetchall()
    }
    print("\nORE, France, TWh (fichier / marts) :")
    for annee in range(2011, 2022):
        for filiere in ("électricité", "gaz"):
            file = sum(v for (_, a, f), v in sums.items() if a == annee and f == filiere)
            ours = marts[("france", "FR", annee, filiere)]
            if filiere == "électricité":
                print(f"{annee}  {file / 1e6:6.1f}  {ours / 1e6:6.1f}")
            assert ours == pytest.approx(file, abs=0.01)
            for (code, a, f), value in sums.items():
                if a == annee and f == filiere and code not in ("Fr", "XX"):
                    assert marts[("region", code, annee, filiere)] == pytest.approx(value, abs=1e-3)
    # « non affecté » rows are in France's total only, not in any région's
    unassigned = sum(v for (r, _, _), v in sums.items() if r in ("Fr", "XX"))
    regions = sum(v for (n, *_), v in marts.items() if n == "region")
    france = sum(v for (n, *_), v in marts.items() if n == "france")
    assert unassigned > 0
    assert france - regions == pytest.approx(unassigned, abs=0.1)


@pytest.mark.slow
def test_region_and_france_production_are_the_files_own_sums(public):
    sums = _enedis_sums()
    marts = {
        (n, c, a, f): v
        for n, c, a, f, v in public.execute(
            "select niveau, code, annee, filiere, energie_mwh from production_territoires "
            "where niveau in ('region', 'france') and energie_mwh is not null"
        ).fetchall()
    }
    for (code, annee, filiere), value in sums.items():
        assert marts[("region", code, annee, filiere)] == pytest.approx(value, abs=1e-3)
    for annee in range(2011, 2024):
        for filiere in RENOUVELABLES:
            file = sum(v for (_, a, f), v in sums.items() if a == annee and f == filiere)
            assert marts[("france", "FR", annee, filiere)] == pytest.approx(file, abs=0.01)


@pytest.mark.slow
def test_no_real_total_includes_a_demo_figure(public):
    """Régions and France come from the real series only: the demo communes make the levels
    below, and are never summed into a région's or France's row."""
    origins = dict(
        public.execute(
            "select niveau, list(distinct origine order by origine) "
            "from consommation_territoires group by niveau"
        ).fetchall()
    )
    assert origins["region"] == origins["france"] == ["consommation_regions"]
    assert origins["epci"] == origins["commune"] == ["consommation"]
    production = dict(
        public.execute(
            "select niveau, list(distinct origine) from production_territoires group by niveau"
        ).fetchall()
    )
    assert production["region"] == production["france"] == ["production_regions"]
    coverage = dict(
        public.execute(
            "select niveau, list(distinct origine) from couverture group by niveau"
        ).fetchall()
    )
    assert coverage["region"] == coverage["france"] == ["séries régionales"]
    demo = dict(public.execute("select source, bool_or(demo) from sources group by 1").fetchall())
    assert demo["consommation"] and demo["production"]
    assert not demo["consommation_regions"] and not demo["production_regions"]


@pytest.mark.slow
def test_france_renewable_coverage_2011_2021_from_real_data(public):
    sums, conso = _enedis_sums(), _ore_sums()
    rows = public.execute(
        "select annee, taux_couverture from couverture where niveau = 'france' "
        "and annee between 2011 and 2021 order by annee"
    ).fetchall()
    assert [a for a, _ in rows] == list(range(2011, 2022))
    print("\nCouverture renouvelable de la France (réseau Enedis / consommation ORE) :")
    for annee, taux in rows:
        production = sum(v for (_, a, f), v in sums.items() if a == annee and f in RENOUVELABLES)
        consumption = sum(v for (_, a, _), v in conso.items() if a == annee)
        print(f"{annee}  {taux * 100:4.1f} %")
        assert taux == pytest.approx(production / consumption, abs=5e-5)
    assert rows[0][1] < rows[-1][1]  # 2.4 % in 2011, 6.0 % in 2021
    # 2022 and 2023: production only, ORE's file stops in 2021
    assert public.execute(
        "select count(*) from couverture where niveau = 'france' and annee > 2021 "
        "and taux_couverture is null and production_enr_mwh > 0"
    ).fetchone() == (2,)


@pytest.mark.slow
def test_an_incomplete_year_is_flagged_and_a_mild_winter_is_not(public):
    flagged = public.execute(
        "select detail, annee from qualite_series where niveau = 'france' "
        "and probleme like 'année incomplète%'"
    ).fetchall()
    # 2011 electricity: 341 TWh against 434 in 2012 (79 %); 2014 gas (85 % of 2013, 93 % of
    # 2015) is a mild winter
    assert flagged == [("électricité", 2011)]
