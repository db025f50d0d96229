"""The refresh flow: each source is received (fetched and landed), checked and staged; marts are
built; the public file is published only if every step succeeded, so a failure never reaches the
public.

The steps: ``flows/pipeline.py`` receives and stages each source (as its spec says), the marts
are built in the order their reads give (``warehouse/marts.py``), their data tests run
(``warehouse/datatests.py``), and ``warehouse/publish.py`` writes the public files.

A refresh only does what changed. A source whose landed files are those of its published load is
not checked again: Prefect's cache, keyed on the source, its checksum and the code, returns that
load's report. When no source changed, nothing is rebuilt and the public file stays as it is,
byte for byte. ``force`` does everything again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import duckdb
from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.states import Completed

from flows import notify, remote
from flows.embeds import write_embeds
from flows.pipeline import digest, receive, stage, where
from flows.report import RefreshFailed, RefreshReport, SourceReport, create_artifacts
from flows.sources import SOURCES
from warehouse import audit, datatests, dictionnaire, internal, marts, opendata, partenaires
from warehouse.audit import now
from warehouse.landing import LandedFile, clean_partial
from warehouse.lock import exclusive
from warehouse.paths import Home, private_files
from warehouse.publish import clean_stale, publish, table_counts
from warehouse.status import Status

__all__ = ["RefreshFailed", "RefreshReport", "SourceReport", "refresh"]


@task(name="partie d'un mart", cache_policy=NO_CACHE)
def mart_part(function: Callable[[Any], Any], item: Any) -> Any:
    """One part of a mart built in parallel (the geometries of one région), wherever the task
    runner sends it."""
    return function(item)


def _in_parallel(function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    return [f.result() for f in mart_part.map(unmapped(function), items)]


def _owner(table: str) -> str | None:
    """The source a staging table belongs to: the one named like it, or whose name and ``_``
    start it (``membres_reponses``), the longest name first (``consommation_regions`` is a
    source of its own, not a table of ``consommation``)."""
    names = [n for n in SOURCES if table == n or table.startswith(f"{n}_")]
    return max(names, key=len) if names else None


def _changed(con: duckdb.DuckDBPyConnection, loaded: list[str]) -> set[str]:
    """The staging tables of the sources loaded in this run, as ``staging.table``."""
    tables = [
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'staging'"
        ).fetchall()
    ]
    return {f"staging.{t}" for t in tables if _owner(t) in loaded}


def _build(home: Home, loaded: list[str], force: bool) -> None:
    """Build the marts that what changed reaches, in the order their reads give. A source that
    failed this run keeps the staging of its last good load, so its marts, and the public file,
    keep serving that data."""
    with internal.connect(home.warehouse) as con:
        steps = marts.plan(con, _changed(con, loaded), force)
        get_run_logger().info(
            "construction des marts : %s", ", ".join(m.name for m in steps) or "aucun"
        )
        marts.build(con, steps, _in_parallel)


@task(name="tests de données", cache_policy=NO_CACHE)
def test_marts(run_id: str, published: dict[str, int]) -> list[datatests.Result]:
    """Run the data tests of the marts about to be published, and record them in the audit."""
    with internal.connect(Home.from_env().warehouse) as con:
        results = datatests.run(con, _described(), published=published, personal=_personal_fields())
        audit.record_tests(con, run_id, results)
    return results


def _described() -> dict[str, dict]:
    return dictionnaire.tables(SOURCES.public_tables())


def _personal_fields() -> tuple[str, ...]:
    return tuple(f for name in SOURCES for f in SOURCES[name].spec.personal_fields)


@task(name="publier", cache_policy=NO_CACHE)
def publish_public(run_id: str) -> dict[str, int]:
    """Publish the partner file, then the public one: a failure in either leaves the public
    file, and the run's record, as they were."""
    home = Home.from_env()
    published_at = now()
    with internal.connect(home.warehouse) as con:
        partenaires.publish(con, home.partenaires, run_id, published_at)
        counts = publish(
            con, home.public, run_id, published_at, package=home.static, described=_described()
        )
        audit.mark_published(con, run_id)
    return counts


def _staged(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Sources with staged data (this run's or a previous good load's), in loading order."""
    tables = {
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'staging'"
        ).fetchall()
    }
    return [n for n in SOURCES if any(t == n or t.startswith(f"{n}_") for t in tables)]


def _load(
    con: duckdb.DuckDBPyConnection,
    name: str,
    location: str | None,
    run_id: str,
    received: PrefectFuture,
    force: bool,
) -> SourceReport:
    """Stage one source from its received files; record the outcome in the audit (``con``)."""
    logger = get_run_logger()
    audit.start(con, run_id, name)
    served = audit.served(con, name)
    shown = remote.shown(location) if location else None  # what the audit may record of it
    step = "téléchargement"
    landed: list[LandedFile] = []
    try:
        landed = received.result()
        if not all(f.path.exists() for f in landed):  # landing emptied since it was cached
            landed = receive.with_options(refresh_cache=True)(name, location)
        logger.info("%s : %d fichier(s) en zone d'atterrissage", name, len(landed))
        step = "validation"
        fresh = force or served is None or served[0] != digest(landed)
        state = stage.with_options(refresh_cache=fresh)(
            name, location, landed, run_id, return_state=True
        )
        report = state.result()
    except Exception as error:
        reason = str(error)
        if shown and shown not in reason:  # a check names the landed copy, not the source
            reason += f" (fichier reçu de {shown})"
        _note_failure(
            lambda: audit.finish(
                con,
                run_id,
                name,
                status=Status.FAILED,
                message=f"{step} : {reason}",
                location=shown,
                sha256=digest(landed),
            )
        )
        raise RefreshFailed(name, step, reason) from error
    read_from = where(location, landed)
    if state.name == "Cached" and served is not None:
        audit.finish(
            con,
            run_id,
            name,
            status=Status.UNCHANGED,
            location=read_from,
            sha256=digest(landed),
            message=f"mêmes fichiers que le chargement publié du {served[1]:%d/%m/%Y %H:%M}",
        )
        logger.info("%s : inchangé, ni revalidé ni rechargé", name)
        return replace(report, status=Status.UNCHANGED)
    audit.finish(
        con,
        run_id,
        name,
        status=Status.LOADED,
        location=read_from,
        sha256=digest(landed),
        read=report.rows_read,
        accepted=report.rows_accepted,
        rejected=report.rows_rejected,
    )
    logger.info(
        "%s : %d lignes lues, %d acceptées, %d rejetées",
        name,
        report.rows_read,
        report.rows_accepted,
        report.rows_rejected,
    )
    for problem in report.problems[:5]:
        logger.warning("%s : %s", name, problem)
    return report


def _note_failure(record: Callable[[], None]) -> None:
    """Record a failure in the audit if the warehouse still can: the full disk that stopped a
    step may stop this write too, and the failure must still be told (the next run marks the
    run interrupted)."""
    try:
        record()
    except duckdb.Error as error:
        get_run_logger().error("échec non noté dans l'audit : %s", error)


def _fail_run(home: Home, run_id: str, message: str) -> None:
    with internal.connect(home.warehouse) as con:
        audit.fail_run(con, run_id, message)


@flow(
    name="rafraichissement",
    on_failure=[notify.alert],
    on_completion=[notify.alert_if_partial],
)
def refresh(
    locations: dict[str, str] | None = None,
    sources: list[str] | None = None,
    force: bool = False,
) -> RefreshReport:
    """Load ``sources`` (all by default; from ``locations`` where given), build the marts and
    publish what changed; ``force`` checks, rebuilds and publishes everything again.

    A run where some source failed ends in the Completed state named « Partiel »."""
    locations = locations or {}
    names = sources or list(SOURCES)
    unknown = sorted((set(locations) | set(names)) - set(SOURCES))
    if unknown:
        raise ValueError(
            f"source(s) inconnue(s) : {', '.join(unknown)} ; connues : {', '.join(SOURCES)}"
        )
    names = [n for n in SOURCES if n in names]
    home = Home.from_env().ensure()
    run_id = flow_run.get_id() or now().strftime("%Y%m%dT%H%M%S")
    logger = get_run_logger()
    with private_files(), exclusive(home.lock):
        stale = clean_stale(home.public) + clean_stale(home.partenaires)
        for path in stale + clean_partial(home.landing):
            logger.warning("fichier laissé par un run interrompu supprimé : %s", path)
        with internal.connect(home.warehouse) as con:
            if audit.close_interrupted(con):
                logger.warning("un run précédent, interrompu, a été marqué comme tel")
            accepted_before = audit.last_published(con)
        # every source is fetched at once (in parallel on Dask); staging writes one at a time
        received = {
            name: receive.with_options(refresh_cache=force).submit(name, locations.get(name))
            for name in names
        }
        reports, failures = [], []
        # one connection for the audit; stage's own connection shares its database instance
        with internal.connect(home.warehouse) as con:
            for name in names:
                try:
                    reports.append(
                        _load(con, name, locations.get(name), run_id, received[name], force)
                    )
                except RefreshFailed as failure:
                    logger.error("%s", failure)
                    failures.append(failure)
            staged = _staged(con)
        if not reports:
            raise failures[0]
        loaded = [r.source for r in reports if r.status == Status.LOADED]
        published: dict[str, int] = {}
        tables_before: dict[str, int] = {}
        tests: list[datatests.Result] = []
        published_files = (home.public, home.partenaires, opendata.current(home.static))
        if loaded or failures or force or not all(f.exists() for f in published_files):
            step = "construction des marts"
            try:
                if loaded or force:
                    _build(home, loaded, force)
                step = "tests de données"
                tables_before = table_counts(home.public)
                tests = test_marts(run_id, tables_before)
                refused = datatests.failed(tests)
                for result in tests:
                    if not result.passed:
                        logger.warning("test de données en échec : %s", result)
                if refused:
                    raise RuntimeError(
                        f"{len(refused)} test(s) en échec, publication refusée : "
                        + " ; ".join(str(r) for r in refused[:5])
                    )
                step = "publication"
                logger.info("publication de %s", home.public)
                published = publish_public(run_id)
            except Exception as error:
                message = f"non publié ({step} : {error})"
                _note_failure(lambda: _fail_run(home, run_id, message))
                raise RefreshFailed("toutes", step, str(error)) from error
        else:
            logger.info("aucune source n'a changé : %s reste tel quel", home.public)
        # after the publish, never failing it: a chart's image is not worth a refresh
        embeds = write_embeds(bool(published))
        for failed in failures:
            failed.reason += (
                " ; ses données précédentes restent publiées"
                if failed.source in staged
                else " ; elle n'a encore jamais été publiée"
            )
    report = RefreshReport(
        run_id, reports, published, failures, accepted_before, tables_before, tests, embeds
    )
    create_artifacts(report)
    if failures:
        told = " ; ".join(str(f) for f in failures)
        return Completed(name=notify.PARTIAL, message=told, data=report)  # type: ignore[return-value]
    return report
