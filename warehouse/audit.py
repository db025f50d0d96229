"""Audit layer: one record per source per run, and the provenance of every landed file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from warehouse.landing import LandedFile


@dataclass(frozen=True)
class Provenance:
    """Who publishes a source, under which licence, and whether it is demo data."""

    editeur: str
    jeu_de_donnees: str
    licence: str
    millesime: str
    demo: bool


def now() -> datetime:
    return datetime.now(UTC)


def start(con: duckdb.DuckDBPyConnection, run_id: str, source: str) -> None:
    con.execute(
        "insert or replace into audit.executions (id_execution, source, debut, statut) "
        "values (?, ?, ?, 'en cours')",
        [run_id, source, now()],
    )


def finish(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    source: str,
    *,
    status: str,
    location: str | None = None,
    sha256: str | None = None,
    read: int | None = None,
    accepted: int | None = None,
    rejected: int | None = None,
    message: str | None = None,
) -> None:
    con.execute(
        """update audit.executions
           set emplacement = ?, sha256 = ?, lignes_lues = ?, lignes_acceptees = ?,
               lignes_rejetees = ?, fin = ?, statut = ?, message = ?
           where id_execution = ? and source = ?""",
        [location, sha256, read, accepted, rejected, now(), status, message, run_id, source],
    )


def record_files(
    con: duckdb.DuckDBPyConnection, run_id: str, files: list[LandedFile], provenance: Provenance
) -> None:
    loaded_at = now()
    con.executemany(
        "insert into audit.fichiers values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                run_id,
                f.source,
                f.name,
                f.origin,
                str(f.path),
                f.sha256,
                f.size,
                provenance.editeur,
                provenance.jeu_de_donnees,
                provenance.licence,
                provenance.millesime,
                provenance.demo,
                loaded_at,
            ]
            for f in files
        ],
    )


def fail_run(con: duckdb.DuckDBPyConnection, run_id: str, message: str) -> None:
    """Mark the sources of a run that loaded, but were not published, as failed."""
    con.execute(
        "update audit.executions set statut = 'échec', fin = coalesce(fin, ?), message = ? "
        "where id_execution = ? and statut in ('en cours', 'chargé')",
        [now(), message, run_id],
    )


def mark_published(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """The run's loads are now public."""
    con.execute(
        "update audit.executions set statut = 'succès' "
        "where id_execution = ? and statut = 'chargé'",
        [run_id],
    )


def close_interrupted(con: duckdb.DuckDBPyConnection) -> int:
    """Runs left loading or loaded by a killed process: only callable under the refresh lock."""
    return con.execute(
        "update audit.executions set statut = 'interrompu', "
        "message = 'run interrompu avant publication (processus arrêté)' "
        "where statut in ('en cours', 'chargé')"
    ).fetchone()[0]


def record_staged(con: duckdb.DuckDBPyConnection, run_id: str, source: str, sha256: str) -> None:
    """Say which load the source's staging tables now hold; call in their transaction."""
    con.execute("insert or replace into audit.staging values (?, ?, ?)", [source, run_id, sha256])


def served(con: duckdb.DuckDBPyConnection, source: str) -> tuple[str, datetime] | None:
    """Checksum and date of the load that ``source``'s staging holds, if that load was published.

    A load that reached staging but not the public file (a later step failed) is not served.
    """
    return con.execute(
        "select e.sha256, e.fin from audit.staging as s "
        "join audit.executions as e using (id_execution, source) "
        "where s.source = ? and e.statut = 'succès'",
        [source],
    ).fetchone()


def last_published(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Accepted rows of each source's last published load: the baseline of a run's changes."""
    return dict(
        con.execute(
            "select source, arg_max(lignes_acceptees, fin) from audit.executions "
            "where statut = 'succès' group by source"
        ).fetchall()
    )
