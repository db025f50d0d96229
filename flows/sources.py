"""The sources a refresh knows, in the order they are loaded (references before their users)."""

from __future__ import annotations

from flows import consommation, contrats, installations, membres, production, territoires
from flows.source import Source

SOURCES: dict[str, Source] = {
    module.NAME: module
    for module in [territoires, membres, contrats, consommation, installations, production]
}
