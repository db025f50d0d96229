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
