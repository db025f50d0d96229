"""Security of what the project writes out (issue 23, findings 3, 6, 7, 8): CSV cells that a
spreadsheet would run as formulas, source text that Streamlit or Plotly would render as Markdown
or HTML, who may sign in to the partner space, and what a damaged public file shows."""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
import tomllib
from pathlib import Path

import duckdb
import polars as pl
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from dashboard.formats import csv_safe
from dashboard.partenaires.acces import ListeAutorisee
from tests.test_dashboard import opened
from warehouse import dictionnaire, opendata
from warehouse.paths import Home

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "dashboard" / "app.py")
# What a hostile registry or publisher could write in a name.
HOSTILE = (
    "![i](http://evil.example/x.png) [lien](http://evil.example) "
    "<img src=http://evil.example/y.png> **gras** $x$ www.evil.example "
)
FORMULA = '=HYPERLINK("http://evil.example","clic")'


def _hostile_copy(published: Home, root: Path) -> Path:
    """The published file with HOSTILE before every name, publisher, message and sub-type."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / "public.duckdb"
    shutil.copy2(published.public, target)
    with duckdb.connect(str(target)) as con:
        columns = con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where not internal and data_type = 'VARCHAR' and column_name in "
            "('nom', 'editeur', 'jeu_de_donnees', 'message', 'sous_type', 'lieu', 'vague')"
        ).fetchall()
        tables = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
        for table, column in columns:
            if table in tables:  # views follow their tables
                con.execute(f'update "{table}" set "{column}" = ? || "{column}"', [HOSTILE])
    return target


def _rendered(body: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(body)


def _assert_plain(at: AppTest) -> int:
    """Every Markdown element holding the hostile text renders it as text: no image, no link, no
    tag, and the literal characters read back; every chart's labels carry no tag. Return how
    many elements held it."""
    bodies = [e.value for kind in ("markdown", "caption", "info", "warning") for e in at.get(kind)]
    bodies += [e.body for e in at.header] if hasattr(at.header, "__iter__") else []
    for element in at.table:
        frame = element.value.reset_index()
        bodies += [str(v) for v in frame.to_numpy().ravel()] + [str(c) for c in frame.columns]
    seen = 0
    for body in bodies:
        if "evil" not in body:
            continue
        seen += 1
        out = _rendered(body)
        assert "<img" not in out and "<a " not in out, (body, out)
        assert "http://" not in body and "www.evil" not in body, f"an autolink: {body}"
        text = html.unescape(re.sub(r"<[^>]+>", "", out))
        assert HOSTILE.strip() in " ".join(text.split()), (body, text)
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        for trace in spec["data"]:
            for key in ("name", "x", "y", "customdata", "hovertemplate"):
                flat = json.dumps(trace.get(key))
                assert "<img" not in flat and "<a " not in flat, (key, flat[:300])
    return seen


@pytest.fixture
def hostile_home(published, tmp_path, monkeypatch) -> Path:
    root = tmp_path / "hostile"
    _hostile_copy(published, root)
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(root))
    return root


def _page(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(f"views/{page}.py")
    for key, value in params.items():
        at.query_params[key] = value
    at = opened(at.run())
    assert not at.exception, at.exception
    return at


# --- 6. Source text is text ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("page", "params"),
    [
        ("territoire", {"niveau": "region", "code": "84"}),
        ("territoire", {"niveau": "epci", "code": "200046977"}),
        ("reseau", {}),
        ("contrats", {}),
        ("donnees", {}),
        ("carte", {"niveau": "region"}),
        ("accueil", {}),
    ],
)
def test_hostile_names_are_shown_as_text(hostile_home, page, params):
    """A name written as Markdown and HTML in a real published file: every element that shows
    it renders the same characters, with no image, link or tag (the page requested evil.example
    at every visit before)."""
    at = _page(page, **params)
    seen = _assert_plain(at)
    if page in ("territoire", "donnees", "contrats", "reseau"):
        assert seen, f"{page} shows no hostile name: the test tests nothing"


# --- 3. CSV formula injection ----------------------------------------------------------------


@pytest.mark.slow
def test_open_data_csv_quotes_formulas_and_parquet_keeps_them(published, tmp_path):
    root = tmp_path / "f"
    public = _hostile_copy(published, root)
    with duckdb.connect(str(public)) as con:
        con.execute(
            "update membres set nom = ? where id_membre = (select min(id_membre) from membres)",
            [FORMULA],
        )
        con.execute("update sources set editeur = '@SUM(1+1)'")
        folder = opendata.write(con, root / "static", dictionnaire.tables())
    with (folder / "membres.csv").open(encoding="utf-8", newline="") as f:
        names = [row["nom"] for row in csv.DictReader(f)]
    assert "'" + FORMULA in names and FORMULA not in names
    with (folder / "sources.csv").open(encoding="utf-8", newline="") as f:
        assert {row["editeur"] for row in csv.DictReader(f)} == {"'@SUM(1+1)"}
    parquet = pl.read_parquet(folder / "membres.parquet")["nom"].to_list()
    assert FORMULA in parquet, "the Parquet, for machines, keeps the exact value"
    assert not [n for n in names if n and n[0] in "=+-@\t\r"], "a cell still reads as a formula"
    numbers = [
        (name, row[name])
        for path in folder.glob("*.csv")
        for row in csv.DictReader(path.open(encoding="utf-8", newline=""))
        for name in row
        if row[name].startswith("'-") and re.fullmatch(r"'-[\d.]+", row[name])
    ]
    assert numbers == [], "a number was quoted as text"


def test_dashboard_csv_quotes_formulas_only_in_text_columns():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "nom": [FORMULA, "+cmd|' /C calc'!A0", "-x", "@SUM(A1)", "\tz", "Lyon", None],
            "valeur": [-3.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    out = csv_safe(frame)
    assert out["nom"].tolist()[:6] == [
        "'" + FORMULA,
        "'+cmd|' /C calc'!A0",
        "'-x",
        "'@SUM(A1)",
        "'\tz",
        "Lyon",
    ]
    assert out["valeur"].tolist() == frame["valeur"].tolist()
    assert frame["nom"].iloc[0] == FORMULA, "the cached frame is not changed"


# --- 7. Partner sign-in ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "allowed"),
    [
        ({"email": "kevin@ademe.fr", "email_verified": True}, True),
        ({"email": "Kevin@ADEME.fr", "email_verified": True}, True),
        ({"email": "kevin@ademe.fr", "email_verified": "false"}, False),
        ({"email": "kevin@ademe.fr", "email_verified": 0}, False),
        ({"email": "kevin@ademe.fr", "email_verified": "true"}, False),
        ({"email": "kevin@ademe.fr"}, False),  # absent: not said verified
        ({"email": "\u212aevin@ademe.fr", "email_verified": True}, False),  # Kelvin sign
        ({"email": "kevin@ａｄｅｍｅ.fr", "email_verified": True}, False),  # full-width
        ({"email": "jean@ara.fr", "email_verified": True}, True),
        ({"email": "jean@\u212a.ara.fr", "email_verified": True}, False),
    ],
)
def test_sign_in_needs_a_verified_canonical_address(user, allowed):
    liste = ListeAutorisee.from_section({"comptes": ["kevin@ademe.fr"], "domaines": ["ara.fr"]})
    assert liste.autorise(user) is allowed


# --- 8. A damaged public file ----------------------------------------------------------------


def test_error_details_are_off_in_every_launch():
    for config in (REPO / ".streamlit" / "config.toml", REPO / "dashboard/.streamlit/config.toml"):
        assert tomllib.loads(config.read_text())["client"]["showErrorDetails"] is False
    cli = (REPO / "observatoire" / "cli.py").read_text()
    assert '"--client.showErrorDetails",\n        "false",' in cli


@pytest.mark.slow
@pytest.mark.parametrize("page", ["accueil", "territoire", "donnees"])
def test_a_damaged_public_file_shows_a_french_error_not_a_traceback(
    published, tmp_path, monkeypatch, page
):
    root = tmp_path / "damaged"
    root.mkdir()
    data = published.public.read_bytes()
    (root / "public.duckdb").write_bytes(data[: len(data) // 3] + b"\0" * 4096)
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(root))
    at = AppTest.from_file(APP, default_timeout=120).run()
    if page != "accueil":
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception[0].value if at.exception else None
    assert any("Les données publiées sont illisibles" in e.value for e in at.error)
