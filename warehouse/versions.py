"""Folders published as versions behind a link, for files served while a publish replaces them
(the open data package, the map outlines): each publish builds a new version in a hidden
folder, names it, and swaps the link to it in one ``os.replace``; the version before stays for
readers who opened it, older ones and what a killed publish left are removed."""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from warehouse.paths import READABLE_DIR, READABLE_FILE


@dataclass(frozen=True)
class Versions:
    """The versions of ``root/<name>``: ``<name>-<stamp>-<id>`` folders and the link ``<name>``;
    builds in progress are ``<building><id>``."""

    root: Path
    name: str
    building: str

    @property
    def current(self) -> Path:
        return self.root / self.name

    def start(self) -> Path:
        """A new, empty build folder, once what is not the current version is removed."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(READABLE_DIR)  # served: readable by all whatever the umask
        link = self.current
        if link.is_dir() and not link.is_symlink():  # a folder written where the link now goes
            shutil.rmtree(link)
        keep = os.readlink(link) if link.is_symlink() else None
        for path in self.root.glob(f"{self.building}*"):
            if path.is_symlink():
                path.unlink()
            else:
                shutil.rmtree(path)
        for path in self.root.glob(f"{self.name}-*"):
            if path.name != keep:
                shutil.rmtree(path)
        build = self.root / f"{self.building}{uuid.uuid4().hex}"
        build.mkdir()
        return build

    def finish(self, build: Path, stamp: str) -> Path:
        """Name the filled ``build`` after ``stamp`` and make it the current version, readable
        by all."""
        for path in [build, *build.rglob("*")]:
            path.chmod(READABLE_DIR if path.is_dir() else READABLE_FILE)
        version = self.root / f"{self.name}-{stamp}-{build.name[-8:]}"
        build.rename(version)
        swap = self.root / f"{self.building}{uuid.uuid4().hex}"
        swap.symlink_to(version.name)
        os.replace(swap, self.current)
        return version
