"""Dashboard speed in Debian's headless Chromium, on the national demo data: time from navigation
to the first Plotly chart drawn on each page (target ≤ 2 s), and to the map of every EPCI drawn
(≤ 3 s); a page loaded from its address, first visit (server caches cold) then again, and each
page reached through the app's menu. Server-side query time: benchmarks/pages.py.

Uses the published file of $OBSERVATOIRE_HOME when there is one, else refreshes into a temporary
folder first. Prints a table and merges the figures into ``benchmarks/results/latest.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import refresh
from playwright.sync_api import sync_playwright

from dashboard.running import running

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "latest.json"
# page file, URL path, query parameters: each page in a typical view
PAGES = [
    ("views/accueil.py", "", {}),
    ("views/carte.py", "carte", {"niveau": "epci", "indicateur": "taux_couverture"}),
    ("views/territoire.py", "territoire", {"niveau": "epci", "code": "200046977"}),
    ("views/reseau.py", "reseau", {}),
    ("views/contrats.py", "contrats", {}),
    ("views/donnees.py", "donnees", {}),
]
# the menu's link to each page (navigation inside the app, in its default view)
TITLES = {
    "accueil": "Accueil",
    "carte": "Carte",
    "territoire": "Territoire",
    "reseau": "Réseau",
    "contrats": "Contrats",
    "donnees": "Données",
}
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
FIRST_CHART = (
    "() => [...document.querySelectorAll('.js-plotly-plot')].some(g => g._fullData?.length)"
)
# charts of the page left, so that the next page's first chart is told apart from them
MARK_CHARTS = "() => document.querySelectorAll('.js-plotly-plot').forEach(g => g.dataset.vu = 1)"
NEW_CHART = (
    "() => [...document.querySelectorAll('.js-plotly-plot')]"
    ".some(g => !g.dataset.vu && g._fullData?.length)"
)
MAP_DRAWN = (
    "() => document.querySelector('.maplibregl-canvas') && "
    "document.querySelector('.js-plotly-plot')?._fullData?.[0]?.locations?.length > 1000"
)


def _in_browser(home: Path) -> dict[str, float]:
    """Seconds from navigation to the first chart drawn, per page, first visit then again."""
    with running(home) as server:
        url = server.url
        figures = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for visit in ("first", "again"):
                for file, path, params in PAGES:
                    query = "&".join(f"{k}={v}" for k, v in params.items())
                    start = time.perf_counter()
                    page.goto(f"{url}/{path}?{query}")
                    page.wait_for_function(FIRST_CHART, timeout=120_000)
                    figures[f"{Path(file).stem}_{visit}_s"] = round(time.perf_counter() - start, 2)
                    if path == "carte":
                        page.wait_for_function(MAP_DRAWN, timeout=120_000)
                        figures[f"carte_epci_{visit}_s"] = round(time.perf_counter() - start, 2)
            # from the last page, through the menu to each page in turn, Accueil last
            for stem in [*list(TITLES)[1:], "accueil"]:
                page.evaluate(MARK_CHARTS)
                start = time.perf_counter()
                menu = page.locator("[data-testid=stSidebarNav]")
                menu.get_by_text(TITLES[stem], exact=True).click()
                page.wait_for_function(NEW_CHART, timeout=120_000)
                figures[f"{stem}_menu_s"] = round(time.perf_counter() - start, 2)
            browser.close()
        return figures


def main() -> None:
    with refresh.published("bench-dashboard-") as home:
        browser = _in_browser(home.root)
    for name, seconds in browser.items():
        print(f"{name:<28}{seconds:>8} s")
    figures = {
        "dashboard_first_chart_max_s": max(
            v for k, v in browser.items() if "carte_epci" not in k and not k.endswith("_menu_s")
        ),
        "dashboard_first_chart_menu_max_s": max(
            v for k, v in browser.items() if k.endswith("_menu_s")
        ),
        "dashboard_map_epci_s": browser["carte_epci_again_s"],
        "dashboard_browser_s": browser,
    }
    latest = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps(latest | figures, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
