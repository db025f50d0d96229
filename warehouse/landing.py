"""Landing layer: raw files kept byte for byte, addressed by their SHA-256, never modified."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from warehouse.paths import OWNER_ONLY_DIR

PARTIAL = ".partial"
# a landed file may hold anything its location pointed to (a CRM export with its contacts, a
# symlink to a file only root may read): read-only, and for the refresh's account only
OWNER_READS = stat.S_IRUSR
COPY_CHUNK = 1024**2


@dataclass(frozen=True)
class LandedFile:
    """One raw file as received: where it came from, where it now lives, and its checksum."""

    source: str
    name: str
    origin: str
    path: Path
    sha256: str
    size: int

    @property
    def data(self) -> bytes:
        """The whole file in memory; readers that can read a file themselves take ``readable``."""
        return self.path.read_bytes()

    @property
    def readable(self) -> Path:
        return self.path


def no_follow(path: str, flags: int) -> int:
    """An ``opener`` for :func:`open` that refuses a symbolic link (``ELOOP``): a link put in a
    file's place once the file was checked is not followed."""
    return os.open(path, flags | os.O_NOFOLLOW)


def land(
    landing: Path, source: str, name: str, origin: str, data: bytes | Path, owned: bool = False
) -> LandedFile:
    """Store ``data`` (bytes, or a file copied without loading it whole, or moved when ``owned``:
    a download of the run's, in the landing already) under ``landing/<source>/<sha256>/<name>``
    unless that exact file is there."""
    if isinstance(data, Path):
        with open(data, "rb", opener=no_follow) as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
            size = os.fstat(f.fileno()).st_size
    else:
        digest, size = hashlib.sha256(data).hexdigest(), len(data)
    target = landing / source / digest / name
    if target.exists() and target.stat().st_mode & 0o777 != OWNER_READS:
        os.chmod(target, OWNER_READS)  # landed by an earlier version, readable by all
    if not target.exists():
        target.parent.mkdir(mode=OWNER_ONLY_DIR, parents=True, exist_ok=True)
        partial = target.with_name(f".{name}{PARTIAL}")
        partial.unlink(missing_ok=True)  # read-only leftover of a killed run
        try:
            if owned and isinstance(data, Path):
                os.replace(data, partial)
            else:
                partial.touch(mode=OWNER_READS | stat.S_IWUSR)  # never readable by others, even now
                if isinstance(data, Path):
                    with open(data, "rb", opener=no_follow) as f, partial.open("wb") as out:
                        shutil.copyfileobj(f, out, COPY_CHUNK)
                else:
                    partial.write_bytes(data)
            os.chmod(partial, OWNER_READS)
            os.replace(partial, target)
        except BaseException:  # a full disk: no half-written file stays behind
            partial.unlink(missing_ok=True)
            raise
    elif owned and isinstance(data, Path):
        data.unlink()  # the same bytes are landed already
    return LandedFile(source, name, origin, target, digest, size)


def clean_partial(landing: Path) -> list[Path]:
    """Remove files a killed run was still downloading or writing; landed files are never
    touched."""
    partial = [*landing.glob(f"*/.*{PARTIAL}"), *landing.glob(f"*/*/.*{PARTIAL}")]
    for path in partial:
        path.unlink(missing_ok=True)
    return partial
