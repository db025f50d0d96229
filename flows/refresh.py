"""The refresh flow: each source is received (fetched and landed), checked and staged; marts are
built; the public file is published only if every step succeeded, so a failure never reaches the
public.

A refresh only does what changed. A source whose landed files are those of its published load is
not checked again: Prefect's cache, keyed on the source, its checksum and the code, returns that
load's report. When no source changed, nothing is rebuilt and the public file stays as it is,
byte for byte. ``force`` does everything again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import duckdb
import polars as pl
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.states import Completed

from flows import config, notify, remote
from flows.connector import RawFile
from flows.report import (
    LOADED,
    UNCHANGED,
    RefreshFailed,
    RefreshReport,
    SourceReport,
    create_artifacts,
)
from flows.sources import SOURCES, code_fingerprint, import_now
from warehouse import audit, internal, objectifs, opendata, partenaires
from warehouse.audit import now
from warehouse.landing import LandedFile, clean_partial, land
from warehouse.lock import exclusive
from warehouse.paths import Home
from warehouse.publish import clean_stale, publish, table_counts

__all__ = ["RefreshFailed", "RefreshReport", "SourceReport", "refresh"]


STAGE_SLICE_ROWS = 1_000_000


class TooManyRejects(RuntimeError):
    """A file's share of rejected rows exceeds its source's threshold."""


def _transient(task, task_run, state) -> bool:
    """Retry a download only when trying again may help (see FetchError.transient)."""
    return getattr(state.result(raise_on_failure=False), "transient", False)


def _receive_key(context, parameters: dict) -> str | None:
    """Files received once per landing folder and code version: the embedded demo files, which
    depend only on the code that generates them, and a local file while its identity on disk
    (device, inode, size, modification and change times) stays the same, as make and rsync judge
    a file unchanged; rereading the national files to hash them was most of a run with nothing
    new. Downloads are always fetched again, and ``--force`` receives everything again."""
    location = parameters["location"]
    if location is None:
        identity = "démonstration"
    else:
        path = Path(remote.expand(location))
        if "://" in location or not path.is_file():
            return None
        info = path.stat()
        identity = (
            f"{path.resolve()}|{info.st_dev}|{info.st_ino}|{info.st_size}"
            f"|{info.st_mtime_ns}|{info.st_ctime_ns}"
        )
    key = f"{parameters['name']}|{identity}|{Home.from_env().landing}|{code_fingerprint()}"
    return hashlib.sha256(key.encode()).hexdigest()


@task(
    name="recevoir",
    retries=2,
    retry_delay_seconds=[1, 4],
    retry_condition_fn=_transient,
    cache_key_fn=_receive_key,
)
def receive(name: str, location: str | None) -> list[LandedFile]:
    """Fetch a source's raw files and land them; transient failures are retried, twice at most."""
    home = Home.from_env()
    return [
        land(home.landing, name, f.name, f.origin, f.source) for f in SOURCES[name].fetch(location)
    ]


def _stage_key(context, parameters: dict) -> str:
    """Same source, same landed bytes, same code and settings: same outcome. The flow only lets a
    run use it when the warehouse still serves that load (see ``_load``)."""
    name = parameters["name"]
    key = f"{name}|{_digest(parameters['landed'])}|{code_fingerprint()}|{config.settings(name)}"
    return hashlib.sha256(key.encode()).hexdigest()


def _write_aside(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> str:
    """Write ``frame`` to a staging table beside ``table``, committing a slice at a time, and
    return its name, for the load's transaction to swap it in: a transaction holds what it
    inserts uncompressed in memory, which for a national table doubles a refresh's peak. A
    table left aside by a killed run is replaced by the next load."""
    aside = f"_chargement_{table}"
    con.register("lignes_valides", frame.head(0))
    con.execute(f'create or replace table staging."{aside}" as select * from lignes_valides')
    # rows may land in any order (every mart sorts what it reads): 10 % faster, in parallel
    con.execute("set preserve_insertion_order = false")
    try:
        for part in frame.iter_slices(STAGE_SLICE_ROWS):
            con.register("lignes_valides", part)
            con.execute(f'insert into staging."{aside}" select * from lignes_valides')
    finally:
        con.execute("reset preserve_insertion_order")
        con.unregister("lignes_valides")
    return aside


@task(name="valider et charger", cache_key_fn=_stage_key)
def stage(name: str, location: str | None, landed: list[LandedFile], run_id: str) -> SourceReport:
    """Check every landed file, stage valid rows, quarantine the others, record provenance.

    Rejects and repairs are always kept; the staged tables are replaced only when the share of
    rejected rows stays within the source's threshold, so a bad file never replaces good data.
    """
    from warehouse import quarantine  # with pandera: imported only when a file is checked

    source = SOURCES[name]
    files = [RawFile(f.name, str(f.path), path=f.path) for f in landed]
    report = SourceReport(name, [f.name for f in landed])
    with internal.connect(Home.from_env().warehouse) as con:
        checked = source.check(files, con)
        # a staging table may gather several files (e.g. two datasets of one publisher)
        parts = {t: r if isinstance(r, list) else [r] for t, r in checked.items()}
        results = [r for rs in parts.values() for r in rs]
        report.rows_read = sum(r.rows_read for r in results)
        report.rows_accepted = sum(r.valid.height for r in results)
        threshold = config.reject_threshold(name)
        share = (report.rows_read - report.rows_accepted) / max(report.rows_read, 1)
        staged = {}
        if share <= threshold:
            for table, rs in parts.items():
                valid = pl.concat([r.to_stage for r in rs], how="diagonal_relaxed")
                staged[table] = _write_aside(con, table, valid.drop("ligne"))
        con.execute("begin")
        for result in results:
            report.rows_rejected += quarantine.store(con, run_id, name, result)
            report.problems += result.messages(limit=20)
        if share <= threshold:
            for table, aside in staged.items():
                con.execute(f'drop table if exists staging."{table}"')
                con.execute(f'alter table staging."{aside}" rename to "{table}"')
            audit.record_staged(con, run_id, name, _digest(landed))
        audit.record_files(con, run_id, landed, source.provenance(location))
        con.execute("commit")
    if share > threshold:
        raise TooManyRejects(
            f"{report.rows_rejected} ligne(s) rejetée(s) sur {report.rows_read} "
            f"({_percent(share)}, seuil {_percent(threshold)}) ; premier problème : "
            f"{report.problems[0] if report.problems else '?'}"
        )
    return report


@task(name="construire les marts", cache_policy=NO_CACHE)
def build_marts(names: list[str], objectives: bool) -> None:
    """Build the marts of ``names`` in one transaction, and the objectives (with the partner
    tables, which read them) if asked."""
    with internal.connect(Home.from_env().warehouse) as con:
        con.execute("begin")
        for name in names:
            SOURCES[name].build_marts(con)
        if objectives and objectifs.build(con):
            partenaires.build(con)
        con.execute("commit")


@task(name="contours d'une région", cache_policy=NO_CACHE)
def region_geometries(part: pl.DataFrame) -> pl.DataFrame:
    """Unions and web shapes of one région: runs wherever the task runner sends it."""
    from warehouse import geometries  # shapely: imported only when shapes are made

    return geometries.region_frame(part)


@task(name="publier", cache_policy=NO_CACHE)
def publish_public(run_id: str) -> dict[str, int]:
    """Publish the partner file, then the public one: a failure in either leaves the public
    file, and the run's record, as they were."""
    home = Home.from_env()
    published_at = now()
    with internal.connect(home.warehouse) as con:
        partenaires.publish(con, home.partenaires, run_id, published_at)
        counts = publish(con, home.public, run_id, published_at, package=home.static)
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


def _build(staged: list[str], loaded: list[str], force: bool) -> None:
    """Build the marts of every staged source; territory geometries, per région, only when the
    territories changed. A source that failed this run keeps the staging of its last good load,
    so its marts, and the public file, keep serving that data."""
    from warehouse import geometries

    home = Home.from_env()
    with internal.connect(home.warehouse) as con:
        shapes = con.execute(
            "select count(*) from duckdb_tables() "
            "where schema_name = 'marts' and table_name = 'geometries'"
        ).fetchone()[0]
    if "territoires" in staged and (force or "territoires" in loaded or not shapes):
        build_marts(["territoires"], objectives=False)
        with internal.connect(home.warehouse) as con:
            parts = geometries.regions(con)
        frames = [future.result() for future in region_geometries.map(parts)]
        with internal.connect(home.warehouse) as con:
            geometries.write(con, frames)
    build_marts([n for n in staged if n != "territoires"], objectives=True)


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
        fresh = force or served is None or served[0] != _digest(landed)
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
                status="échec",
                message=f"{step} : {reason}",
                location=shown,
                sha256=_digest(landed),
            )
        )
        raise RefreshFailed(name, step, reason) from error
    where = shown or os.path.commonpath([f.origin for f in landed])
    if state.name == "Cached":
        audit.finish(
            con,
            run_id,
            name,
            status=UNCHANGED,
            location=where,
            sha256=_digest(landed),
            message=f"mêmes fichiers que le chargement publié du {served[1]:%d/%m/%Y %H:%M}",
        )
        logger.info("%s : inchangé, ni revalidé ni rechargé", name)
        return replace(report, status=UNCHANGED)
    audit.finish(
        con,
        run_id,
        name,
        status=LOADED,
        location=where,
        sha256=_digest(landed),
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


def _percent(share: float) -> str:
    return f"{share * 100:.1f}\u202f%".replace(".", ",")


def _digest(landed: list[LandedFile]) -> str | None:
    """One checksum for a source: its file's, or a digest of its files' checksums."""
    if not landed:
        return None
    if len(landed) == 1:
        return landed[0].sha256
    joined = "\n".join(f"{f.name}:{f.sha256}" for f in sorted(landed, key=lambda f: f.name))
    return hashlib.sha256(joined.encode()).hexdigest()


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
    with exclusive(home.lock):
        stale = clean_stale(home.public) + clean_stale(home.partenaires)
        for path in stale + clean_partial(home.landing):
            logger.warning("fichier laissé par un run interrompu supprimé : %s", path)
        with internal.connect(home.warehouse) as con:
            if audit.close_interrupted(con):
                logger.warning("un run précédent, interrompu, a été marqué comme tel")
            accepted_before = audit.last_published(con)
        # every source is fetched at once (in parallel on Dask); staging writes one at a time
        import_now(names)
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
        loaded = [r.source for r in reports if r.status == LOADED]
        published, tables_before = {}, {}
        published_files = (home.public, home.partenaires, opendata.current(home.static))
        if loaded or failures or force or not all(f.exists() for f in published_files):
            step = "construction des marts"
            try:
                if loaded or force:
                    logger.info("construction des marts")
                    _build(staged, loaded, force)
                step = "publication"
                logger.info("publication de %s", home.public)
                tables_before = table_counts(home.public)
                published = publish_public(run_id)
            except Exception as error:
                message = f"non publié ({step} : {error})"
                _note_failure(lambda: _fail_run(home, run_id, message))
                raise RefreshFailed("toutes", step, str(error)) from error
        else:
            logger.info("aucune source n'a changé : %s reste tel quel", home.public)
        for failure in failures:
            failure.reason += (
                " ; ses données précédentes restent publiées"
                if failure.source in staged
                else " ; elle n'a encore jamais été publiée"
            )
    report = RefreshReport(run_id, reports, published, failures, accepted_before, tables_before)
    create_artifacts(report)
    if failures:
        failed = " ; ".join(str(f) for f in failures)
        return Completed(name=notify.PARTIAL, message=failed, data=report)
    return report
