"""Source ``production``: Enedis' commune schema, the real Lyon export, coverage marts."""

from __future__ import annotations

import duckdb
import pytest

from flows.connector import RawFile
from flows.demo import production as demo
from flows.sources import production
from schemas.check import ContractError
from tests.conftest import REAL, load_into_copy, real_file

LYON = REAL / "enedis_prod_elec_filiere_commune_metropole_lyon.csv"


@pytest.fixture(scope="module")
def lyon(published, tmp_path_factory):
    real_file(LYON.name)
    root = tmp_path_factory.mktemp("lyon-prod")
    report, _, con = load_into_copy(published, root, "production", LYON, "lyon")
    yield report, con
    con.close()


def test_lyon_export_loads_whole_with_its_totals(lyon):
    report, con = lyon
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (918, 918, 0)
    ours = con.execute(
        "select annee, filiere, round(sum(energie_mwh), 3) from marts.production group by 1, 2"
    ).fetchall()
    columns = {
        "photovoltaique": "energie_produite_annuelle_photovoltaique_enedis_mwh",
        "cogeneration": "energie_produite_annuelle_cogeneration_enedis_mwh",
    }
    for filiere, column in columns.items():
        theirs = dict(
            con.execute(
                f"""select annee, round(sum(replace("{column}", ',', '.')::double), 3)
                    from read_csv('{LYON}', delim = ';', header = true, all_varchar = true)
                    group by 1"""
            ).fetchall()
        )
        mine = {str(a): v for a, f, v in ours if f == filiere}
        assert mine == pytest.approx({a: v or 0 for a, v in theirs.items()}, abs=0.001)
    # The département adds up the same rows: here every commune is in the Rhône. The région is
    # Enedis' own région series (production_regions), never this sum of a few communes.
    above = con.execute(
        "select annee, filiere, energie_mwh from marts.production_territoires "
        "where niveau = 'departement' and code = '69'"
    ).fetchall()
    expected = {(a, f): v for a, f, v in ours}
    assert {(a, f): v for a, f, v in above} == pytest.approx(expected, abs=0.001)
    assert con.execute(
        "select list(distinct origine) from marts.production_territoires "
        "where niveau = 'region' and code = '84'"
    ).fetchone() == (["production_regions"],)


def test_coverage_counts_renewables_only(lyon):
    _, con = lyon
    row = con.execute(
        """select c.production_enr_mwh,
                  (select sum(energie_mwh) from marts.production
                   where code_commune = '69029' and annee = 2019 and filiere <> 'cogeneration')
           from marts.couverture as c
           where niveau = 'commune' and code = '69029' and annee = 2019"""
    ).fetchone()
    assert row[0] == pytest.approx(row[1], abs=0.001)


def test_a_file_without_filiere_columns_is_refused():
    data = b"annee;code_commune;domaine_de_tension\n2020;69003;HTA\n"
    with pytest.raises(ContractError, match="aucune filière"):
        production.read([RawFile("p.csv", "p.csv", data)], None)


def test_bad_values_are_quarantined_at_their_cell():
    header = real_file(LYON.name).read_text(encoding="utf-8-sig").splitlines()[0]
    rows = [
        "2020;Bron;69029;HTA;1;12,5;0;0;0;0;0;0;0;0;1",
        "2020;Bron;69029;HTA;-1;12,5;0;0;0;0;0;0;0;0;2",
        "2020;Bron;69029;HTA;1;x;0;0;0;0;0;0;0;0;3",
    ]
    data = ("\n".join([header, *rows]) + "\n").encode()
    (checked,) = production.read([RawFile("p.csv", "p.csv", data)], None)["production"]
    found = {(p["ligne"], p["colonne"], p["regle"]) for p in checked.problems.to_dicts()}
    assert found == {
        (3, "nb_sites_photovoltaique_enedis", "au moins 0"),
        (4, "energie_produite_annuelle_photovoltaique_enedis_mwh", "nombre attendu (ex. 1 234,5)"),
    }
    assert checked.to_stage.height == 5  # one valid row, five filières


def test_demo_coverage_is_plausible(published):
    assert demo.series().equals(demo.series())
    with duckdb.connect(str(published.public), read_only=True) as con:
        national = con.execute(
            "select annee, sum(production_enr_mwh) / sum(consommation_mwh) from couverture "
            "where niveau = 'departement' group by 1 order by 1"
        ).fetchall()
    rates = [r for _, r in national]
    assert 0.02 < rates[0] < rates[-1] < 0.4, rates
