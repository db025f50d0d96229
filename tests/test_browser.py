"""The dashboard in Debian's Chromium: every page draws its charts from a deep link, keeps its
URL state over a reload, logs no console error (not even the 404s of Streamlit's client probing
/<page>/_stcore/: dashboard/serve.py tells it the app's root) and sends no request off the
machine.

Each page's screenshot is saved, for review, to tests/screenshots/ (ignored by git)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pytest

from dashboard.running import running
from warehouse import opendata

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
pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="module")
def server(published, tmp_path_factory):
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with running(published.root, log=log, timeout=60) as served:
        yield served.url


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda m: m.type == "error" and page.errors.append(_located(m)))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def _located(message) -> str:
    return f"{message.text} ({message.location['url']})"


def _offline_and_clean(page) -> None:
    hosts = {urlparse(u).hostname for u in page.requests if u.startswith("http")}
    assert hosts == {"127.0.0.1"}, hosts
    assert page.errors == []


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


def _charts_drawn(page, count: int) -> list[int]:
    """Wait for ``count`` Plotly charts with data and for the page's last line; return each
    chart's number of traces."""
    page.wait_for_function(
        """count => {
            const charts = [...document.querySelectorAll('.js-plotly-plot')];
            return charts.length === count && charts.every(gd => gd._fullData?.length > 0);
        }""",
        arg=count,
        timeout=60_000,
    )
    page.get_by_text("Publication du").wait_for()
    return page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => gd._fullData.length)"
    )


def _screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the viewport is stretched."""
    SCREENSHOTS.mkdir(exist_ok=True)
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(height, 12_000)})
    page.wait_for_timeout(500)
    page.screenshot(path=SCREENSHOTS / f"{name}.png")
    page.set_viewport_size({"width": 1400, "height": 1000})
    print(f"screenshot: {SCREENSHOTS / name}.png")


PAGES = {
    "accueil": ("/", 1, "Le réseau aujourd'hui"),
    "carte": ("/carte?niveau=region&indicateur=taux_couverture&annee=2021", 1, "par région (1"),
    "territoire": ("/territoire?niveau=epci&code=200046977", 4, "Métropole de Lyon couvre"),
    "reseau": ("/reseau?type=association&region=84", 4, "de type « association » en Auvergne"),
    "contrats": ("/contrats?type=CRTE&region=53", 1, "EPCI sur 61 en Bretagne"),
    "donnees": ("/donnees?table=regions&niveau=region", 1, "Régions ; clé : code_region."),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_drawn_offline_and_keeps_its_url_state(server, page, name):
    path, charts, text = PAGES[name]
    page.goto(f"{server}{path}")
    traces = _charts_drawn(page, charts)
    assert all(traces), traces
    page.get_by_text(text).first.wait_for()
    _screenshot(page, name)
    page.reload()
    assert _charts_drawn(page, charts) == traces
    page.get_by_text(text).first.wait_for()
    for parameter in path.partition("?")[2].split("&") if "?" in path else []:
        assert parameter in page.url
    fetched = [u for u in page.requests if urlparse(u).path.startswith("/media/")]
    assert fetched == [], "a download's file is written and fetched on click, not at each load"
    _offline_and_clean(page)


def test_a_filter_chosen_with_the_keyboard_goes_into_the_url(server, page):
    page.goto(f"{server}/reseau")
    _charts_drawn(page, 4)
    page.get_by_role("combobox", name="Type d'adhérent").focus()
    page.keyboard.type("entreprise")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"type=entreprise"))
    page.get_by_text("de type « entreprise »").first.wait_for()
    _offline_and_clean(page)


def test_downloads_give_the_published_rows(server, page, published):
    page.goto(f"{server}/donnees?table=regions")
    _charts_drawn(page, 1)
    link = page.get_by_role("link", name="regions.csv", exact=True)
    assert link.get_attribute("href") == f"{server}/app/static/donnees/regions.csv"
    response = page.request.get(link.get_attribute("href"))
    assert response.ok and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text())))
    with duckdb.connect(str(published.public), read_only=True) as con:
        regions = con.execute("select code_region, nom from regions").fetchall()
    assert rows[0] == ["code_region", "nom"] and sorted(map(tuple, rows[1:])) == sorted(regions)
    page.goto(f"{server}/")
    _charts_drawn(page, 1)
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger les données du graphique (CSV)").click()
    with download.value.path().open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    with duckdb.connect(str(published.public), read_only=True) as con:
        (objectives,) = con.execute("select count(*) from objectifs").fetchone()
    assert len(rows) == objectives == 10, "one row per objective, as many as the page shows"
    assert {"id_objectif", "valeur", "trajectoire", "statut"} <= set(rows[0])
    _offline_and_clean(page)


def test_every_file_of_the_package_is_served_whole(server, published):
    """The static addresses give the current package: each file the descriptor lists, whole."""
    base = f"{server}/app/static/donnees"
    with urllib.request.urlopen(f"{base}/datapackage.json") as response:
        assert response.headers["Content-Type"].startswith("application/json")
        descriptor = json.load(response)
    assert descriptor == json.loads(
        (opendata.current(published.static) / "datapackage.json").read_text(encoding="utf-8")
    )
    for resource in descriptor["resources"]:
        request = urllib.request.Request(f"{base}/{resource['path']}", method="HEAD")
        with urllib.request.urlopen(request) as response:
            assert int(response.headers["Content-Length"]) == resource["bytes"], resource["path"]
    (consommation,) = [r for r in descriptor["resources"] if r["name"] == "consommation"]
    with urllib.request.urlopen(f"{base}/{consommation['path']}") as response:
        assert response.headers["Content-Type"] == "application/gzip"
        header = next(csv.reader([gzip.GzipFile(fileobj=response).readline().decode("utf-8")]))
    assert header == [f["name"] for f in consommation["schema"]["fields"]]


def test_an_embedded_page_draws_its_charts_with_the_filters_of_its_address(server, page):
    page.goto(f"{server}/reseau?embed=true&type=association&region=84")
    assert all(_charts_drawn(page, 4))
    page.get_by_text("de type « association » en Auvergne").first.wait_for()
    assert page.locator("[data-testid=stSidebarNav]").count() == 0, "embedded: no navigation"
    assert page.get_by_role("button", name="Partager / Intégrer").count() == 0
    back = page.get_by_role("link", name="Ouvrir cette vue dans l'observatoire")
    assert back.get_attribute("href") == f"{server}/reseau?type=association&region=84"
    page.goto(f"{server}/carte?embed=true&niveau=region&indicateur=contrat&annee=2020")
    assert _drawn(page)["locations"] == 18
    assert "embed=true" in page.url and "niveau=region" in page.url
    _offline_and_clean(page)


def test_the_share_control_gives_a_link_and_an_iframe_that_restore_the_view(server, page):
    page.goto(f"{server}/contrats")
    _charts_drawn(page, 1)  # the ANCT's CRTE list gives no signature date: no chronology
    page.get_by_text("CRTE (depuis 2021)").click()
    page.wait_for_url(re.compile(r"type=CRTE"))
    page.get_by_role("combobox", name="Région").focus()
    page.keyboard.type("Bretagne")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"region=53"))
    page.get_by_text("EPCI sur 61 en Bretagne").first.wait_for()
    page.get_by_role("button", name="Partager / Intégrer").click()
    codes = page.locator("[data-testid=stPopoverBody] [data-testid=stCode] code")
    codes.first.wait_for()
    link, snippet = (codes.nth(i).inner_text().strip() for i in range(2))
    assert link == f"{server}/contrats?type=CRTE&region=53"

    shared = page.context.new_page()
    shared.goto(link)
    _charts_drawn(shared, 1)
    shared.get_by_text("EPCI sur 61 en Bretagne").first.wait_for()
    assert shared.get_by_role("radio", name="CRTE (depuis 2021)").is_checked()

    host = page.context.new_page()
    host.set_content(f"<!doctype html><title>Site partenaire</title>{snippet}")
    frame = host.frame_locator("iframe[title='Les contrats de transition écologique']")
    frame.get_by_text("EPCI sur 61 en Bretagne").first.wait_for(timeout=60_000)
    frame.locator(".js-plotly-plot").first.wait_for()
    assert (
        frame.get_by_role("link", name="Ouvrir cette vue dans l'observatoire").get_attribute("href")
        == link
    )
    _offline_and_clean(page)


def test_map_of_every_epci_is_drawn_and_a_click_opens_the_territory(server, page):
    page.goto(f"{server}/carte?niveau=departement&indicateur=contrat&annee=2020")
    assert _drawn(page)["locations"] == 101
    page.goto(f"{server}/carte?niveau=epci&indicateur=taux_couverture&annee=2024")
    drawn = _drawn(page)
    assert drawn["locations"] == 1253 and drawn["width"] > 300 and drawn["height"] > 300
    _charts_drawn(page, 1)
    _screenshot(page, "carte_epci")
    page.goto(f"{server}/carte?niveau=departement&indicateur=taux_couverture&annee=2024")
    _drawn(page)
    page.wait_for_timeout(1000)  # the map settles its zoom before it takes clicks
    box = page.locator(".maplibregl-canvas").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # la Creuse
    page.wait_for_url(re.compile(r"/territoire\?niveau=departement&code=23"))
    page.get_by_role("heading", name="Creuse").wait_for()
    _offline_and_clean(page)


def test_communes_map_keeps_its_departement_and_download_gives_its_rows(server, page):
    page.goto(f"{server}/carte?niveau=commune&indicateur=conso_hab&annee=2019&departement=2A")
    corse_du_sud = _drawn(page)["locations"]
    assert 100 < corse_du_sud < 200
    page.reload()
    assert _drawn(page)["locations"] == corse_du_sud
    assert "departement=2A" in page.url and "annee=2019" in page.url
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger les données de la carte (CSV)").click()
    lines = download.value.path().read_text(encoding="utf-8").splitlines()
    assert lines[0] == "code,nom,population,valeur,part_donnees,origine"
    assert len(lines) == corse_du_sud + 1
    _offline_and_clean(page)
