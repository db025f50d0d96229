"""``observatoire dashboard --workers N``: N Streamlit processes on the internal ports that follow
the public one, behind HAProxy listening on the public port. A Streamlit server runs every page
in one Python process, so on one core; N processes use N cores.

The workers share one cookie secret (Streamlit's XSRF and sign-in cookies stay valid whichever
worker reads them); HAProxy keeps each browser on one worker (see dashboard/haproxy.cfg). The
command supervises them: a worker that stops is started again, Ctrl-C or SIGTERM stops all."""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from string import Template

import typer

# a worker that stops sooner than this after its start is broken, not unlucky: give up
STEADY_S = 30.0
READY_TIMEOUT_S = 180.0


def config(host: str, port: int, ports: list[int]) -> str:
    """The HAProxy configuration: ``host:port`` in front of workers on 127.0.0.1 ``ports``."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    servers = "\n".join(f"    server w{p} 127.0.0.1:{p} cookie w{p}" for p in ports)
    template = Template((files("dashboard") / "haproxy.cfg").read_text())
    return template.substitute(bind=bind, servers=servers)


def _die_with_parent() -> None:
    """In the child: receive SIGTERM when the command ends, even killed by SIGKILL."""
    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # its own process group: Ctrl-C reaches this command only, which stops the workers in turn
    return subprocess.Popen(command, env=env, start_new_session=True, preexec_fn=_die_with_parent)


def _wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while process.poll() is None and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"le processus du port {port} n'a pas démarré")


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(command: Callable[[int], list[str]], host: str, port: int, count: int) -> int:
    """Run ``count`` workers (``command(port)`` starts one on 127.0.0.1) behind HAProxy on
    ``host:port`` until interrupted; the exit code."""
    haproxy = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None
    )
    if haproxy is None:
        typer.secho(
            "HAProxy est introuvable : installez-le (apt-get install haproxy) ou servez un seul "
            "processus (--workers 1).",
            fg="red",
            err=True,
        )
        return 1
    ports = [port + 1 + i for i in range(count)]
    env = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)}
    # SIGINT too: a command started in the background of a shell inherits it ignored
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, _interrupt)
    workers: dict[int, subprocess.Popen[bytes]] = {}
    started: dict[int, float] = {}
    proxy: subprocess.Popen[bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="observatoire-haproxy-") as folder:
        cfg = Path(folder) / "haproxy.cfg"
        cfg.write_text(config(host, port, ports))
        try:
            for p in ports:
                workers[p], started[p] = _start(command(p), env), time.monotonic()
            for p in ports:
                _wait_ready(p, workers[p])
            proxy = _start([haproxy, "-db", "-f", str(cfg)], dict(os.environ))  # no secret
            typer.echo(
                f"Tableau de bord : http://{host}:{port} ({count} processus, ports "
                f"{ports[0]} à {ports[-1]}, HAProxy devant)"
            )
            while proxy.poll() is None:
                time.sleep(0.5)
                for p, process in workers.items():
                    if process.poll() is None:
                        continue
                    if time.monotonic() - started[p] < STEADY_S:
                        raise RuntimeError(f"le processus du port {p} s'arrête dès son démarrage")
                    typer.echo(
                        f"Le processus du port {p} s'est arrêté ({process.returncode}) ; relancé.",
                        err=True,
                    )
                    workers[p], started[p] = _start(command(p), env), time.monotonic()
            typer.secho(f"HAProxy s'est arrêté ({proxy.returncode}).", fg="red", err=True)
            return 1
        except KeyboardInterrupt:
            return 0
        except RuntimeError as error:
            typer.secho(f"{str(error).capitalize()} : arrêt.", fg="red", err=True)
            return 1
        finally:
            _stop([p for p in [proxy, *workers.values()] if p is not None])
