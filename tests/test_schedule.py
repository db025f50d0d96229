"""Scheduled refreshes: prefect.yaml's cadences, registered on a real Prefect server."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName
from prefect.settings import PREFECT_API_URL

from flows.schedule import cadences
from flows.sources import SOURCES


def test_every_source_has_one_cadence_in_paris_time():
    plan = cadences()
    assert sorted(s for c in plan for s in c.sources) == sorted(SOURCES)
    assert {c.timezone for c in plan} == {"Europe/Paris"}
    assert {c.name: c.cron for c in plan} == {
        "membres": "0 6 * * *",  # daily
        "contrats": "30 6 * * 1",  # weekly
        "energie": "0 7 2 * *",  # monthly
        "territoires": "0 5 15 1 *",  # yearly
        "demarches": "45 6 * * 1",  # weekly
        "emissions": "0 8 15 3 *",  # yearly
    }


def _served(expected: int, deadline: float) -> list:
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            found = client.read_deployments(
                flow_filter=FlowFilter(name=FlowFilterName(any_=["rafraichissement"]))
            )
            if len(found) == expected:
                return found
            time.sleep(1)
    return []


def test_schedule_registers_the_deployments_on_a_prefect_server(prefect_harness, home):
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    command = [sys.executable, "-m", "observatoire.cli", "schedule"]
    serving = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        found = _served(len(cadences()), time.monotonic() + 120)
    finally:
        serving.terminate()
        output = serving.communicate(timeout=60)[0].decode()
    assert found, output
    read_back = {
        d.name: (
            d.schedules[0].schedule.cron,
            d.schedules[0].schedule.timezone,
            d.parameters["sources"],
        )
        for d in found
    }
    assert read_back == {c.name: (c.cron, c.timezone, c.sources) for c in cadences()}
    assert "energie      0 7 2 * *" in output
