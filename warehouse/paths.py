"""Where the platform keeps its state: everything lives under ``$OBSERVATOIRE_HOME``."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path


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
        self.landing.mkdir(parents=True, exist_ok=True)
        return self


@functools.lru_cache(maxsize=16)
def _resolved(path: str, cwd: str) -> Path:
    """``path`` made absolute from ``cwd``: resolving costs a system call per folder, and the
    dashboard asks for the home at every query."""
    return (Path(cwd) / path).resolve()
