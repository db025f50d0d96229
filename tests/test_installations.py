"""Source ``installations``: ODRÉ's registry, placed by commune name, and the capacity marts."""

from __future__ import annotations

import functools

import duckdb
import pytest

from flows.commune_names import CommuneNames
from flows.connector import RawFile
from flows.sources import installations
from tests.conftest import REAL, load_into_copy, real_file

RHONE = REAL / "odre_registre_installations_rhone.csv"


@functools.cache
def _header() -> str:
    return real_file(RHONE.name).read_text(encoding="utf-8-sig").splitlines()[0]


@pytest.fixture(scope="module")
def rhone(published, tmp_path_factory):
    real_file(RHONE.name)
    root = tmp_path_factory.mktemp("rhone")
    report, _, con = load_into_copy(published, root, "installations", RHONE, "rhone")
    yield report, con
    con.close()


def _file(sql: str) -> list[tuple]:
    """Figures computed on the real file by DuckDB alone, independently of the project."""
    with duckdb.connect() as con:
        con.execute(
            f"create view f as select * from read_csv('{RHONE}', delim = ';', header = true, "
            "all_varchar = true)"
        )
        return con.execute(sql).fetchall()


def test_every_row_is_placed_or_quarantined_with_its_reason(rhone):
    report, con = rhone
    assert report.rows_read == 1132 == report.rows_accepted + report.rows_rejected
    reasons = dict(
        con.execute(
            "select regle, count(*) from quarantine.rejets where id_execution = 'rhone' group by 1"
        ).fetchall()
    )
    no_commune = _file("select count(*) from f where commune is null")[0][0]
    renamed = _file("select count(*) from f where commune = 'Grigny'")[0][0]
    assert no_commune == 11 and renamed > 0
    assert reasons == {
        installations.NO_COMMUNE: no_commune,
        # Grigny (69) is Grigny-sur-Rhône since 2024: a renamed commune is not guessed
        "commune introuvable par son nom dans son département (nom inconnu ou renommé)": renamed,
    }
    assert report.rows_rejected == no_commune + renamed


def test_names_leading_to_another_code_are_recorded(rhone):
    _, con = rhone
    repairs = dict(
        con.execute(
            "select valeur_lue, any_value(valeur_retenue || ' — ' || motif) "
            "from audit.reparations where id_execution = 'rhone' group by 1"
        ).fetchall()
    )
    assert repairs["Lyon 2e Arrondissement (69)"] == (
        "69123 — nom → code : arrondissement municipal : code de la commune"
    )
    assert repairs["Oullins (69)"].startswith("69149 — nom → code : commune déléguée")
    assert "Le Breuil (69)" not in repairs  # found directly, with INSEE's separate article


def test_capacity_in_service_matches_the_file(rhone):
    _, con = rhone
    placed = "commune is not null and commune <> 'Grigny'"
    staged = dict(
        con.execute(
            "select code_filiere, round(sum(puissance_kw), 2) from staging.installations group by 1"
        ).fetchall()
    )
    theirs = dict(
        _file(
            f"select codeFiliere, round(sum(puisMaxInstallee::double), 2) from f where {placed} "
            "group by 1"
        )
    )
    assert staged == pytest.approx(theirs)
    in_2020 = con.execute(
        "select round(sum(puissance_kw), 2) from marts.puissance_installee where annee = 2020"
    ).fetchone()[0]
    expected = _file(
        f"""select round(sum(puisMaxInstallee::double), 2) from f
            where {placed}
              and year(strptime(dateMiseEnService, '%d/%m/%Y')) <= 2020
              and (dateDeraccordement is null
                   or year(strptime(dateDeraccordement, '%d/%m/%Y')) > 2020)"""
    )[0][0]
    assert in_2020 == pytest.approx(expected)


def _row(**values: str) -> str:
    """A registry line: the given cells (by header name), the others empty."""
    return ";".join(values.get(column, "") for column in _header().split(";"))


def test_bad_rows_are_quarantined_at_their_cell():
    good = {"nomInstallation": "Centrale", "codeDepartement": "69", "codeFiliere": "SOLAI"}
    rows = [
        _row(**good, commune="Breuil (Le)", dateMiseEnService="01/02/2019", puisMaxInstallee="9"),
        _row(**good, commune="Anse", dateMiseEnService="31/02/2019", puisMaxInstallee="9"),
        _row(**good | {"codeFiliere": "XXXXX"}, commune="Anse", puisMaxInstallee="9"),
        _row(**good, commune="Anse", puisMaxInstallee="-3"),
        _row(**good, commune="Nulle-Part", puisMaxInstallee="9"),
    ]
    data = ("\n".join([_header(), *rows]) + "\n").encode("cp1252")
    (checked,) = installations.read([RawFile("r.csv", "r.csv", data)], None)["installations"]
    found = {(p["ligne"], p["colonne"], p["regle"][:5]) for p in checked.problems.to_dicts()}
    assert found == {
        (3, "date_mise_en_service", "date "),
        (4, "code_filiere", "la va"),
        (5, "puissance_kw", "au mo"),
        (6, "commune", "commu"),
    }
    assert checked.staged["code_commune"].to_list() == ["69026"]  # Le Breuil


def test_names_keep_accents_apart_and_refuse_to_guess():
    names = CommuneNames.load()
    assert names.find("Vergné", "17").code == "17464"
    assert names.find("VERGNE", "17").code == "17465"
    assert names.find("Breuil (Le)", "69").code == names.find("le breuil", "69").code == "69026"
    assert names.find("Ajaccio", "2A").code == "2A004"
    assert names.find("Anse", "1").code is None  # département 01 has no Anse


def test_demo_capacity_reaches_the_production_table(published):
    with duckdb.connect(str(published.public), read_only=True) as con:
        hours = con.execute(
            "select filiere, sum(energie_mwh) * 1000 / sum(puissance_kw) from production "
            "where annee = 2024 and puissance_kw > 0 group by 1"
        ).fetchall()
    typical = {"photovoltaique": 1100, "eolien": 2200, "hydraulique": 3500, "bio_energie": 5000}
    for filiere, full_load_hours in hours:
        assert full_load_hours == pytest.approx(typical[filiere], rel=0.2), filiere
