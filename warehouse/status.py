"""The words a run and its sources are recorded with, in the audit and in the public file.

One enum, so that the flow, the audit SQL, ``observatoire status`` and the dashboard spell them
alike. Values are French: they are published (``executions.statut``) and shown to readers.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A source's state in one run (``audit.executions.statut``)."""

    RUNNING = "en cours"
    LOADED = "chargé"  # checked and staged now, not yet published
    UNCHANGED = "inchangé"  # same files as its published load: neither checked nor staged again
    PUBLISHED = "succès"
    FAILED = "échec"
    INTERRUPTED = "interrompu"  # the process stopped before publishing

    @property
    def sql(self) -> str:
        """The value as a SQL string literal."""
        return "'" + self.value.replace("'", "''") + "'"


class Outcome(StrEnum):
    """What a whole run did (``observatoire status``, the run's report)."""

    COMPLETE = "complet"
    PARTIAL = "partiel"
    NOTHING_NEW = "rien de nouveau"
