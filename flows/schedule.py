"""Scheduled refreshes: the deployments of ``prefect.yaml``, one cadence per group of sources in
Paris time, served by ``observatoire schedule`` (or deployed on a work pool by ``prefect deploy``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

PREFECT_YAML = Path(__file__).resolve().parents[1] / "prefect.yaml"


@dataclass(frozen=True)
class Cadence:
    """One deployment: which sources it refreshes, and when."""

    name: str
    description: str
    sources: list[str]
    cron: str
    timezone: str


def cadences(path: Path = PREFECT_YAML) -> list[Cadence]:
    """The deployments of ``prefect.yaml``, each with its single cron schedule."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Cadence(
            name=d["name"],
            description=d.get("description", ""),
            sources=d["parameters"]["sources"],
            cron=schedule["cron"],
            timezone=schedule["timezone"],
        )
        for d in spec["deployments"]
        for schedule in d["schedules"]
    ]


def deployments(path: Path = PREFECT_YAML) -> list[RunnerDeployment]:
    """The refresh flow deployed once per cadence, ready for :func:`prefect.serve`."""
    from prefect.schedules import Cron

    from flows.refresh import refresh

    return [
        refresh.to_deployment(
            name=c.name,
            description=c.description,
            parameters={"sources": c.sources},
            schedule=Cron(c.cron, timezone=c.timezone),
        )
        for c in cadences(path)
    ]
