"""What a refresh did, told to people: its report, and the Prefect artifacts each run leaves."""

from __future__ import annotations

from dataclasses import dataclass, field

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from warehouse.datatests import Result
from warehouse.status import Outcome, Status

UNCHANGED_NOTE = (
    f"Une source « {Status.UNCHANGED} » a reçu les mêmes fichiers (même SHA-256) que son "
    "chargement publié : elle n'a été ni revalidée ni rechargée, ses chiffres sont ceux de ce "
    "chargement."
)
NOTHING_PUBLISHED = (
    "Rien n'a été reconstruit ni publié : le fichier publié reste identique, octet pour octet."
)


class RefreshFailed(RuntimeError):
    """A source failed at one step; the message says which, and why, in one paragraph."""

    def __init__(self, source: str, step: str, reason: str) -> None:
        super().__init__()
        self.source, self.step, self.reason = source, step, reason

    def __str__(self) -> str:
        return f"source « {self.source} », étape {self.step} : {self.reason}"


@dataclass
class SourceReport:
    """One source in one run: ``chargé`` (checked and staged now) or ``inchangé`` (same files as
    its published load, whose figures these are)."""

    source: str
    files: list[str]
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    problems: list[str] = field(default_factory=list)
    status: Status = Status.LOADED


@dataclass
class RefreshReport:
    """What a run loaded and published; ``failures`` lists the sources it could not load.

    ``published`` is empty when nothing changed: the public file was left as it was.
    ``accepted_before`` and ``tables_before`` are the previous publication's counts.
    """

    run_id: str
    sources: list[SourceReport]
    published: dict[str, int]
    failures: list[RefreshFailed] = field(default_factory=list)
    accepted_before: dict[str, int] = field(default_factory=dict)
    tables_before: dict[str, int] = field(default_factory=dict)
    tests: list[Result] = field(default_factory=list)
    embeds: list[str] = field(default_factory=list)  # what the static embeds wrote, or not

    @property
    def outcome(self) -> str:
        if self.failures:
            return Outcome.PARTIAL
        return Outcome.COMPLETE if self.published else Outcome.NOTHING_NEW


def _number(n: int | None) -> str:
    return "—" if n is None else f"{n:,}".replace(",", "\u202f")


def _change(now: int, before: int | None) -> str:
    if before is None:
        return "nouveau"
    delta = now - before
    return "=" if delta == 0 else f"{'+' if delta > 0 else '−'}{_number(abs(delta))}"


def rows(report: RefreshReport) -> list[dict]:
    """One row per source of the run: its status, row counts and change since the last run."""
    table = [
        {
            "source": s.source,
            "statut": s.status,
            "lignes_lues": s.rows_read,
            "lignes_acceptees": s.rows_accepted,
            "lignes_rejetees": s.rows_rejected,
            "depuis_le_dernier_run": _change(s.rows_accepted, report.accepted_before.get(s.source)),
        }
        for s in report.sources
    ]
    table += [
        {
            "source": f.source,
            "statut": Status.FAILED,
            "depuis_le_dernier_run": "données précédentes",
        }
        for f in report.failures
    ]
    return table


def markdown(report: RefreshReport) -> str:
    lines = [
        f"# Rafraîchissement {report.run_id} : {report.outcome}",
        "",
        "| source | statut | lignes lues | acceptées | rejetées | variation des acceptées |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['source']} | {r['statut']} | {_number(r.get('lignes_lues'))} | "
        f"{_number(r.get('lignes_acceptees'))} | {_number(r.get('lignes_rejetees'))} | "
        f"{r['depuis_le_dernier_run']} |"
        for r in rows(report)
    ]
    if any(s.status == Status.UNCHANGED for s in report.sources):
        lines += ["", UNCHANGED_NOTE]
    for failure in report.failures:
        lines += ["", f"**Échec** — {failure}"]
    for s in report.sources:
        if s.problems and s.status == Status.LOADED:
            lines += ["", f"## Rejets de {s.source} (20 premiers)", ""]
            lines += [f"- {problem}" for problem in s.problems[:20]]
    if report.tests:
        failing = [t for t in report.tests if not t.passed]
        lines += [
            "",
            f"Tests de données : {len(report.tests) - len(failing)} sur "
            f"{len(report.tests)} réussis.",
        ]
        lines += [f"- {t.severity} — {t}" for t in failing]
    if report.embeds:
        lines += ["", *(f"- {line}" for line in report.embeds)]
    if not report.published:
        lines += ["", NOTHING_PUBLISHED]
        return "\n".join(lines)
    lines += [
        "",
        "| table publiée | lignes | depuis la publication précédente |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| {t} | {_number(n)} | {_change(n, report.tables_before.get(t))} |"
        for t, n in report.published.items()
    ]
    return "\n".join(lines)


def create_artifacts(report: RefreshReport) -> None:
    """The run's report (markdown) and its row counts per source (table), kept by Prefect."""
    create_markdown_artifact(markdown(report), key="rafraichissement", description="Bilan du run")
    create_table_artifact(rows(report), key="lignes-par-source", description="Lignes par source")
