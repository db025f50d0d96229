"""The static embeds, written after a publish (``dashboard/embeds.py`` says what they are).

They are written in a process of their own (``python -m dashboard.embeds``): Chromium, Kaleido
and the charts' caches never enter the refresh's memory, and a process that overruns its time
is stopped. Nothing here fails a refresh: the publish is done when this starts, and what could
not be written is logged and said in the run's report; the set served before stays served.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from warehouse import embeds
from warehouse.paths import Home

# Beyond the images' own deadline: building the charts, writing the snapshots, starting Python.
GRACE_S = 180.0


def _seconds(value: float) -> str:
    return f"{value:.1f}".replace(".", ",") + " s"


def told(summary: dict) -> list[str]:
    """What a run of ``dashboard.embeds`` wrote, in the report's words."""
    lines = [
        f"Intégrations statiques : {summary['charts']} graphiques écrits en "
        f"{_seconds(summary['seconds'])} ({summary['rendered']} images dessinées, "
        f"{summary['reused']} reprises de la série précédente)."
    ]
    missing = summary.get("without_image") or []
    if missing:
        lines.append(
            f"Images non écrites pour {len(missing)} graphique(s) "
            f"({', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}) : "
            f"{summary.get('reason') or 'raison inconnue'} ; leurs instantanés HTML et CSV sont "
            "écrits sans image."
        )
    for skipped in (summary.get("skipped") or [])[:5]:
        lines.append(f"Graphique non écrit : {skipped}")
    return lines


def _run(command: list[str], env: dict[str, str], timeout: float) -> str:
    """The output of ``command``, run in a session of its own: past ``timeout``, it is killed
    with the Chromium it started (killing the process alone would leave Chromium running)."""
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    if process.returncode != 0:
        last = (stderr.strip().splitlines() or ["sans message"])[-1]
        raise RuntimeError(f"le processus a échoué (code {process.returncode}) : {last[:300]}")
    return stdout


@task(name="intégrations statiques", cache_policy=NO_CACHE)
def write_embeds(published: bool) -> list[str]:
    """Write the static embeds of the public file when it was just published, or when those
    served are not its own; return the report's lines (none when there was nothing to do)."""
    logger = get_run_logger()
    home = Home.from_env()
    scope = os.environ.get(embeds.SCOPE, embeds.DEFAULT_SCOPE)
    if scope.strip() in ("", "aucun"):
        return []
    try:
        if not published and embeds.up_to_date(home.static, home.public):
            logger.info("intégrations statiques : déjà celles du fichier publié")
            return []
        deadline = float(os.environ.get(embeds.DEADLINE, embeds.DEFAULT_DEADLINE_S))
        stdout = _run(
            [sys.executable, "-m", "dashboard.embeds", "--portee", scope, "--delai", str(deadline)],
            os.environ | {"OBSERVATOIRE_HOME": str(home.root)},
            deadline + GRACE_S,
        )
        lines = told(json.loads(stdout.strip().splitlines()[-1]))
    except subprocess.TimeoutExpired as error:
        lines = [
            f"Intégrations statiques non écrites : arrêtées après {_seconds(error.timeout)} ; "
            "la série précédente reste servie."
        ]
    except Exception as error:
        lines = [
            f"Intégrations statiques non écrites : {error} ; la série précédente reste servie."
        ]
    for line in lines:
        (logger.info if line.startswith("Intégrations statiques :") else logger.warning)("%s", line)
    return lines
