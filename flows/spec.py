"""A source's spec: the facts about it, written once as data in ``flows/sources/<name>.yaml``.

The flow (thresholds, portal datasets), the schedule (cadence), the provenance rows (citation),
the data dictionary and the open data package (public tables) and the personal-data guard all
read it. Settings may be overridden for one installation by a TOML file named by
``$OBSERVATOIRE_CONFIG``, one ``[source]`` table each (``reject_threshold``, ``datasets``, and
the limits ``max_bytes``, ``deadline_s``, ``min_rows_share``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from warehouse.audit import Citation

MAX_BYTES = 200 * 1024**2  # 200 Mio: a registry or a regional export, ten times over
DEADLINE_S = 900.0  # 15 min for a download: a national file at a few Mo/s
MIN_ROWS_SHARE = 0.5  # a load under half its last published one is refused, as too many rejects
LIMITS = {"max_bytes": int, "deadline_s": float, "min_rows_share": float}


@dataclass(frozen=True)
class Portal:
    """A publisher's Opendatasoft portal: ``--from <source>=<name>`` downloads its datasets."""

    name: str
    url: str  # with ``{dataset}`` where each dataset's identifier goes
    datasets: tuple[str, ...]

    def urls(self) -> list[str]:
        return [self.url.format(dataset=d) for d in self.datasets]


@dataclass(frozen=True)
class Snapshot:
    """A publisher's file shipped with the code as the embedded default (Licence Ouverte):
    ``flows/sources/snapshots/<file>``, where it was taken from, and its checksum."""

    file: str
    url: str
    sha256: str

    @property
    def path(self) -> Path:
        return Path(str(files("flows.sources") / "snapshots" / self.file))


@dataclass(frozen=True)
class SourceSpec:
    """One source: who publishes it, how it is read and refreshed, and what it makes public."""

    name: str
    cadence: str
    reject_threshold: float
    publisher: Citation  # a file given or downloaded (its vintage says which)
    embedded: Citation  # what is read when no location is given
    snapshots: tuple[Snapshot, ...] = ()  # real files shipped as that default (else a demo)
    portal: Portal | None = None
    personal_fields: tuple[str, ...] = ()
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    # fixed tables the connector needs that its publisher does not ship (cited where written)
    reference: dict[str, Any] = field(default_factory=dict)
    # limits against a hostile or broken server or file: bytes of each file, received and
    # decompressed; seconds for a whole download; and the share of its last published load's
    # accepted rows a new load must reach (0: no check)
    max_bytes: int = MAX_BYTES
    deadline_s: float = DEADLINE_S
    min_rows_share: float = MIN_ROWS_SHARE

    def citation(self, location: str | None) -> Citation:
        """What to cite for the files read from ``location`` (``None``: the embedded default)."""
        if location is None:
            return self.embedded
        from_portal = self.portal is not None and location == self.portal.name
        return replace(
            self.publisher, vintage="export du portail" if from_portal else "fichier fourni"
        )

    def settings(self) -> dict[str, Any]:
        """What decides how a file is checked: a cached check is reused only while it holds."""
        return {"reject_threshold": self.reject_threshold, "min_rows_share": self.min_rows_share}


def _citation(data: dict[str, Any], demo: bool) -> Citation:
    vintage = data.get("vintage", "")
    if "package" in data:  # a vintage read from the installed package that ships the data
        vintage = vintage.format(version=version(data["package"]))
    return Citation(data["publisher"], data["dataset"], data["licence"], vintage, demo)


def parse(name: str, text: str, overrides: dict[str, Any] | None = None) -> SourceSpec:
    """The spec in ``text`` (YAML), with this installation's ``overrides`` applied."""
    data = yaml.load(text, Loader=yaml.CSafeLoader)  # the C loader: 6 times faster
    if data.get("name") != name:
        raise ValueError(f"{name}.yaml : « name: {name} » attendu, lu {data.get('name')!r}")
    overrides = overrides or {}
    portal = data.get("portal")
    return SourceSpec(
        name=name,
        cadence=data["cadence"],
        reject_threshold=float(overrides.get("reject_threshold", data["reject_threshold"])),
        publisher=_citation(data["publisher"], demo=False),
        embedded=_citation(data["embedded"], bool(data["embedded"]["demo"])),
        snapshots=tuple(Snapshot(**s) for s in data["embedded"].get("snapshots", ())),
        portal=Portal(
            portal["name"],
            portal["url"],
            tuple(overrides.get("datasets", portal["datasets"])),
        )
        if portal
        else None,
        personal_fields=tuple(data.get("personal_fields", ())),
        tables=data.get("tables", {}),
        reference=data.get("reference", {}),
        **{
            key: kind(overrides[key] if key in overrides else data[key])
            for key, kind in LIMITS.items()
            if key in overrides or key in data
        },
    )


def _overrides() -> dict[str, Any]:
    path = os.environ.get("OBSERVATOIRE_CONFIG")
    return tomllib.loads(Path(path).read_text(encoding="utf-8")) if path else {}


def load(name: str) -> SourceSpec:
    """``flows/sources/<name>.yaml``, with the overrides of ``$OBSERVATOIRE_CONFIG``."""
    text = (files("flows.sources") / f"{name}.yaml").read_text(encoding="utf-8")
    return parse(name, text, _overrides().get(name))
