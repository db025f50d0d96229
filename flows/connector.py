"""What every source module provides to the refresh flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import duckdb

    from schemas.check import Checked
    from warehouse.audit import Provenance


class FetchError(RuntimeError):
    """A source's location could not be read; the message names the location.

    ``transient`` says whether trying again may help (server error, timeout, dropped connection)
    or not (missing file, HTTP 404): only transient failures are retried.
    """

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class RawFile:
    """A file as fetched, before landing: its name, where it came from, and its bytes, held or
    left on disk at ``path`` (a local file, a landed copy). A national export weighs a gigabyte:
    the table reader and the landing read it from disk, only what they need, at a time."""

    name: str
    origin: str
    content: bytes | None = field(default=None, repr=False)
    path: Path | None = None

    @property
    def data(self) -> bytes:
        """The whole file in memory (read from ``path`` at each call when not held)."""
        return self.content if self.content is not None else self.path.read_bytes()

    @property
    def source(self) -> bytes | Path:
        """What readers that can read a file themselves take: the bytes held, or the path."""
        return self.content if self.content is not None else self.path


class Source(Protocol):
    """A source module: ``flows/<name>.py``. Its contract lives in ``schemas/<name>.py``."""

    NAME: str

    def provenance(self, location: str | None) -> Provenance:
        """Publisher, licence, vintage and demo flag of what ``location`` holds."""
        ...

    def fetch(self, location: str | None) -> list[RawFile]:
        """Raw files from ``location`` (URL or path), or the embedded default when ``None``."""
        ...

    def check(
        self, files: list[RawFile], con: duckdb.DuckDBPyConnection | None
    ) -> dict[str, Checked | list[Checked]]:
        """Parse and validate files (against staged references when ``con`` is given); keys name
        the staging tables, each filled from one checked file or several."""
        ...

    def build_marts(self, con: duckdb.DuckDBPyConnection) -> None:
        """Build this source's marts from its staging tables."""
        ...
