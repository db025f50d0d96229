"""What every connector provides to the pipeline, and the files it hands over."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import duckdb

    from schemas.check import Checked


EMBEDDED = "démonstration embarquée"  # the origin recorded for files a connector generates


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
    left on disk at ``path`` (a local file, a landed copy, a download). A national export weighs
    a gigabyte: the table reader and the landing read it from disk, only what they need, at a
    time. A ``downloaded`` file is the run's own: the landing moves it instead of copying it."""

    name: str
    origin: str
    content: bytes | None = field(default=None, repr=False)
    path: Path | None = None
    downloaded: bool = False

    @property
    def data(self) -> bytes:
        """The whole file in memory (read from ``path`` at each call when not held)."""
        return self.content if self.content is not None else self.path_or_fail().read_bytes()

    @property
    def readable(self) -> bytes | Path:
        """What readers that can read a file themselves take: the bytes held, or the path."""
        return self.content if self.content is not None else self.path_or_fail()

    def path_or_fail(self) -> Path:
        if self.path is None:
            raise ValueError(f"{self.origin} : ni contenu ni chemin")
        return self.path


class FileToRead(Protocol):
    """What a connector reads: a landed file, or (in tests and ``validate``) a raw one."""

    @property
    def name(self) -> str: ...

    @property
    def origin(self) -> str: ...

    @property
    def data(self) -> bytes: ...

    @property
    def readable(self) -> bytes | Path: ...


class Connector(Protocol):
    """How a source's files are read: ``flows/sources/<name>.py``.

    The pipeline (``flows/pipeline.py``) fetches a location (a file, a folder, a URL, the spec's
    portal or its shipped snapshots), lands the files, then hands the landed files to ``read``;
    it never calls a connector again.
    """

    def read(
        self, files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None
    ) -> Mapping[str, Checked | list[Checked]]:
        """Parse files and apply the source's contract (against staged references when ``con``
        is given); keys name the staging tables, each filled from one checked file or several."""
        ...


@runtime_checkable
class DemoConnector(Connector, Protocol):
    """A connector whose embedded default is generated (demo) or read from a package, not a
    publisher's file shipped as a snapshot."""

    def embedded(self) -> list[RawFile]:
        """The files read when no location is given."""
        ...


@runtime_checkable
class SlicedConnector(Connector, Protocol):
    """A connector that can also check its files a slice of rows at a time, for files too big
    to hold whole (the national consumption file): the pipeline stages each slice as it comes
    and keeps only its rejects and repairs."""

    def read_slices(
        self, files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None
    ) -> Mapping[str, Iterable[Checked]]:
        """What ``read`` gives, each table's checks as consecutive slices of its files (in the
        files' order, rows numbered as in the file); raises
        :class:`flows.tabular.WholeFileNeeded` when a file must be read whole by ``read``."""
        ...
