"""The chain every source's files go through: fetch → land → check → stage (or quarantine) →
audit. Two Prefect tasks: ``receive`` (fetch and land, retried when trying again may help) and
``stage`` (check, stage, quarantine, record), each cached so that unchanged files are neither
landed nor checked again. The connector is called twice, to fetch and to read; everything else
comes from the source's spec.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl
from prefect import task

from flows import remote
from flows.connector import DemoConnector, FetchError, RawFile, SlicedConnector
from flows.report import SourceReport
from flows.sources import SOURCES, Source, code_fingerprint
from flows.spec import Snapshot
from flows.tabular import WholeFileNeeded
from warehouse import audit, internal
from warehouse.landing import LandedFile, land
from warehouse.paths import Home

if TYPE_CHECKING:
    from schemas.check import Checked

STAGE_SLICE_ROWS = 1_000_000


class TooManyRejects(RuntimeError):
    """A file's share of rejected rows exceeds its source's threshold, or its accepted rows fall
    below the share of its last published load its spec requires (``min_rows_share``)."""


def fetch(source: Source, location: str | None, into: Path | None = None) -> list[RawFile]:
    """The raw files at ``location``: the embedded default when there is none (the publisher's
    files shipped with the code, checked against their checksum, or the connector's demo), the
    datasets of the spec's portal when it names it, else a file or folder, local or remote.
    Downloads are written into the folder ``into`` (see :func:`flows.remote.read`)."""
    if location is None and source.spec.snapshots:
        return [_snapshot(s) for s in source.spec.snapshots]
    if location is None:
        if not isinstance(source.connector, DemoConnector):
            raise FetchError(f"{source.name} : ni copie embarquée ni démonstration, --from requis")
        return source.connector.embedded()
    spec = source.spec
    portal = spec.portal
    if portal is not None and location == portal.name:
        return [remote.read(url, spec.max_bytes, spec.deadline_s, into) for url in portal.urls()]
    return remote.read_all(location, spec.max_bytes, spec.deadline_s, into)


def _snapshot(snapshot: Snapshot) -> RawFile:
    """A shipped file, named by where it was published; refused if its bytes changed."""
    with snapshot.path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    if digest != snapshot.sha256:
        raise FetchError(
            f"{snapshot.path} : copie embarquée altérée (SHA-256 {digest[:12]}…, "
            f"attendu {snapshot.sha256[:12]}…)"
        )
    return RawFile(snapshot.file, snapshot.url, path=snapshot.path)


def _transient(task, task_run, state) -> bool:
    """Retry a download only when trying again may help (see FetchError.transient)."""
    return getattr(state.result(raise_on_failure=False), "transient", False)


def _receive_key(context, parameters: dict) -> str | None:
    """Files received once per landing folder and code version: the embedded files, which
    depend only on the code that generates them or the package that ships them, and a local file
    while its identity on disk (device, inode, size, modification and change times) stays the
    same, as make and rsync judge a file unchanged; rereading the national files to hash them
    was most of a run with nothing new. Downloads and folders are always fetched again, and
    ``--force`` receives everything again."""
    location = parameters["location"]
    if location is None:
        identity = "embarqué"
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
    """Fetch a source's raw files and land them (downloads are written in the landing, then
    moved into place); transient failures are retried, twice at most."""
    home = Home.from_env()
    return [
        land(home.landing, name, f.name, f.origin, f.readable, f.downloaded)
        for f in fetch(SOURCES[name], location, home.landing / name)
    ]


def digest(landed: list[LandedFile]) -> str | None:
    """One checksum for a source: its file's, or a digest of its files' checksums."""
    if not landed:
        return None
    if len(landed) == 1:
        return landed[0].sha256
    joined = "\n".join(f"{f.name}:{f.sha256}" for f in sorted(landed, key=lambda f: f.name))
    return hashlib.sha256(joined.encode()).hexdigest()


def _stage_key(context, parameters: dict) -> str:
    """Same source, same landed bytes, same code and settings: same outcome. The flow only lets a
    run use it when the warehouse still serves that load."""
    name = parameters["name"]
    settings = SOURCES[name].spec.settings()
    key = f"{name}|{digest(parameters['landed'])}|{code_fingerprint()}|{settings}"
    return hashlib.sha256(key.encode()).hexdigest()


def _write_aside(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> str:
    """Write ``frame`` to a staging table beside ``table``, committing a slice at a time, and
    return its name, for the load's transaction to swap it in: a transaction holds what it
    inserts uncompressed in memory, which for a national table doubles a refresh's peak. A
    table left aside by a killed run is replaced by the next load."""
    aside = _create_aside(con, table, frame)
    _append_aside(con, aside, frame)
    return aside


def _create_aside(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> str:
    """An empty staging table beside ``table``, with ``frame``'s columns; its name."""
    aside = f"_chargement_{table}"
    con.register("lignes_valides", frame.head(0))
    try:
        con.execute(f'create or replace table staging."{aside}" as select * from lignes_valides')
    finally:
        con.unregister("lignes_valides")
    return aside


def _append_aside(con: duckdb.DuckDBPyConnection, aside: str, frame: pl.DataFrame) -> None:
    """Append ``frame`` to the staging table ``aside`` (by column name), committing a slice of
    ``STAGE_SLICE_ROWS`` at a time."""
    # rows may land in any order (every mart sorts what it reads): 10 % faster, in parallel
    con.execute("set preserve_insertion_order = false")
    try:
        for part in frame.iter_slices(STAGE_SLICE_ROWS):
            con.register("lignes_valides", part)
            con.execute(f'insert into staging."{aside}" by name select * from lignes_valides')
    finally:
        con.execute("reset preserve_insertion_order")
        con.unregister("lignes_valides")


def _drop_aside(con: duckdb.DuckDBPyConnection, staged: dict[str, str]) -> None:
    for aside in staged.values():
        con.execute(f'drop table if exists staging."{aside}"')
    staged.clear()


@dataclass
class _Checks:
    """A source's files checked: one check per file and table (in order), the rows read and
    accepted, the tables to stage if the load is not refused (``whole``: checks that hold their
    valid rows) and those already staged aside, slice by slice (``staged``: table → aside)."""

    results: list[Checked]
    rows_read: int
    rows_accepted: int
    whole: dict[str, list[Checked]] = field(default_factory=dict)
    staged: dict[str, str] = field(default_factory=dict)


def _checks(con: duckdb.DuckDBPyConnection, source: Source, landed: list[LandedFile]) -> _Checks:
    """Check a source's files: a slice at a time, staging each as it comes, when its connector
    can (:class:`SlicedConnector`), else whole. A file that must be read whole after all
    (:class:`WholeFileNeeded`) makes the source's files read whole, as if never sliced."""
    connector = source.connector
    if isinstance(connector, SlicedConnector):
        staged: dict[str, str] = {}
        try:
            return _sliced(con, connector.read_slices(landed, con), staged)
        except WholeFileNeeded:
            _drop_aside(con, staged)
        except BaseException:
            _drop_aside(con, staged)
            raise
    checked = connector.read(landed, con)
    # a staging table may gather several files (e.g. two datasets of one publisher)
    parts = {t: r if isinstance(r, list) else [r] for t, r in checked.items()}
    results = [r for rs in parts.values() for r in rs]
    return _Checks(
        results,
        rows_read=sum(r.rows_read for r in results),
        rows_accepted=sum(r.valid.height for r in results),
        whole=parts,
    )


def _sliced(
    con: duckdb.DuckDBPyConnection,
    parts: Mapping[str, Iterable[Checked]],
    staged: dict[str, str],
) -> _Checks:
    """Stage each slice's valid rows as it comes (into ``staged``), and keep of it only its
    rejects and repairs: the checks that remain, one per file, are those of the whole file."""
    results, read, accepted = [], 0, 0
    for table, slices in parts.items():
        kept = []
        for part in slices:
            rows = part.to_stage.drop("ligne")
            if table not in staged:
                staged[table] = _create_aside(con, table, rows)
            _append_aside(con, staged[table], rows)
            read, accepted = read + part.rows_read, accepted + part.valid.height
            kept.append(replace(part, valid=part.valid.clear(), staged=None))
            del part, rows  # the next slice is read without this one
        results += _per_file(kept)
    return _Checks(results, read, accepted, staged=staged)


def _per_file(slices: list[Checked]) -> list[Checked]:
    """Consecutive slices of one file as one check (their valid rows already staged): its
    problems, rejects and repairs in the file's order, as a check of the whole file has them."""
    merged = []
    for _, group in itertools.groupby(slices, key=lambda c: c.file):
        first, *others = group
        if others:
            every = [first, *others]
            repairs = [c.repairs for c in every if c.repairs is not None]
            first = replace(
                first,
                problems=pl.concat([c.problems for c in every]),
                rejected=pl.concat([c.rejected for c in every]),
                repairs=pl.concat(repairs) if repairs else None,
            )
        merged.append(first)
    return merged


def _percent(share: float) -> str:
    return f"{share * 100:.1f}\u202f%".replace(".", ",")


def where(location: str | None, landed: list[LandedFile]) -> str:
    """What the audit records of where a source was read: its location, masked, or the common
    origin of its files (the embedded default)."""
    return remote.shown(location) if location else os.path.commonpath([f.origin for f in landed])


def _shrunk(source: Source, accepted: int, published: int | None) -> str | None:
    """Why a load is refused for having far fewer rows than the last published load from the
    same place (a truncated export, an empty extract served as the national file), or ``None``.
    Another place may hold another extent (a région's file after the national demo)."""
    share = source.spec.min_rows_share
    if not published or not share or accepted >= share * published:
        return None
    return (
        f"{accepted} ligne(s) acceptée(s), moins de {_percent(share)} des {published} du dernier "
        f"chargement publié ({_percent(accepted / published)}) : fichier tronqué ou incomplet ? "
        "Chargement refusé (min_rows_share de la spec, 0 pour ne pas vérifier)"
    )


@task(name="valider et charger", cache_key_fn=_stage_key)
def stage(name: str, location: str | None, landed: list[LandedFile], run_id: str) -> SourceReport:
    """Check every landed file, stage valid rows, quarantine the others, record provenance.

    Rejects and repairs are always kept; the staged tables are replaced only when the share of
    rejected rows stays within the source's threshold and the accepted rows reach the share of
    the last published load the spec asks, so a bad or cut file never replaces good data.
    """
    from warehouse import quarantine  # with pandera: imported only when a file is checked

    source = SOURCES[name]
    report = SourceReport(name, [f.name for f in landed])
    with internal.connect(Home.from_env().warehouse) as con:
        checks = _checks(con, source, landed)
        results = checks.results
        report.rows_read = checks.rows_read
        report.rows_accepted = checks.rows_accepted
        threshold = source.spec.reject_threshold
        share = (report.rows_read - report.rows_accepted) / max(report.rows_read, 1)
        before = audit.published_from(con, name, where(location, landed))
        shrunk = _shrunk(source, report.rows_accepted, before)
        refused = share > threshold or shrunk is not None
        staged = checks.staged  # tables checked a slice at a time are staged aside already
        if refused:
            _drop_aside(con, staged)
        else:
            for table, rs in checks.whole.items():
                valid = pl.concat([r.to_stage for r in rs], how="diagonal_relaxed")
                staged[table] = _write_aside(con, table, valid.drop("ligne"))
        con.execute("begin")
        for result in results:
            report.rows_rejected += quarantine.store(con, run_id, name, result)
            report.problems += result.messages(limit=20)
        if not refused:
            for table, aside in staged.items():
                con.execute(f'drop table if exists staging."{table}"')
                con.execute(f'alter table staging."{aside}" rename to "{table}"')
            audit.record_staged(con, run_id, name, digest(landed) or "")
        audit.record_files(con, run_id, landed, source.spec.citation(location))
        con.execute("commit")
    if share > threshold:
        raise TooManyRejects(
            f"{report.rows_rejected} ligne(s) rejetée(s) sur {report.rows_read} "
            f"({_percent(share)}, seuil {_percent(threshold)}) ; premier problème : "
            f"{report.problems[0] if report.problems else '?'}"
        )
    if shrunk is not None:
        raise TooManyRejects(shrunk)
    return report
