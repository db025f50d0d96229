"""The dashboard as a reader meets it, in Debian's Chromium on a 390 × 844 phone and a 1440 px
desktop, opened from a shared link: French, no sideways scroll, every chart drawn, no 404 nor
console error, no serious or critical axe-core violation; a French-Excel download that Excel
reads back; the search over every territory; the map fitted to a phone.

With OBSERVATOIRE_CAPTURES=1, each page's phone screenshot is written to
docs/img/phone-<page>.png (the documentation's); a plain test run leaves the tree clean."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image

from tests.test_browser import _charts_drawn, server  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
IMAGES = Path(__file__).resolve().parents[1] / "docs" / "img"
# A phone as Chromium's device emulation gives it: its width, touch, and a browser that says
# « Mobile » as phones' browsers do.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36"
    ),
}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
# Page → its address as shared (its filters in it) and its number of charts.
PAGES = {
    "accueil": ("/", 1),
    "carte": ("/carte?niveau=region&indicateur=taux_couverture&annee=2021", 1),
    "territoire": ("/territoire?niveau=region&code=84", 4),
    "reseau": ("/reseau?type=association&region=84", 4),
    "contrats": ("/contrats?type=CRTE&region=53", 1),
    "donnees": ("/donnees?table=regions&niveau=region", 1),
}


def _page(browser, size: str):
    """A reader's page, on a phone or a desktop, recording failed requests and console errors."""
    context = browser.new_context(locale="fr-FR", **(PHONE if size == "phone" else DESKTOP))
    page = context.new_page()
    page.size, page.failed, page.errors = size, [], []
    page.on("response", lambda r: r.status >= 400 and page.failed.append(f"{r.status} {r.url}"))
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


@pytest.fixture(params=["phone", "desktop"])
def reader(request, browser):
    page = _page(browser, request.param)
    yield page
    page.context.close()


@pytest.fixture
def desktop(browser):
    page = _page(browser, "desktop")
    yield page
    page.context.close()


@pytest.fixture
def phone(browser):
    page = _page(browser, "phone")
    yield page
    page.context.close()


def _serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page, and any heading level skipped."""
    violations = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical") or v["id"] == "heading-order"
    ]


def _phone_screenshot(page, name: str) -> None:
    """The page's first 1 600 pixels on the phone, in 64 colours: a few tens of kilobytes;
    written only when asked (OBSERVATOIRE_CAPTURES=1)."""
    if not os.environ.get("OBSERVATOIRE_CAPTURES"):
        return
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 390, "height": min(height, 1600)})
    page.wait_for_timeout(800)
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB").quantize(64)
    shot.save(IMAGES / f"phone-{name}.png", optimize=True)


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_reads_in_french_on_a_phone_and_a_desktop(server, reader, name):  # noqa: F811
    path, charts = PAGES[name]
    reader.goto(f"{server}{path}")
    assert all(_charts_drawn(reader, charts))
    reader.wait_for_timeout(1000)  # the charts settle their size
    assert reader.evaluate("document.documentElement.lang") == "fr"
    widths = reader.evaluate(
        """() => {
            const main = document.querySelector('[data-testid=stMain]');
            return {page: document.scrollingElement.scrollWidth, main: main.scrollWidth,
                    width: innerWidth, inside: main.clientWidth};
        }"""
    )
    assert widths["page"] <= widths["width"] and widths["main"] <= widths["inside"], widths
    drawn = reader.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
            const box = gd.getBoundingClientRect();
            return box.width > 200 && box.height > 200 && box.right <= innerWidth + 1;
        })"""
    )
    assert drawn == [True] * charts, drawn
    texts = reader.locator("[data-testid=stMain]").inner_text()
    for english in ("Choose an option", "No results", "Skip to main content"):
        assert english not in texts
    assert reader.failed == [] and reader.errors == []
    assert _serious(reader) == []
    if reader.size == "phone":
        _phone_screenshot(reader, name)


def test_widgets_and_the_plotly_toolbar_speak_french(server, desktop):  # noqa: F811
    """On a desktop: a phone's browser opens a short list without a field to type in."""
    desktop.goto(f"{server}/reseau")
    _charts_drawn(desktop, 4)
    skip = desktop.locator("[data-testid=stSkipToContent]")
    assert skip.text_content() == "Aller au contenu principal"
    kinds = desktop.get_by_role("combobox", name="Type d'adhérent")
    assert kinds.get_attribute("placeholder") == "Choisissez une option"
    kinds.focus()
    desktop.keyboard.type("zzz")
    desktop.get_by_text("Aucun résultat").wait_for()
    desktop.keyboard.press("Escape")
    chart = desktop.locator(".js-plotly-plot").first
    chart.hover()
    titles = chart.locator(".modebar-btn").evaluate_all("bs => bs.map(b => b.dataset.title)")
    assert "Télécharger le graphique en image PNG" in titles and "Zoomer" in titles, titles
    assert not any("Zoom in" in (t or "") for t in titles)


def test_a_french_excel_download_gives_its_numbers_back(server, reader, published):  # noqa: F811
    reader.goto(f"{server}/")
    _charts_drawn(reader, 1)
    with reader.expect_download() as download:
        reader.get_by_role("button", name="CSV pour Excel (français)").click()
    raw = download.value.path().read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "a byte order mark, or Excel reads Windows-1252"
    assert download.value.suggested_filename == "objectifs_etat_excel.csv"
    rows = pd.read_csv(io.BytesIO(raw), sep=";", decimal=",", encoding="utf-8-sig")
    with duckdb.connect(str(published.public), read_only=True) as con:
        expected = con.execute(
            "select o.id_objectif, o.cible, (select arg_max(v.valeur, v.annee) "
            "from objectifs_valeurs as v where v.id_objectif = o.id_objectif) as valeur "
            "from objectifs as o order by o.id_objectif"
        ).df()
    got = rows.sort_values("id_objectif").reset_index(drop=True)
    assert got["valeur"].tolist() == pytest.approx(expected["valeur"].tolist(), nan_ok=True)
    assert got["cible"].tolist() == pytest.approx(expected["cible"].tolist())
    text = raw.decode("utf-8-sig")
    assert ";" in text.splitlines()[0] and "," not in text.splitlines()[0]
    assert not re.search(r"\d\.0[;\r\n]", text), "whole numbers without .0"
    assert "True" not in text and "False" not in text


def test_any_territory_is_found_by_its_name_from_any_other(server, reader):  # noqa: F811
    reader.goto(f"{server}/territoire?niveau=region&code=84")
    _charts_drawn(reader, 4)
    reader.get_by_role("button", name="Choisir un autre territoire").click()
    search = reader.get_by_role("combobox", name="Territoire : région, département, EPCI")
    search.click()
    reader.keyboard.type("Grenoble (commune")
    reader.get_by_role("option", name="Grenoble (commune, 38)", exact=True).click()
    reader.wait_for_url(re.compile(r"niveau=commune&code=38185"))
    reader.get_by_role("heading", name="Grenoble", exact=True).wait_for()
    search.click()
    reader.keyboard.type("Saint-Denis (commune, 9")
    for homonym in ("Saint-Denis (commune, 93)", "Saint-Denis (commune, 974)"):
        reader.get_by_role("option", name=homonym, exact=True).wait_for()
    reader.keyboard.type("74")
    reader.get_by_role("option", name="Saint-Denis (commune, 974)", exact=True).click()
    reader.wait_for_url(re.compile(r"niveau=commune&code=97411"))
    _charts_drawn(reader, 4)
    labels = reader.locator(".js-plotly-plot").nth(3).locator(".ytick text").all_text_contents()
    assert len(labels) == len(set(labels)) and all(re.search(r"\(\d", t) for t in labels), labels
    assert reader.failed == [] and reader.errors == []


def test_the_map_shows_all_of_metropolitan_france_on_a_phone(server, phone):  # noqa: F811
    phone.goto(f"{server}/carte?niveau=departement&indicateur=taux_couverture&annee=2024")
    phone.wait_for_selector(".maplibregl-canvas", timeout=30_000)
    phone.wait_for_timeout(1500)
    bounds = phone.evaluate(
        """() => {
            const b = document.querySelector('.js-plotly-plot')._fullLayout.map._subplot.map
                .getBounds();
            return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
        }"""
    )
    west, south, east, north = bounds
    # Pointe de Corsen (Brittany), Lauterbourg (Alsace), Cap Corse and Bonifacio (Corsica)
    assert west < -4.8 and east > 9.6 and north > 51.0 and south < 41.4, bounds


def test_a_second_choice_is_not_lost(server, desktop):  # noqa: F811
    """Streamlit identified an unkeyed widget by its index too, which the URL moved at each
    choice: the second choice went to a widget the page no longer drew."""
    desktop.goto(f"{server}/reseau")
    _charts_drawn(desktop, 4)
    for kind in ("entreprise", "association"):
        desktop.get_by_role("combobox", name="Type d'adhérent").click()
        desktop.get_by_role("option", name=kind, exact=True).click()
        desktop.wait_for_url(re.compile(f"type={kind}"))
        desktop.get_by_text(f"de type « {kind} »").first.wait_for()
