"""``observatoire dashboard`` (or ``partenaires``) in a process of its own on free ports, for the
tests and benchmarks that drive it as readers do: started, waited for until it answers its health
check, stopped with Ctrl-C (which stops HAProxy and every worker too)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Running:
    """A started server: its address, its port and its process (the command's own)."""

    url: str
    port: int
    process: subprocess.Popen


def free_ports(count: int = 0) -> int:
    """A free port followed by ``count`` free ones (the ports ``--workers count`` listens on)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + count < 65536 and all(closed(p) for p in range(port, port + count + 1)):
            return port


def closed(port: int) -> bool:
    """Nothing listens on ``port`` of 127.0.0.1."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@contextmanager
def running(
    home: Path,
    *options: str,
    command: str = "dashboard",
    workers: int = 1,
    host: str = "127.0.0.1",
    log: Path | None = None,
    timeout: float = 120,
) -> Iterator[Running]:
    """``observatoire command --host H --port P options`` reading ``home``, once it answers; its
    output goes to ``log`` (quoted when it stops before answering) or nowhere."""
    port = free_ports(workers if workers > 1 else 0)
    more = ["--host", host, *(["--workers", str(workers)] if workers > 1 else [])]
    output = log.open("w") if log else open(os.devnull, "w")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [sys.executable, "-m", "observatoire.cli", command, "--port", str(port), *more, *options],
        env={**os.environ, "OBSERVATOIRE_HOME": str(home)},
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    url = f"http://{host}:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                stopped = process.poll() is not None
                if stopped or time.monotonic() > deadline:
                    why = "stopped" if stopped else f"did not answer in {timeout:g} s"
                    said = log.read_text() if log else ""
                    raise RuntimeError(f"{command} {why} before answering:\n{said}") from None
                time.sleep(0.2)
        yield Running(url, port, process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        output.close()
