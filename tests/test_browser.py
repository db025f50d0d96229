"""The dashboard in Debian's Chromium: the map is drawn and no request leaves the machine."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(published, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "dashboard", "--port", str(port)],
        env={**os.environ, "OBSERVATOIRE_HOME": str(published.root)},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            break
        except OSError:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "Streamlit did not start"
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    assert os.path.exists(CHROMIUM), "Debian's chromium package is needed (.ci/run installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def _drawn(page) -> dict:
    page.wait_for_selector("[data-testid=stPlotlyChart] .maplibregl-canvas", timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('.js-plotly-plot')?._fullData?.[0]?.locations?.length > 0"
    )
    return page.evaluate(
        """() => {
            const gd = document.querySelector('.js-plotly-plot');
            const canvas = document.querySelector('.maplibregl-canvas');
            return {locations: gd._fullData[0].locations.length,
                    width: canvas.width, height: canvas.height};
        }"""
    )


def test_map_is_drawn_offline_with_no_console_error(server, page, tmp_path):
    page.goto(f"{server}/?region=53")
    drawn = _drawn(page)
    assert drawn["locations"] == 61 and drawn["width"] > 300 and drawn["height"] > 300
    page.get_by_text("61 EPCI de la région Bretagne").wait_for()
    page.screenshot(path=tmp_path / "territoires.png")
    hosts = {urlparse(u).hostname for u in page.requests if u.startswith("http")}
    assert hosts == {"127.0.0.1"}, hosts
    assert page.errors == []


def test_url_state_survives_reload_and_download_gives_the_table(server, page, tmp_path):
    page.goto(f"{server}/?region=94&indicateur=densite")
    assert _drawn(page)["locations"] == 19  # Corsica's EPCI
    page.reload()
    assert _drawn(page)["locations"] == 19
    assert "region=94" in page.url and "indicateur=densite" in page.url
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger le tableau (CSV)").click()
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("code_epci,nom,nature,population")
    assert len(lines) == 20
