"""The refresh flow: each source is fetched, landed, checked and staged; marts are built; the
public file is published only if every step succeeded, so a failure never reaches the public."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows import config
from flows.source import RawFile
from flows.sources import SOURCES
from warehouse import audit, internal, objectifs, quarantine
from warehouse.audit import now
from warehouse.landing import LandedFile, land
from warehouse.lock import exclusive
from warehouse.paths import Home
from warehouse.publish import clean_stale, publish


class TooManyRejects(RuntimeError):
    """A file's share of rejected rows exceeds its source's threshold."""


class RefreshFailed(RuntimeError):
    """A source failed at one step; the message says which, and why, in one paragraph."""

    def __init__(self, source: str, step: str, reason: str) -> None:
        super().__init__()
        self.source, self.step, self.reason = source, step, reason

    def __str__(self) -> str:
        return f"source « {self.source} », étape {self.step} : {self.reason}"


@dataclass
class SourceReport:
    source: str
    files: list[str]
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class RefreshReport:
    """What a run loaded and published; ``failures`` lists the sources it could not load."""

    run_id: str
    sources: list[SourceReport]
    published: dict[str, int]
    failures: list[RefreshFailed] = field(default_factory=list)


def _transient(task, task_run, state) -> bool:
    """Retry a download only when trying again may help (see FetchError.transient)."""
    return getattr(state.result(raise_on_failure=False), "transient", False)


@task(
    name="télécharger",
    retries=2,
    retry_delay_seconds=[1, 4],
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
)
def fetch(name: str, location: str | None) -> list[RawFile]:
    """Read a source's raw files; transient failures are retried by Prefect, twice at most."""
    return SOURCES[name].fetch(location)


@task(name="atterrir", cache_policy=NO_CACHE)
def land_files(name: str, raw: list[RawFile]) -> list[LandedFile]:
    home = Home.from_env()
    return [land(home.landing, name, f.name, f.origin, f.data) for f in raw]


@task(name="valider et charger", cache_policy=NO_CACHE)
def stage(name: str, location: str | None, landed: list[LandedFile], run_id: str) -> SourceReport:
    """Check every landed file, stage valid rows, quarantine the others, record provenance.

    Rejects and repairs are always kept; the staged tables are replaced only when the share of
    rejected rows stays within the source's threshold, so a bad file never replaces good data.
    """
    source = SOURCES[name]
    files = [RawFile(f.name, str(f.path), f.path.read_bytes()) for f in landed]
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
        con.execute("begin")
        for result in results:
            report.rows_rejected += quarantine.store(con, run_id, name, result)
            report.problems += result.messages(limit=20)
        if share <= threshold:
            for table, rs in parts.items():
                valid = pl.concat([r.to_stage for r in rs], how="diagonal_relaxed")
                con.register("lignes_valides", valid.drop("ligne"))
                con.execute(
                    f'create or replace table staging."{table}" as select * from lignes_valides'
                )
                con.unregister("lignes_valides")
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
def build_marts(names: list[str]) -> list[str]:
    """Build the marts of every source that has staged data (this run's or a previous good one's).

    A source that failed this run still has the staging of its last good load, so its marts, and
    the public file, keep serving that data.
    """
    with internal.connect(Home.from_env().warehouse) as con:
        staged = {
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'staging'"
            ).fetchall()
        }
        built = [n for n in names if any(t == n or t.startswith(f"{n}_") for t in staged)]
        con.execute("begin")
        for name in built:
            SOURCES[name].build_marts(con)
        objectifs.build(con)
        con.execute("commit")
    return built


@task(name="publier", cache_policy=NO_CACHE)
def publish_public(run_id: str) -> dict[str, int]:
    home = Home.from_env()
    with internal.connect(home.warehouse) as con:
        counts = publish(con, home.public, run_id, now())
        audit.mark_published(con, run_id)
    return counts


def _load(name: str, location: str | None, run_id: str) -> SourceReport:
    logger = get_run_logger()
    home = Home.from_env()
    with internal.connect(home.warehouse) as con:
        audit.start(con, run_id, name)
    step = "téléchargement"
    landed: list[LandedFile] = []
    try:
        logger.info("%s : téléchargement depuis %s", name, location or "la valeur embarquée")
        raw = fetch(name, location)
        step = "atterrissage"
        landed = land_files(name, raw)
        logger.info("%s : %d fichier(s) en zone d'atterrissage", name, len(landed))
        step = "validation"
        report = stage(name, location, landed, run_id)
    except Exception as error:
        with internal.connect(home.warehouse) as con:
            audit.finish(
                con,
                run_id,
                name,
                status="échec",
                message=f"{step} : {error}",
                location=location,
                sha256=_digest(landed),
            )
        raise RefreshFailed(name, step, str(error)) from error
    with internal.connect(home.warehouse) as con:
        audit.finish(
            con,
            run_id,
            name,
            status="chargé",
            location=location or os.path.commonpath([f.origin for f in landed]),
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


def _summary(report: RefreshReport) -> str:
    lines = [
        f"# Rafraîchissement {report.run_id}",
        "",
        "| source | lignes lues | acceptées | rejetées |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {s.source} | {s.rows_read} | {s.rows_accepted} | {s.rows_rejected} |"
        for s in report.sources
    ]
    for failure in report.failures:
        lines += ["", f"**Échec** — {failure}"]
    for s in report.sources:
        if s.problems:
            lines += ["", f"## Rejets de {s.source} (20 premiers)", ""]
            lines += [f"- {problem}" for problem in s.problems[:20]]
    lines += ["", "| table publiée | lignes |", "|---|---:|"]
    lines += [f"| {t} | {n} |" for t, n in report.published.items()]
    return "\n".join(lines)


@flow(name="rafraichissement")
def refresh(locations: dict[str, str] | None = None) -> RefreshReport:
    """Load every source (from ``locations`` where given), build the marts, publish."""
    locations = locations or {}
    unknown = sorted(set(locations) - set(SOURCES))
    if unknown:
        raise ValueError(
            f"source(s) inconnue(s) : {', '.join(unknown)} ; connues : {', '.join(SOURCES)}"
        )
    home = Home.from_env().ensure()
    run_id = flow_run.get_id() or now().strftime("%Y%m%dT%H%M%S")
    logger = get_run_logger()
    with exclusive(home.lock):
        for path in clean_stale(home.public):
            logger.warning("fichier laissé par une publication interrompue supprimé : %s", path)
        with internal.connect(home.warehouse) as con:
            if audit.close_interrupted(con):
                logger.warning("un run précédent, interrompu, a été marqué comme tel")
        reports, failures = [], []
        for name in SOURCES:
            try:
                reports.append(_load(name, locations.get(name), run_id))
            except RefreshFailed as failure:
                logger.error("%s", failure)
                failures.append(failure)
        if not reports:
            raise failures[0]
        step = "construction des marts"
        try:
            logger.info("construction des marts")
            built = build_marts(list(SOURCES))
            step = "publication"
            logger.info("publication de %s", home.public)
            published = publish_public(run_id)
        except Exception as error:
            with internal.connect(home.warehouse) as con:
                audit.fail_run(con, run_id, f"non publié ({step} : {error})")
            raise RefreshFailed("toutes", step, str(error)) from error
        for failure in failures:
            served = (
                "ses données précédentes restent publiées"
                if failure.source in built
                else ("elle n'a encore jamais été publiée")
            )
            failure.reason += f" ; {served}"
    report = RefreshReport(run_id, reports, published, failures)
    create_markdown_artifact(_summary(report), key="rafraichissement", description="Bilan du run")
    return report
