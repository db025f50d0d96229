"""Pages « Carte » and « Territoire » under AppTest, against the file the real refresh published."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import numpy as np
import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.db import NotPublished
from dashboard.queries.map import outlines
from tests.test_dashboard import _values, open_page
from tests.test_pages import _status
from warehouse import outlines as published_outlines


def _open(published, monkeypatch, page: str, opened_: bool = True, **params: str) -> AppTest:
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(published.root))
    return open_page(Path(page).stem, opened_, **params)


def _figures(at: AppTest) -> list:
    return [pio.from_json(chart.proto.spec) for chart in at.get("plotly_chart")]


def _public(published, sql: str, *params) -> list[tuple]:
    with duckdb.connect(str(published.public), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_map_shows_every_departement_with_its_coverage(published, monkeypatch):
    at = _open(
        published,
        monkeypatch,
        "views/carte.py",
        niveau="departement",
        indicateur="taux_couverture",
        annee="2020",
    )
    assert not at.exception
    (trace,) = _figures(at)[0].data
    assert len(trace.locations) == 101  # a département without data is drawn empty
    shown = {
        code: value
        for code, value in zip(trace.locations, _values(trace.z), strict=True)
        if value == value  # NaN: no data
    }
    expected = dict(
        _public(
            published,
            "select code, taux_couverture from couverture "
            "where niveau = 'departement' and annee = 2020",
        )
    )
    assert shown == pytest.approx(expected)
    (caption,) = [c.value for c in at.caption if "par département" in c.value]
    assert f"2020, par département ({len(expected)} territoires)" in caption
    assert f"{101 - len(expected)} territoire(s) sans donnée" in caption


def test_the_regions_map_cites_the_real_region_series_not_the_demo(published, monkeypatch):
    """At région level the energy comes from ORE's and Enedis' région series (real): no demo
    banner, and the caption cites them; a département's still comes from the demo communes."""
    regions = _open(published, monkeypatch, "views/carte.py", False, niveau="region", annee="2020")
    assert not regions.exception
    assert not [w.value for w in regions.warning if "démonstration" in w.value]
    (caption,) = [c.value for c in regions.caption if "Source :" in c.value]
    assert "Agence ORE" in caption and "Enedis" in caption
    assert "démonstration" not in caption
    departements = open_page("carte", False, niveau="departement", annee="2020")
    assert [w.value for w in departements.warning if "démonstration" in w.value]


def test_communes_are_drawn_one_departement_at_a_time(published, monkeypatch):
    at = _open(
        published,
        monkeypatch,
        "views/carte.py",
        niveau="commune",
        indicateur="conso_hab",
        annee="2015",
        departement="2A",
    )
    assert not at.exception
    (trace,) = _figures(at)[0].data
    ((count,),) = _public(published, "select count(*) from communes where code_departement = '2A'")
    assert len(trace.locations) == count and all(c.startswith("2A") for c in trace.locations)
    assert at.query_params["departement"] == "2A"
    # The outlines are a file Streamlit serves at the figure's URL, one feature per commune.
    served = published.static / trace.geojson.removeprefix("app/static/")
    outlines = json.loads(served.read_text())
    assert [f["id"] for f in outlines["features"]] == sorted(trace.locations)


def test_outlines_are_written_at_publish_and_old_versions_removed(published, tmp_path, monkeypatch):
    """The publish writes the outlines the map asks for in a folder of its own and swaps the
    link ``cartes`` to it; the version before is kept, so a page opened just before a publish
    still finds its file. The dashboard only reads them."""
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(tmp_path))
    shutil.copyfile(published.public, tmp_path / "public.duckdb")
    served = tmp_path / "static"
    with pytest.raises(NotPublished):  # a file published before outlines were
        outlines("region", None)
    versions = []
    with duckdb.connect(str(tmp_path / "public.duckdb"), read_only=True) as con:
        for _ in range(3):
            versions.append(published_outlines.write(con, served))
    url, bounds = outlines("region", None)
    assert url == f"app/static/{versions[2].name}/region.geojson"
    assert not versions[0].exists() and versions[1].exists() and versions[2].exists()
    assert bounds[0] < -60 and bounds[2] > 50  # overseas régions included
    ((departements,),) = _public(published, "select count(*) from departements")
    assert len(list(versions[2].glob("commune-*.geojson"))) == departements
    assert {f.name for f in versions[2].glob("[!c]*")} == {
        "region.geojson",
        "departement.geojson",
        "epci.geojson",
    }
    with pytest.raises(ValueError, match="département invalide"):
        outlines("commune", "../../etc")


def test_contract_coverage_grows_with_the_years(published, monkeypatch):
    shares = {}
    for year in ("2018", "2022"):
        at = _open(
            published,
            monkeypatch,
            "views/carte.py",
            niveau="region",
            indicateur="contrat",
            annee=year,
        )
        (trace,) = _figures(at)[0].data
        shares[year] = np.nanmean(_values(trace.z))  # Mayotte has no population
    assert shares["2018"] < 0.1 < 0.99 < shares["2022"]


@pytest.mark.parametrize("hostile", ["84' or 1=1 --", "<script>alert(1)</script>", "x" * 500])
def test_hostile_parameters_only_say_unknown(published, monkeypatch, hostile):
    at = _open(published, monkeypatch, "views/carte.py", False, niveau=hostile, indicateur=hostile)
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert warnings.count("Valeur inconnue") == 2
    assert "<script>" not in warnings and "1=1" not in warnings and "x" * 61 not in warnings
    assert at.query_params["niveau"] == "epci"


def test_a_coverage_chart_gives_the_years_it_measured(published, monkeypatch):
    """Auvergne-Rhône-Alpes' real series: consumption goes on after production stops, and the
    coverage caption gives the years coverage was measured, not those of either series."""
    at = _open(published, monkeypatch, "views/territoire.py", niveau="region", code="84")
    ((first, last, rows_until),) = _public(
        published,
        "select min(annee) filter (where taux_couverture is not null), "
        "max(annee) filter (where taux_couverture is not null), max(annee) "
        "from couverture where niveau = 'region' and code = '84'",
    )
    assert rows_until > last, "control: the series' rows go on after coverage stops"
    (caption,) = [c.value for c in at.caption if "couvre" in c.value]
    assert caption.endswith(f"— {first}-{last}."), caption


def test_territory_page_tells_its_story(published, monkeypatch):
    at = _open(published, monkeypatch, "views/territoire.py", niveau="commune", code="69123")
    assert not at.exception
    assert at.header[0].value == "Lyon"
    figures = _figures(at)
    assert len(figures) == 4  # consumption, production, coverage, peers
    ((conso_2024,),) = _public(
        published,
        "select sum(conso_mwh) from consommation_territoires "
        "where niveau = 'commune' and code = '69123' and annee = 2024",
    )
    stacked = sum(_values(t.y)[-1] for t in figures[0].data)
    assert stacked == pytest.approx(conso_2024 / 1000)
    captions = " ".join(c.value for c in at.caption)
    assert "Lyon couvre" in captions and "territoires de même échelle" in captions
    badges = [m.value for m in at.markdown if "badge[" in m.value]
    assert len(badges) == 1
    # The one TEPOS trajectory: from France's coverage in 2015 to 100 % in 2050, Lyon's own
    # series read against it.
    ((france_2015,),) = _public(
        published,
        "select taux_couverture from couverture where niveau = 'france' and annee = 2015",
    )
    measured = _public(
        published,
        "select annee, taux_couverture from couverture "
        "where niveau = 'commune' and code = '69123' and taux_couverture is not null "
        "order by annee",
    )
    line = figures[2].data[1]
    assert (line.x[0], line.y[0]) == pytest.approx((2015, france_2015))
    assert (line.x[-1], line.y[-1]) == (2050, 1.0)
    expected = _status(measured, 1.0, 2050, 2015, start=france_2015)
    assert badges[0].endswith(f" {expected}]")


def test_unknown_territory_falls_back_and_says_so(published, monkeypatch):
    at = _open(published, monkeypatch, "views/territoire.py", False, niveau="region", code="99")
    assert not at.exception
    assert any("Valeur inconnue" in w.value for w in at.warning)
    assert at.header[0].value == "Auvergne-Rhône-Alpes"
