"""What every page shares under Streamlit's AppTest: a new publish is seen without restart, and
a clear message when nothing is published yet."""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.components import OPENED

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PAGES = ["accueil", "carte", "territoire", "reseau", "contrats", "donnees"]


def _values(array) -> np.ndarray:
    """Plotly sends numeric arrays base64-encoded ({"dtype", "bdata"})."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array)


def opened(at: AppTest) -> AppTest:
    """``at`` run again with every expander and popover that writes its content only once open
    (``dashboard.components.on_demand``) opened, as a visitor's click does."""
    for key in list(at.session_state):
        if key.startswith(OPENED):
            at.session_state[key] = True
    return at.run()


def open_page(page: str, opened_: bool = True, **params: str) -> AppTest:
    """The app opened on ``page`` with ``params`` in its URL (a page needs the app's first run),
    then again with everything on demand opened unless ``opened_`` is false (a rerun: messages
    of the first run, like an unknown URL value, are gone)."""
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(f"views/{page}.py")
    for key, value in params.items():
        at.query_params[key] = value
    return opened(at.run()) if opened_ else at.run()


def test_a_new_publish_is_seen_without_restart(published, tmp_path, monkeypatch):
    root = tmp_path / "home"
    root.mkdir()
    shutil.copy2(published.public, root / "public.duckdb")
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(root))
    at = open_page("territoire", niveau="region", code="53")
    assert at.header[0].value == "Bretagne"

    staged = root / "next.duckdb"
    shutil.copy2(root / "public.duckdb", staged)
    with duckdb.connect(str(staged)) as con:
        con.execute(
            "update population_territoires set nom = 'Breizh' "
            "where niveau = 'region' and code = '53'"
        )
    os.replace(staged, root / "public.duckdb")
    at.run()
    assert at.header[0].value == "Breizh"


def test_a_page_cannot_alter_what_the_cache_holds(published, monkeypatch):
    """Results are cached unpickled and shared by every visitor: each gets a copy."""
    from dashboard.queries.common import regions

    monkeypatch.setenv("OBSERVATOIRE_HOME", str(published.root))
    first = regions()
    names = list(first["nom"])
    first.loc[first.index[0], "nom"] = "Altérée"
    first["ajoutee"] = 1
    again = regions()
    assert list(again["nom"]) == names
    assert "ajoutee" not in again.columns


@pytest.mark.parametrize("page", PAGES)
def test_nothing_published_says_what_to_do(page, tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(tmp_path))
    at = open_page(page)
    assert not at.exception
    assert "observatoire refresh" in at.error[0].value


@pytest.mark.slow
def test_a_partial_publication_is_said_under_the_page(published_copy, prefect_harness, tmp_path):
    from flows.refresh import refresh

    report = refresh(locations={"territoires": str(tmp_path / "absent")})
    assert [f.source for f in report.failures] == ["territoires"]
    at = open_page("carte", niveau="region")
    assert not at.exception
    partial = [w.value for w in at.warning if w.value.startswith("**Publication partielle**")]
    assert partial and partial[0].startswith("**Publication partielle** : territoires en échec")


def test_a_french_excel_csv_reads_back_as_its_numbers():
    from dashboard.formats import excel_csv, plain_csv

    frame = pd.DataFrame(
        {
            "nom": ["=1+2", "Lyon", "-moins", "@SUM(A1)"],
            "population": [147712.0, None, 3.0, 4.0],  # counts read as floats by a missing one
            "part": [0.125, 1.5, -2.25, 0.0],
            "actif": [True, False, True, False],
        }
    )
    raw = excel_csv(frame)
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[:2] == [
        "nom;population;part;actif",
        "'=1+2;147712;0,125;oui",
    ]
    back = pd.read_csv(io.BytesIO(raw), sep=";", decimal=",", encoding="utf-8-sig")
    assert back["part"].tolist() == [0.125, 1.5, -2.25, 0.0]
    assert back["population"].tolist()[0] == 147712 and pd.isna(back["population"][1])
    assert back["actif"].tolist() == ["oui", "non", "oui", "non"]
    assert back["nom"].tolist() == ["'=1+2", "Lyon", "'-moins", "'@SUM(A1)"]
    plain = plain_csv(frame).decode("utf-8")
    assert plain.splitlines()[1] == "'=1+2,147712,0.125,True"


def test_streamlit_s_files_are_served_in_french_with_the_app_s_root(tmp_path, caplog):
    """Every text dashboard/serve.py rewrites is found in the installed Streamlit."""
    from streamlit import file_util

    from dashboard import serve

    serve.static_copy(Path(file_util.get_static_dir()), tmp_path)
    assert "not found" not in caplog.text
    index = (tmp_path / "index.html").read_text("utf-8")
    assert '<html lang="fr">' in index and serve.ROOT in index and "<noscript><p>Cette" in index
    scripts = [s for s in tmp_path.glob("static/js/*.js") if not s.is_symlink()]
    assert any("`Aller au contenu principal`" in s.read_text("utf-8") for s in scripts)
    assert (tmp_path / "favicon.png").is_symlink()


def test_the_copies_of_killed_servers_are_removed_at_the_next_start(tmp_path):
    """A server killed without its exit leaves its copy; the next start removes the copies of
    this user's dead servers, and only those."""
    from dashboard import serve

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = tmp_path / f"{serve.PREFIX}{gone.pid}-abc"
    alive = tmp_path / f"{serve.PREFIX}{os.getpid()}-def"
    other = tmp_path / f"{serve.PREFIX}notapid-ghi"
    for folder in (dead, alive, other):
        (folder / "static").mkdir(parents=True)
    linked = tmp_path / f"{serve.PREFIX}{gone.pid}-lien"
    linked.symlink_to(alive)
    serve.sweep(tmp_path)
    assert not dead.exists() and alive.is_dir() and other.is_dir() and linked.is_symlink()
    assert (alive / "static").is_dir()


def test_a_chart_is_built_once_per_publication_and_again_after_a_new_one(
    published, tmp_path, monkeypatch
):
    """Charts are shared by every reader of a publication (dashboard/charts/), and a new publish
    rebuilds them from its own rows."""
    from dashboard.charts import territoire

    root = tmp_path / "home"
    root.mkdir()
    shutil.copy2(published.public, root / "public.duckdb")
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(root))
    first = territoire.consumption("region", "53", "Bretagne")
    assert territoire.consumption("region", "53", "Bretagne") is first
    assert first.figure.to_dict() is first.figure.to_dict()  # st.plotly_chart's copy, made once
    total = first.frame["conso_mwh"].sum()
    assert total > 0

    staged = root / "next.duckdb"
    shutil.copy2(root / "public.duckdb", staged)
    with duckdb.connect(str(staged)) as con:
        con.execute(
            "update consommation_territoires set conso_mwh = conso_mwh * 2 "
            "where niveau = 'region' and code = '53'"
        )
    os.replace(staged, root / "public.duckdb")
    again = territoire.consumption("region", "53", "Bretagne")
    assert again is not first
    assert again.frame["conso_mwh"].sum() == pytest.approx(2 * total)
    bars = sum(_values(trace["y"]).sum() for trace in again.figure.to_dict()["data"])
    assert bars == pytest.approx(2 * total / 1000)
