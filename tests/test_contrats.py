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
from tests.http_fixture import Script, serve

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


def test_real_crte_list_is_the_default_every_crte_and_every_epci(published):
    with duckdb.connect(str(published.public), read_only=True) as con:
        kinds = dict(con.execute("select type, count(*) from contrats group by 1").fetchall())
        covered = con.execute(
            "select count(distinct code_epci) from contrats_perimetres"
        ).fetchone()[0]
        (demo, origin) = con.execute(
            "select bool_and(demo), any_value(origine) from sources where source = 'contrats'"
        ).fetchone()
        statuses = dict(
            con.execute(
                "select statut, count(*) from contrats_rapprochement "
                "where perimetre = 'signataires' group by 1"
            ).fetchall()
        )
        communes = dict(
            con.execute(
                "select code_commune, code_epci from contrats_perimetres "
                "where code_commune in ('85113', '29083', '92012', '29040')"
            ).fetchall()
        )
    assert kinds == {"CRTE": 854}
    assert covered == 1253, "every EPCI, Thionville and the Lévézou through their successors"
    assert demo is False and origin.startswith("https://www.data.gouv.fr/")
    assert statuses == {"rapproché": 854}
    # L'Île-d'Yeu and Île-de-Sein sign alone and have no EPCI; Boulogne-Billancourt through its
    # EPT, in the Métropole du Grand Paris; Le Conquet for the Pays d'Iroise
    assert communes == {
        "85113": None,
        "29083": None,
        "92012": "200054781",
        "29040": "242900074",
    }


def test_repeated_pairs_are_kept_once_and_reported(published):
    with duckdb.connect(str(published.warehouse), read_only=True) as con:
        repeats = con.execute(
            "select count(*) from audit.reparations where source = 'contrats' "
            "and motif like 'paire contrat–signataire déjà lue%'"
        ).fetchone()[0]
        rejected = con.execute(
            "select count(*) from quarantine.rejets where source = 'contrats'"
        ).fetchone()[0]
        grand_paris = con.execute(
            "select count(*) from staging.contrats_crte where siren_groupement = '200054781'"
        ).fetchone()[0]
    assert (repeats, rejected, grand_paris) == (11, 0, 1)


def _crte(tmp_path, *rows: str):
    path = tmp_path / "liste-crte.csv"
    path.write_text(
        "insee_reg;lib_reg;dep_chef_file;lib_dep;id_crte;lib_crte;type_grp_crte;crte_interreg;"
        "crte_interdep;siren_groupement;lib_groupement;nature_juridique;siren_grp_supra\n"
        + "".join(f"{r}\n" for r in rows),
        encoding="utf-8",
    )
    return path


def test_a_signatory_that_cannot_be_placed_leaves_its_contract_whole(tmp_path):
    path = _crte(
        tmp_path,
        "84;ARA;01;Ain;crte-84-01-1;CRTE Bassin;EPCI;non;non;200071751;CA Bassin;CA;",
        "84;ARA;01;Ain;crte-84-01-1;CRTE Bassin;EPCI;non;non;200000000;Disparu;CC;",
        "84;ARA;01;Ain;crte-84-01-1;CRTE Bassin;EPCI;non;non;210100000;Nulle-Part;COM;",
    )
    (raw,) = remote.read_all(str(path))
    (checked,) = contrats.read([raw], None)["contrats_crte"]
    assert checked.rejected.height == 0 and checked.valid["type_contrat"].to_list() == [None] * 3
    placed = checked.to_stage.select("siren_groupement", "code_epci", "motif").rows()
    assert placed[0] == ("200071751", "200071751", None)
    assert placed[1][:2] == ("200000000", None) and "sans nouvel EPCI" in placed[1][2]
    assert placed[2][:2] == ("210100000", None) and "commune signataire" in placed[2][2]


def test_the_crte_list_and_the_2019_cte_perimeters_load_together(published, tmp_path):
    crte = real_file("anct_crte_groupements_2022-12.csv")
    folder = tmp_path / "contrats"
    folder.mkdir()
    (folder / crte.name).write_bytes(crte.read_bytes())
    (folder / CTE_TOPOJSON.name).write_bytes(real_file(CTE_TOPOJSON.name).read_bytes())
    root = tmp_path / "copie"
    root.mkdir()
    report, landed, con = load_into_copy(published, root, "contrats", folder, "deux-listes")
    with con:
        kinds = dict(con.execute("select type, count(*) from marts.contrats group by 1").fetchall())
        checking = con.execute(
            "select count(*) from marts.contrats_rapprochement where statut = 'à vérifier'"
        ).fetchone()[0]
    assert sorted(f.name for f in landed) == sorted([crte.name, CTE_TOPOJSON.name])
    assert kinds == {"CRTE": 854, "CTE": 80} and report.rows_rejected == 0
    assert checking < 80, "the drawn perimeters' own report, beside the CRTE"


def test_the_crte_list_is_downloaded_again_after_a_server_error(prefect_harness, home):
    from flows.pipeline import receive

    body = real_file("anct_crte_groupements_2022-12.csv").read_bytes()
    script = Script((503, b"maintenance"), (200, body))
    with serve(script) as url:
        (landed,) = receive.with_options(retry_delay_seconds=0)("contrats", f"{url}/crte.csv")
    assert landed.sha256 == hashlib.sha256(body).hexdigest() and len(script.requests) == 2
    (checked,) = contrats.read([landed], None)["contrats_crte"]
    assert checked.rows_read == 1295 and checked.rejected.height == 0


def test_broken_topojson_is_unreadable(tmp_path):
    path = tmp_path / "cte.topojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    result = CliRunner().invoke(app, ["validate", "contrats", str(path)])
    assert result.exit_code == 2 and "TopoJSON illisible" in result.output
    real_file(CTE_TOPOJSON.name)
    files = [RawFile("x", "x", CTE_TOPOJSON.read_bytes())]
    (drawn,) = contrats.read(files, None)["contrats_cte"]
    assert drawn.valid.height == 80
