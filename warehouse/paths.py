"""Where the platform keeps its state: everything lives under ``$OBSERVATOIRE_HOME``."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# what the refresh writes may hold what its sources held (contacts, rejected rows): owner only
OWNER_ONLY_DIR = 0o700
READABLE_FILE, READABLE_DIR = 0o644, 0o755  # what it publishes, on purpose


@dataclass(frozen=True)
class Home:
    """The state folder: raw landed files, the internal warehouse and the published files."""

    root: Path

    @classmethod
    def from_env(cls) -> Home:
        return cls(_resolved(os.environ.get("OBSERVATOIRE_HOME", ".observatoire"), os.getcwd()))

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        """Internal warehouse: staging, marts, audit and quarantine. May hold personal data."""
        return self.root / "warehouse.duckdb"

    @property
    def public(self) -> Path:
        """The published file the dashboard and the public read. Never holds personal data."""
        return self.root / "public.duckdb"

    @property
    def partenaires(self) -> Path:
        """The partner file: member-level answers, read only by the partner app (no contact)."""
        return self.root / "partenaires.duckdb"

    @property
    def static(self) -> Path:
        """Files the dashboard serves as they are: the open data package (``donnees``, a link
        that each publish swaps to its new version) and the map outlines (``cartes``)."""
        return self.root / "static"

    @property
    def lock(self) -> Path:
        return self.root / "refresh.lock"

    def ensure(self) -> Home:
        """Create the home, its landing folder for the owner only (landed by an earlier
        version: made so)."""
        self.landing.mkdir(mode=OWNER_ONLY_DIR, parents=True, exist_ok=True)
        if self.landing.stat().st_mode & 0o777 != OWNER_ONLY_DIR:
            self.landing.chmod(OWNER_ONLY_DIR)
        return self


@contextmanager
def private_files() -> Iterator[None]:
    """Files and folders created in the block are their owner's only: DuckDB creates a database,
    its write-ahead log (again after each checkpoint) and its spill folder with the process
    umask, which commonly lets everyone read them. The refresh runs in this block; what it
    publishes is made readable by all explicitly. The umask is the process's: other threads'
    files created meanwhile are private too."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


@functools.lru_cache(maxsize=16)
def _resolved(path: str, cwd: str) -> Path:
    """``path`` made absolute from ``cwd``: resolving costs a system call per folder, and the
    dashboard asks for the home at every query."""
    return (Path(cwd) / path).resolve()
