"""Source ``contrats``: ANCT CRTE list and the real 2019 CTE perimeters, matched to current EPCI."""

from __future__ import annotations

import csv
import hashlib
import json

import duckdb
import pytest
import shapely
from typer.testing import CliRunner

from flows import remote, topojson
from flows.connector import RawFile
from flows.sources import contrats
from observatoire.cli import app
from tests.conftest import REAL, load_into_copy, real_file

CTE_TOPOJSON = REAL / "anct_cte_perimetres_2019.topojson"
CTE_LIST = REAL / "anct_cte_liste_2019.csv"


def test_topojson_arcs_are_decoded_with_transform_and_reversal():
    topology = {
        "type": "Topology",
        "transform": {"scale": [0.5, 0.5], "translate": [10, 40]},
        "arcs": [[[0, 0], [2, 0], [0, 2]], [[2, 2], [-2, 0], [0, -2]]],
        "objects": {
            "z": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "arcs": [[0, 1]], "properties": {"id": "A"}},
                    {"type": "Polygon", "arcs": [[~1, ~0]], "properties": {"id": "B"}},
                ],
            }
        },
    }
    (a_props, a), (_, b) = topojson.features(json.dumps(topology).encode())
    assert a_props == {"id": "A"}
    assert a.equals(shapely.box(10, 40, 11, 41)) and b.equals(a)
    assert a.exterior.coords[0] == a.exterior.coords[-1]


def test_real_cte_list_and_perimeters_agree():
    real_file(CTE_LIST.name)
    real_file(CTE_TOPOJSON.name)
    with CTE_LIST.open(encoding="utf-8") as handle:
        listed = {row["id"]: row["lib"] for row in csv.DictReader(handle)}
    drawn = {p["id"]: p["lib"] for p, _ in topojson.features(CTE_TOPOJSON.read_bytes())}
    assert listed == drawn and len(listed) == 80


@pytest.fixture(scope="module")
def real_cte(published, tmp_path_factory):
    """The published warehouse with the real 2019 CTE file loaded and its marts built."""
    real_file(CTE_TOPOJSON.name)
    root = tmp_path_factory.mktemp("cte")
    report, landed, con = load_into_copy(published, root, "contrats", CTE_TOPOJSON, "cte-2019")
    assert landed[0].sha256 == hashlib.sha256(CTE_TOPOJSON.read_bytes()).hexdigest()
    yield report, con
    con.close()


def test_real_2019_cte_load_with_their_waves(real_cte):
    report, con = real_cte
    assert (report.rows_read, report.rows_rejected) == (80, 0)
    waves = dict(con.execute("select vague, count(*) from marts.contrats group by 1").fetchall())
    assert waves == {"2018": 17, "2019": 63}


def test_real_2019_cte_are_mapped_to_current_epci(real_cte):
    _, con = real_cte
    mapped = con.execute(
        "select count(distinct id_contrat) from marts.contrats_perimetres"
    ).fetchone()[0]
    assert mapped >= 0.95 * 80, mapped
    unmatched = con.execute(
        "select id_contrat, motif from marts.contrats_rapprochement where statut = 'non rapproché'"
    ).fetchall()
    assert len(unmatched) == 80 - mapped and all(reason for _, reason in unmatched)
    # spot checks: a pilot drawn in metropolitan France, and an overseas inset matched by name
    rochefort = con.execute(
        "select code_epci from marts.contrats_perimetres where id_contrat = 'CTE101'"
    ).fetchall()
    assert rochefort == [("200041762",)]  # CA Rochefort Océan
    tco = con.execute(
        "select epci, statut from marts.contrats_rapprochement where id_contrat = 'CTE115'"
    ).fetchone()
    assert tco == ("249740101", "rapproché par le nom")


def test_demo_default_covers_every_epci_with_crte_and_three_cte_waves(published):
    with duckdb.connect(str(published.public), read_only=True) as con:
        kinds = dict(
            con.execute("select type || ' ' || vague, count(*) from contrats group by 1").fetchall()
        )
        covered = con.execute(
            "select count(distinct code_epci) from contrats_perimetres "
            "join contrats using (id_contrat) where type = 'CRTE'"
        ).fetchone()[0]
        demo = con.execute(
            "select bool_and(demo) from sources where source = 'contrats'"
        ).fetchone()
    assert kinds["CTE 2018"] == 17 and kinds["CTE 2019"] == 63 and kinds["CTE 2020"] == 27
    assert 800 <= kinds["CRTE 2021"] <= 950
    assert covered == 1253
    assert demo == (True,)


def test_anct_crte_format_without_extensions_and_an_unknown_epci(tmp_path):
    path = tmp_path / "liste-crte.csv"
    path.write_text(
        "insee_reg;lib_reg;dep_chef_file;lib_dep;id_crte;lib_crte;type_grp_crte;crte_interreg;"
        "crte_interdep;siren_groupement;lib_groupement;nature_juridique;siren_grp_supra\n"
        "84;ARA;01;Ain;crte-84-01-1;CRTE Bassin;EPCI;non;non;200071751;CA Bassin;CA;\n"
        "84;ARA;01;Ain;crte-84-01-1;CRTE Bassin;EPCI;non;non;200000000;Disparu;CC;\n",
        encoding="utf-8",
    )
    (raw,) = remote.read_all(str(path))
    checked = contrats.read([raw], None)["contrats_crte"]
    assert checked.valid["type_contrat"].to_list() == [None]
    assert [(p["ligne"], p["colonne"], p["regle"]) for p in checked.problems.to_dicts()] == [
        (3, "siren_groupement", "EPCI actuel (COG)")
    ]


def test_broken_topojson_is_unreadable(tmp_path):
    path = tmp_path / "cte.topojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    result = CliRunner().invoke(app, ["validate", "contrats", str(path)])
    assert result.exit_code == 2 and "TopoJSON illisible" in result.output
    real_file(CTE_TOPOJSON.name)
    assert (
        contrats.read([RawFile("x", "x", CTE_TOPOJSON.read_bytes())], None)[
            "contrats_cte"
        ].valid.height
        == 80
    )
