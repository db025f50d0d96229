"""Static embeds (issue 22): each chart written at publish as SVG, PNG, a script-free HTML
snapshot and its CSV, served by the dashboard as static files; what could not be drawn is said,
never fails a publish; an unchanged chart is not drawn again."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import embeds as writer
from dashboard.running import running
from tests.test_browser import CHROMIUM
from tests.test_dashboard import APP, opened
from warehouse import embeds
from warehouse.paths import Home

SCOPE = "national,region:84"
NATIONAL = ["accueil-objectifs", "reseau-types", "reseau-lieux", "reseau-croissance"]
NATIONAL += ["reseau-objectifs", "contrats-couverture", "donnees-qualite"]
TERRITORY = [f"territoire-region-84-{c}" for c in writer.TERRITORY_CHARTS]
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> **gras** [l](http://e.x) '


def _copy(published: Home, root: Path) -> Home:
    """The published home's files, hard-linked where a publish never changes them."""
    root.mkdir(parents=True)
    for name in ("public.duckdb", "partenaires.duckdb", "warehouse.duckdb"):
        shutil.copy2(published.root / name, root / name)
    shutil.copytree(published.landing, root / "landing")
    shutil.copytree(published.static, root / "static", symlinks=True, copy_function=os.link)
    return Home(root)


def _refresh(home: Home, **env: str):
    """A real refresh of ``home`` with ``env`` set, as a deployment would run it."""
    from flows.refresh import refresh

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OBSERVATOIRE_HOME", str(home.root))
        for name, value in env.items():
            patch.setenv(name, value)
        state = refresh(return_state=True)
    return state.result()


def _run_writer(home: Home, scope: str, *options: str, **env: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.embeds", "--portee", scope, *options],
        env={**os.environ, "OBSERVATOIRE_HOME": str(home.root), **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def embedded(published, prefect_harness, tmp_path_factory):
    """A copy of the published home where a refresh wrote the embeds (its public file is the
    same: the refresh writes them because the served set is not that file's)."""
    home = _copy(published, tmp_path_factory.mktemp("integrer") / "home")
    report = _refresh(home, OBSERVATOIRE_INTEGRER=SCOPE)
    return home, report


def test_the_charts_offered_by_a_view_follow_its_filters():
    assert writer.slugs_for_view("", {}) == ["accueil-objectifs"]
    assert writer.slugs_for_view("accueil", {}) == ["accueil-objectifs"]
    assert writer.slugs_for_view("reseau", {"type": "tous", "region": "toutes"})[-1] == (
        "reseau-objectifs"
    )
    assert writer.slugs_for_view("reseau", {"type": "association", "region": "84"}) == [
        "reseau-objectifs"
    ]
    assert writer.slugs_for_view("contrats", {"type": "CTE", "region": "toutes"}) == []
    assert writer.slugs_for_view("territoire", {"niveau": "region", "code": "84"}) == TERRITORY
    assert writer.slugs_for_view("territoire", {"niveau": "epci", "code": "200046977"}) == []
    assert writer.unmarkdown(r"Saint\-Denis \*\*x\*\* \\ a\_b") == r"Saint-Denis **x** \ a_b"


def _hostile_public(published: Home, root: Path) -> Home:
    """The public file alone, with HOSTILE before every name and publisher."""
    root.mkdir(parents=True)
    shutil.copy2(published.public, root / "public.duckdb")
    with duckdb.connect(str(root / "public.duckdb")) as con:
        columns = con.execute(
            "select table_name, column_name from duckdb_columns() where not internal and "
            "data_type = 'VARCHAR' and column_name in ('nom', 'editeur', 'jeu_de_donnees', "
            "'sous_type', 'lieu', 'vague')"
        ).fetchall()
        tables = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
        for table, column in columns:
            if table in tables:
                con.execute(f'update "{table}" set "{column}" = ? || "{column}"', [HOSTILE])
    return Home(root)


def test_hostile_names_are_escaped_and_a_snapshot_has_no_script(published, tmp_path):
    """Without Chromium (a fast run: no image), every snapshot escapes names and publishers,
    shows them as their characters (no Markdown escape left) and holds no script."""
    home = _hostile_public(published, tmp_path / "hostile")
    summary = _run_writer(home, SCOPE, BROWSER_PATH=str(tmp_path / "no-chromium"))
    assert summary["charts"] == len(NATIONAL + TERRITORY), summary
    folder = embeds.current(home.static)
    seen = 0
    for page in folder.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert text.startswith('<!doctype html>\n<html lang="fr">')
        assert "Content-Security-Policy" in text and "default-src 'none'" in text
        assert "<script" not in text.lower() and "<img src=x" not in text, page.name
        assert "<img" not in text, "no image without Chromium"
        if "&lt;script&gt;" in text:
            seen += 1
            words = html.unescape(re.sub(r"<[^>]+>", " ", text))
            assert HOSTILE.strip() in words, page.name
            assert "\\*" not in text and "\\[" not in text, "Markdown escapes are removed"
    assert seen >= len(TERRITORY), "every territory snapshot names the hostile région"
    (territory,) = folder.glob("territoire-region-84-couverture.html")
    assert "Source : &lt;script&gt;" in territory.read_text(encoding="utf-8"), "publishers too"


def test_without_chromium_the_publish_succeeds_and_says_which_images_are_missing(
    published, prefect_harness, tmp_path
):
    home = _copy(published, tmp_path / "home")
    (home.static / "donnees").unlink()  # the package is missing: the refresh publishes again
    report = _refresh(
        home, OBSERVATOIRE_INTEGRER="national", BROWSER_PATH=str(tmp_path / "no-chromium")
    )
    assert report.published, "published all the same"
    told = " ".join(report.embeds)
    assert f"Images non écrites pour {len(NATIONAL)} graphique(s)" in told, told
    assert "Chromium indisponible" in told and "no-chromium" in told
    from flows.report import markdown

    assert "Chromium indisponible" in markdown(report), "in the run's Prefect artifact"
    folder = embeds.current(home.static)
    assert sorted(p.stem for p in folder.glob("*.html")) == sorted(NATIONAL)
    assert not list(folder.glob("*.svg")) and not list(folder.glob("*.png"))


def test_a_set_cut_short_by_its_deadline_is_finished_by_the_next_refresh(published, tmp_path):
    root = tmp_path / "home"
    root.mkdir()
    shutil.copy2(published.public, root / "public.duckdb")
    home = Home(root)
    summary = _run_writer(home, "national", "--delai", "0")
    assert summary["reason"] == embeds.OVERRUN and summary["without_image"] == NATIONAL
    assert (embeds.current(home.static) / "reseau-types.html").exists(), "served all the same"
    assert not embeds.up_to_date(home.static, home.public), "the next refresh draws the rest"


chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium needed")


@pytest.mark.slow
@chromium
def test_a_refresh_writes_every_chart_as_images_and_a_snapshot(embedded):
    home, report = embedded
    assert any(f"{len(NATIONAL + TERRITORY)} graphiques écrits" in line for line in report.embeds)
    assert not any("non écrites" in line for line in report.embeds), report.embeds
    folder = embeds.current(home.static)
    assert folder.is_symlink(), "a stable alias, swapped at each publish"
    manifest = json.loads((folder / embeds.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["publication"] == embeds.publication(home.public)
    for slug in NATIONAL + TERRITORY:
        assert (folder / f"{slug}.svg").read_text().lstrip().startswith("<svg"), slug
        assert "<script" not in (folder / f"{slug}.svg").read_text()
        assert (folder / f"{slug}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", slug
        assert (folder / f"{slug}.csv").stat().st_size > 0
        snapshot = (folder / f"{slug}.html").read_text(encoding="utf-8")
        assert f'<img src="{slug}.svg" alt="' in snapshot and "<script" not in snapshot
        assert f'href="{slug}.csv"' in snapshot and "Source : " in snapshot
    couverture = (folder / "territoire-region-84-couverture.html").read_text(encoding="utf-8")
    assert 'href="../../../territoire?niveau=region&amp;code=84"' in couverture


@pytest.mark.slow
@chromium
def test_an_unchanged_refresh_draws_nothing_again(embedded):
    home, _ = embedded
    image = embeds.current(home.static) / "territoire-region-84-consommation.svg"
    before = image.stat()
    started = time.monotonic()
    report = _refresh(home, OBSERVATOIRE_INTEGRER=SCOPE)
    assert report.embeds == [], "the served set is already the public file's: nothing to do"
    assert image.stat().st_mtime_ns == before.st_mtime_ns
    # written again for the same file (as after a publish that changed none of these charts)
    summary = _run_writer(home, SCOPE)
    assert (summary["rendered"], summary["reused"]) == (0, len(NATIONAL + TERRITORY)), summary
    again = embeds.current(home.static) / image.name
    assert again.stat().st_ino == before.st_ino, "the same image, linked into the new set"
    assert time.monotonic() - started < 120


@pytest.fixture(scope="module")
def server(embedded, tmp_path_factory):
    """The real dashboard serving the home where the embeds were written."""
    home, _ = embedded
    with running(home.root, log=tmp_path_factory.mktemp("serveur") / "server.log") as served:
        yield served.url


@pytest.mark.slow
@chromium
def test_the_dashboard_serves_the_embeds_as_static_files(embedded, server):
    home, _ = embedded
    types = {"html": "text/html", "svg": "image/svg+xml", "png": "image/png", "csv": "text/csv"}
    for suffix, kind in types.items():
        name = f"territoire-region-84-couverture.{suffix}"
        with urllib.request.urlopen(f"{server}/{embeds.URL_PATH}/{name}", timeout=10) as answer:
            assert answer.headers["Content-Type"].startswith(kind), (suffix, answer.headers)
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
            assert answer.headers["Access-Control-Allow-Origin"] == "*"
            assert answer.read() == (embeds.current(home.static) / name).read_bytes()


@pytest.mark.slow
@pytest.mark.browser
@chromium
def test_a_snapshot_shows_its_image_under_its_policy_with_no_error(server, browser):
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/{embeds.URL_PATH}/reseau-lieux.html")
    image = page.locator("img")
    assert image.evaluate("i => i.complete && i.naturalWidth") == writer.WIDTH
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("link", name="Voir dans l'observatoire").count() == 1
    assert errors == [], "the policy blocks nothing the snapshot needs"
    page.close()


@pytest.mark.slow
@chromium
def test_share_offers_the_static_image_and_snapshot_of_the_view(embedded, monkeypatch):
    home, _ = embedded
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(home.root))
    at = AppTest.from_file(APP, default_timeout=120)
    at.context = {"url": "http://127.0.0.1:8501/territoire"}
    at.query_params.update(niveau="region", code="84")
    at.run()
    at = opened(at.switch_page("views/territoire.py").run())
    assert not at.exception, at.exception
    codes = "\n".join(c.value for c in at.code)
    base = f"http://127.0.0.1:8501/{embeds.URL_PATH}/territoire-region-84"
    for chart in writer.TERRITORY_CHARTS:
        assert f"Image SVG : {base}-{chart}.svg" in codes
        assert f"Image PNG : {base}-{chart}.png" in codes
        assert f'<iframe src="{base}-{chart}.html"' in codes
