"""Tell maintainers when a refresh goes wrong: one line in the run's log and, when
``$OBSERVATOIRE_WEBHOOK`` is set, a JSON POST to that URL (``text``, as Slack, Mattermost or
Rocket.Chat incoming webhooks expect). Used as the refresh flow's Prefect state hooks."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request

from prefect.logging.loggers import flow_run_logger

from warehouse.audit import public_text

WEBHOOK = "OBSERVATOIRE_WEBHOOK"
PARTIAL = "Partiel"  # name of the Completed state of a run where some source failed
TIMEOUT_S = 10
ALERT_LIMIT = 1000  # characters: a run's line, then each failure's own (capped) message


def summary(flow_run, state) -> str:
    """One line: which run, how it ended, why."""
    return f"Rafraîchissement « {flow_run.name} » : {state.name.lower()} — {state.message}"


def alert(flow, flow_run, state) -> None:
    """``on_failure`` hook: log the summary, then POST it to the webhook if one is configured."""
    line = summary(flow_run, state)
    logger = flow_run_logger(flow_run, flow)
    logger.error(line)
    url = os.environ.get(WEBHOOK)
    if not url:
        return
    # the webhook's channel is no place for a file's content: masked as the published history
    body = {
        "text": public_text(line, ALERT_LIMIT),
        "flow_run_id": str(flow_run.id),
        "etat": state.name,
    }
    request = urllib.request.Request(
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        urllib.request.urlopen(request, timeout=TIMEOUT_S).close()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        # the webhook URL is a secret (its path is the token): name its host only
        logger.warning("alerte non envoyée à %s : %s", urllib.parse.urlparse(url).netloc, error)


def alert_if_partial(flow, flow_run, state) -> None:
    """``on_completion`` hook: a run that completed without some source is alerted too."""
    if state.name == PARTIAL:
        alert(flow, flow_run, state)
