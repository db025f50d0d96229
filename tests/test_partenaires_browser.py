"""The partner space in Debian's Chromium, signed in through a real OIDC provider on 127.0.0.1
(``oidc-provider-mock``: authorization code flow, nonce, signed ID token, discovery document),
served by ``observatoire partenaires``; and the public ``observatoire dashboard`` beside it.

The anonymous visitor and the signed-in stranger are refused without a row of data, the allowed
partner sees and downloads every member's answers; the public app never reads the partner file
and none of its pages or downloads carries a partner-only field."""

from __future__ import annotations

import csv
import logging
import os
import secrets
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import psutil
import pytest
import werkzeug.serving
from oidc_provider_mock import User
from oidc_provider_mock import app as oidc_app
from playwright.sync_api import expect

from dashboard.running import running
from tests.test_browser import _screenshot
from tests.test_partenaires import PARTNER_ONLY
from warehouse.paths import Home

# expect() has its own 5 s default, which a loaded two-core machine misses (load 30 did).
expect.set_options(timeout=60_000)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PARTNER = User(
    sub="partenaire",
    claims={"email": "claire.dupont@ademe.fr", "email_verified": True, "name": "Claire Dupont"},
)
STRANGER = User(
    sub="inconnue",
    claims={"email": "eve@example.org", "email_verified": True, "name": "Ève Inconnue"},
)
# Streamlit fills in {port} itself; the rest is what a maintainer writes for a real provider.
SECRETS = """\
[auth]
redirect_uri = "http://127.0.0.1:{{port}}/oauth2callback"
cookie_secret = "{cookie_secret}"
client_id = "observatoire-partenaires"
client_secret = "{client_secret}"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[partenaires]
comptes = ["claire.dupont@ademe.fr"]
domaines = ["banquedesterritoires.fr"]
"""
# The provider's own pages link a stylesheet on a CDN: the only request meant for another host
# (aborted, never sent).
PROVIDER_STYLESHEET = "cdn.jsdelivr.net"
DATA = "[data-testid=stPlotlyChart], [data-testid=stMetric], [data-testid=stDataFrame], table"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """An OIDC provider on a port the system picks, with two accounts a tester signs in with
    in one click; it requires a nonce, as real providers do."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = oidc_app(user_claims=[PARTNER, STRANGER], require_nonce=True)
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def partner_server(published, provider, tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("partenaires")
    secrets_file = folder / "secrets.toml"  # outside the repository, as in production
    secrets_file.write_text(
        SECRETS.format(
            cookie_secret=secrets.token_hex(32),
            client_secret=secrets.token_hex(16),
            provider=provider,
        ),
        encoding="utf-8",
    )
    options = ("--secrets", str(secrets_file))
    with running(
        published.root, *options, command="partenaires", log=folder / "partenaires.log"
    ) as served:
        yield served.url


@pytest.fixture
def page(browser):
    """A fresh profile (no cookie) whose requests for any other host than 127.0.0.1 are
    aborted and noted."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(60_000)  # a loaded two-core machine: a page may take 20 s
    elsewhere, errors = [], []

    def local_only(route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", local_only)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert {urlparse(u).hostname for u in elsewhere} <= {PROVIDER_STYLESHEET}
    assert errors == []
    context.close()


def _sign_in(page, server: str, account: User) -> None:
    """Press « Se connecter », then choose ``account`` on the provider's page."""
    page.goto(server)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: not url.startswith(server))
    page.get_by_role("button", name=account.sub, exact=True).click()
    page.wait_for_url(lambda url: url.startswith(server))


def _main_text(page) -> str:
    return page.locator("[data-testid=stMain]").inner_text()


def _download(page, button: str) -> list[dict[str, str]]:
    with page.expect_download() as download:
        page.get_by_role("button", name=button).click()
    with download.value.path().open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def answered(published) -> dict[str, tuple[str, str]]:
    """Active member collectivities (the page's default view): name and endowment, as the
    page's CSV writes them."""
    with duckdb.connect(str(published.partenaires), read_only=True) as con:
        rows = con.execute(
            """select id_membre, nom, dotation_eur_hab_an from reponses
               where type = 'collectivité' and actif"""
        ).fetchall()
    return {i: (nom, "" if dotation is None else str(dotation)) for i, nom, dotation in rows}


def test_anonymous_visitor_sees_the_sign_in_button_and_no_data(partner_server, page, answered):
    page.goto(partner_server)
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible()
    text = _main_text(page)
    assert "réservé aux partenaires du réseau" in text
    assert not [nom for nom, _ in answered.values() if nom in text]
    assert page.locator(DATA).count() == 0


def test_signed_in_stranger_is_refused_and_sees_no_data(partner_server, page, answered):
    _sign_in(page, partner_server, STRANGER)
    page.get_by_text("Ce compte n'a pas accès à l'espace partenaires").wait_for()
    text = _main_text(page)
    assert "eve@example.org" in text, "the refusal names the account it refuses"
    assert not [nom for nom, _ in answered.values() if nom in text]
    assert page.locator(DATA).count() == 0
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()


def test_allowed_partner_sees_and_downloads_each_members_answers(partner_server, page, answered):
    _sign_in(page, partner_server, PARTNER)
    page.get_by_role("heading", name="Espace partenaires : les réponses des adhérents").wait_for()
    page.wait_for_function(
        """() => {
            const charts = [...document.querySelectorAll('.js-plotly-plot')];
            return charts.length === 2 && charts.every(gd => gd._fullData?.length > 0);
        }"""
    )
    expect(page.get_by_text("claire.dupont@ademe.fr")).to_be_visible()
    # objectives chart: reached / not reached / no answer add up to the members shown
    totals = page.evaluate(
        """() => {
            const traces = document.querySelector('.js-plotly-plot')._fullData;
            return traces[0].x.map((_, i) => traces.reduce((sum, t) => sum + t.x[i], 0));
        }"""
    )
    assert totals == [len(answered)] * 4
    _screenshot(page, "partenaires")
    rows = _download(page, "Télécharger les réponses (CSV)")
    assert {r["id_membre"]: (r["nom"], r["dotation_eur_hab_an"]) for r in rows} == answered
    assert sum(bool(r["dotation_eur_hab_an"]) for r in rows) > 50
    assert set(PARTNER_ONLY) - set(rows[0]) == {"contact_nom", "contact_email"}
    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()
    page.goto(partner_server)
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible()


def _status(url: str) -> int:
    """The status a plain HTTP client (no cookie) gets at ``url``."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_partners_download_answers_only_their_signed_in_session(
    partner_server, page, browser, answered
):
    """The CSV's address (``/media/<id>.csv``) serves the signed-in partner; a client without
    cookies (a forwarded link, a proxy log), another browser profile and a signed-in stranger
    holding the same address are refused."""
    _sign_in(page, partner_server, PARTNER)
    page.get_by_role("heading", name="Espace partenaires : les réponses des adhérents").wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger les réponses (CSV)").click()
    url = download.value.url
    assert urlparse(url).path.startswith("/media/"), url
    served = page.request.get(url)  # the partner's own cookies
    assert served.ok, served.status
    assert {r["id_membre"] for r in csv.DictReader(served.text().splitlines())} == set(answered)

    assert _status(url) == 403, "a client without cookies"
    elsewhere = browser.new_context(locale="fr-FR")
    elsewhere.set_default_timeout(60_000)
    try:
        refused = elsewhere.request.get(url)
        assert refused.status == 403, "another browser profile"
        assert "id_membre" not in refused.text()
        stranger = elsewhere.new_page()
        _sign_in(stranger, partner_server, STRANGER)
        stranger.get_by_text("Ce compte n'a pas accès à l'espace partenaires").wait_for()
        assert elsewhere.request.get(url).status == 403, "a signed-in stranger"
    finally:
        elsewhere.close()


@pytest.fixture(scope="module")
def public_home(published, tmp_path_factory) -> Home:
    """The published files copied where only the public server of this module opens them."""
    root = tmp_path_factory.mktemp("public_home")
    for name in ("public.duckdb", "partenaires.duckdb"):
        shutil.copy2(published.root / name, root / name)
    shutil.copytree(published.static, root / "static", symlinks=True)  # the open data package
    return Home(root)


def test_public_app_never_reads_the_partner_file_nor_shows_its_fields(public_home, page, tmp_path):
    """Both files' access times are set to 1970 before the public server starts: after its
    pages and downloads, the public file's has moved (the control), the partner file's not."""
    for path in (public_home.public, public_home.partenaires):
        os.utime(path, (0, path.stat().st_mtime))
    with running(public_home.root, log=tmp_path / "dashboard.log") as dashboard:
        url, process = dashboard.url, dashboard.process
        headers = []
        for path in ("/reseau", "/donnees?table=membres"):
            page.goto(f"{url}{path}")
            page.get_by_text("Publication du").wait_for(timeout=60_000)
            text = _main_text(page)
            assert not [field for field in PARTNER_ONLY if field in text], path
        page.goto(f"{url}/reseau")
        headers.append(set(_download(page, "Télécharger la liste (CSV)")[0]))
        page.goto(f"{url}/donnees?table=membres")
        link = page.get_by_role("link", name="membres.csv", exact=True)
        served = page.request.get(link.get_attribute("href"))  # the open data package's file
        assert served.ok, served.status
        headers.append(set(next(csv.DictReader(served.text().splitlines()))))
        open_files = {Path(f.path).name for f in psutil.Process(process.pid).open_files()}
    assert len(headers) == 2 and {"id_membre", "nom"} <= headers[1]
    assert not [h & set(PARTNER_ONLY) for h in headers if h & set(PARTNER_ONLY)]
    assert "public.duckdb" in open_files and "partenaires.duckdb" not in open_files
    assert public_home.public.stat().st_atime > 0, "control: the public app read its file"
    assert public_home.partenaires.stat().st_atime == 0, "the partner file was never read"
