"""Per-source settings from ``flows/sources.toml`` (or the file named by $OBSERVATOIRE_CONFIG)."""

from __future__ import annotations

import os
import tomllib
from importlib.resources import files
from pathlib import Path


def settings(source: str) -> dict:
    path = os.environ.get("OBSERVATOIRE_CONFIG")
    text = Path(path).read_text() if path else (files("flows") / "sources.toml").read_text()
    return tomllib.loads(text).get(source, {})


def reject_threshold(source: str) -> float:
    return float(settings(source).get("seuil_rejets", 0.0))
