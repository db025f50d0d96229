"""One writer at a time: a refresh holds an exclusive lock on ``refresh.lock`` while it runs."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RefreshBusy(RuntimeError):
    """Another refresh holds the lock."""


@contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Hold the refresh lock, or raise :class:`RefreshBusy` naming the process that has it."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "inconnu"
            raise RefreshBusy(
                f"Un rafraîchissement est déjà en cours (processus {holder}, verrou {lock}) : "
                "attendez sa fin avant d'en lancer un autre."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
