"""Accueil, Réseau, Contrats and Données under Streamlit's AppTest, on the file the real refresh
published: what they show is checked against counts computed here with DuckDB."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.formats import number, percent
from tests.test_dashboard import opened

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
HOSTILE = ["84' or 1=1 --", "<script>alert(1)</script>", "![x](http://example.com/x.png)"]


@pytest.fixture
def sql(published):
    """Run one query on the published file, independently of the dashboard's code."""
    con = duckdb.connect(str(published.public), read_only=True)
    yield lambda text, *params: con.execute(text, list(params)).fetchall()
    con.close()


@pytest.fixture
def open_page(published, monkeypatch):
    """``open_page("reseau", type="association")`` runs that page with those URL parameters, then
    again with everything on demand opened unless ``opened_`` is false."""
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(published.root))

    def run(page: str | None = None, opened_: bool = True, **params: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        for name, value in params.items():
            at.query_params[name] = value
        at.run()  # pages with a url_path can only be reached after a first run
        if page:
            at.switch_page(f"views/{page}.py").run()
        if opened_:  # a rerun: first-run messages (an unknown URL value) are gone
            at = opened(at)
        assert not at.exception, at.exception
        return at

    return run


def _text(at: AppTest) -> str:
    """Everything the page wrote as Markdown, captions, warnings and metrics."""
    parts = [e.value for kind in ("markdown", "caption", "warning", "info") for e in at.get(kind)]
    parts += [f"{m.label}: {m.value}" for m in at.metric]
    return "\n".join(parts)


def _metric(at: AppTest, label: str) -> str:
    (value,) = [m.value for m in at.metric if m.label == label]
    return value


def _figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _grid(at: AppTest, *columns: str):
    """The one table of the page, plain (``st.table``, first column as index) or a grid
    (``st.dataframe``: a table too wide for a phone), that has these columns, as a DataFrame."""
    frames = [t.value.reset_index() for t in at.table] + [d.value for d in at.dataframe]
    (frame,) = [f for f in frames if set(columns) <= set(f.columns)]
    return frame


def _demo_banner(at: AppTest) -> str:
    (banner,) = [w.value for w in at.warning if "Données de démonstration" in w.value]
    return banner


def _status(
    values: list[tuple[int, float]],
    target: float,
    target_year: int,
    reference: int,
    start: float | None = None,
) -> str:
    """The rule of warehouse/objectifs.py, written again: reached at the target; else a straight
    line from the value of the reference year (or ``start``, the line's own start) to the target
    in the target year, 5 % tolerance."""
    year, value = values[-1]
    first = dict(values).get(reference) if start is None else start
    if value >= target:
        return "atteint"
    if year == reference:
        return "année de référence"
    if year < reference:
        return "avant la référence"
    if first is None:
        return "sans référence"
    expected = min(
        target, first + (target - first) * (year - reference) / max(target_year - reference, 1)
    )
    if value >= 1.05 * expected:
        return "en avance"
    return "sur la trajectoire" if value >= 0.95 * expected else "en retard"


# --- Accueil ---------------------------------------------------------------------------------


def test_home_counts_members_territories_and_contracts(open_page, sql):
    at = open_page()
    (active,) = sql("select count(*) from membres where actif")[0]
    assert _metric(at, "Adhérents actifs") == number(active)
    (population, communes) = sql(
        """select sum(population), count(*) from communes where code_commune in (
               select n.code_commune from membres_territoires as t
               join membres as m using (id_membre)
               join communes_niveaux as n on n.niveau = t.niveau and n.code = t.code
               where m.actif and m.type = 'collectivité')"""
    )[0]
    assert _metric(at, "Communes couvertes") == number(communes)
    assert f"{number(population)} habitants (population municipale INSEE 2017)" in _text(at)
    (cte, crte) = sql(
        "select count(*) filter (where type = 'CTE'), count(*) filter (where type = 'CRTE') "
        "from contrats"
    )[0]
    assert cte == 0, "the embedded default is the ANCT's CRTE list, without the 2019 CTE"
    assert f"{number(crte)} CRTE (liste de l'ANCT)" in _text(at)
    assert "membres" in _demo_banner(at)


def test_home_gives_each_objective_its_value_status_and_coverage(open_page, sql):
    at = open_page()
    objectives = sql(
        "select id_objectif, cible, annee_cible, annee_reference from objectifs order by rowid"
    )
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert len(badges) == len(objectives) == 10, "seven from the registry, two PCAET, emissions"
    values = [m for m in at.metric if m.label.startswith("Valeur ")]
    for (id_objectif, target, target_year, reference), badge, metric in zip(
        objectives, badges, values, strict=True
    ):
        series = sql(
            "select annee, valeur from objectifs_valeurs "
            "where id_objectif = ? and valeur is not null order by annee",
            id_objectif,
        )
        expected = _status(series, target, target_year, reference)
        assert badge.endswith(f"{expected}]"), id_objectif
        assert metric.label == f"Valeur {series[-1][0]}"
        assert metric.value == percent(series[-1][1])
    (partial,) = sql(
        "select arg_max(part_perimetre_avec_donnees, annee) from objectifs_valeurs "
        "where id_objectif = 'ressources_perennes'"
    )[0]
    assert partial < 1
    assert f"Données pour {percent(partial, 0)} du périmètre." in _text(at)
    (bars,) = _figures(at)
    assert sum(len(t["y"]) for t in bars["data"] if t["type"] == "bar") == 10
    assert bars["layout"]["separators"] == ",\u202f"


def test_every_chart_has_source_numbers_and_csv(open_page):
    for page in ("accueil", "reseau", "contrats", "donnees"):
        at = open_page(None if page == "accueil" else page)
        charts = len(at.get("plotly_chart"))
        assert charts, page
        expanders = [e for e in at.expander if e.label.startswith("Les chiffres du graphique")]
        downloads = [
            b for b in at.get("download_button") if "données du graphique" in b.proto.label
        ]
        sourced = [c for c in at.caption if "Source : " in c.value and " — " in c.value]
        assert len(expanders) == len(downloads) == charts, page
        assert len(sourced) >= charts, page
        assert all(e.children for e in expanders), page
        assert "Publication du" in at.caption[-1].value, page


def test_hidden_numbers_lists_and_code_are_written_only_once_opened(published, monkeypatch):
    """A collapsed expander or a closed popover costs the browser as much as an open one: what
    they hold is sent when the visitor opens them."""
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(published.root))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("views/reseau.py").run()
    closed = {e.label: len(e.children) for e in at.expander}
    assert "Liste des adhérents actifs (" in " ".join(closed) and set(closed.values()) == {0}
    assert not at.code and not at.dataframe and not at.table
    at = opened(at)
    assert all(len(e.children) for e in at.expander), "each opened expander writes its content"
    assert at.dataframe, "the list of members"
    assert len(at.code) == 2, "the link and the iframe"


# --- Réseau ----------------------------------------------------------------------------------


def test_network_default_shows_every_active_member(open_page, sql):
    at = open_page("reseau")
    (active, tepos) = sql(
        "select count(*), count(*) filter (where reseau_tepos) from membres where actif"
    )[0]
    assert _metric(at, "Adhérents actifs") == number(active)
    assert _metric(at, "Membres du réseau TEPOS") == number(tepos)
    assert at.query_params["type"] == "tous" and at.query_params["region"] == "toutes"
    by_place = _figures(at)[1]
    regions = {r for (r,) in sql("select nom from regions")}
    assert {y for trace in by_place["data"] for y in trace["y"]} <= regions
    assert len(_grid(at, "Adhérent", "Adhésion")) == active


def test_network_filters_come_from_the_url(open_page, sql):
    at = open_page("reseau", type="association", region="84")
    assert [s.value for s in at.selectbox] == ["association", "84"]
    (count,) = sql(
        "select count(*) from membres where actif and type = 'association' and code_region = '84'"
    )[0]
    assert _metric(at, "Adhérents actifs") == number(count)
    by_place = _figures(at)[1]
    departements = {d for (d,) in sql("select nom from departements where code_region = '84'")}
    assert {y for trace in by_place["data"] for y in trace["y"]} <= departements
    assert [t["name"] for t in by_place["data"]] == ["association"]


def test_choosing_a_kind_updates_the_url(open_page, sql):
    at = open_page("reseau")
    at.selectbox[0].select("entreprise").run()
    assert at.query_params["type"] == "entreprise"
    (count,) = sql("select count(*) from membres where actif and type = 'entreprise'")[0]
    assert _metric(at, "Adhérents actifs") == number(count)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_network_hostile_url_parameters_only_say_unknown(open_page, hostile):
    at = open_page("reseau", opened_=False, type=hostile, region=hostile)
    unknown = [w.value for w in at.warning if "inconnu" in w.value]
    assert len(unknown) == 2
    for text in unknown:  # the value is echoed without any Markdown or HTML it carried
        assert re.fullmatch(r"[\w �-]*", text.rpartition(" : « ")[2].partition(" »")[0])
    assert [s.value for s in at.selectbox] == ["tous", "toutes"]


# --- Contrats --------------------------------------------------------------------------------


def test_contracts_default_counts_and_coverage(open_page, sql):
    at = open_page("contrats")
    (contracts,) = sql("select count(*) from contrats")[0]
    assert _metric(at, "Contrats") == number(contracts)
    (covered, epci) = sql(
        "select count(distinct p.code_epci), (select count(*) from epci) from contrats_perimetres "
        "as p join contrats as k using (id_contrat) where k.debut <= current_date"
    )[0]
    assert (
        _metric(at, "EPCI couverts")
        == f"{number(covered)} / {number(epci)}"
        == "1\u202f253 / 1\u202f253"
    )
    # the ANCT's CRTE list gives no signature date: no chronology, a coverage curve
    assert "Aucun de ces contrats n'a de date de signature." in _text(at)
    (coverage,) = _figures(at)
    assert coverage["layout"]["shapes"][0]["y0"] == 1, "the 100 % target is drawn"
    assert len(_grid(at, "Contrat", "Signature")) == contracts
    assert "rapproché : 854." in _text(at) and "Tous les contrats sont rapprochés." in _text(at)


def test_contracts_filters_come_from_the_url(open_page, sql):
    at = open_page("contrats", type="CRTE", region="53")
    assert at.radio[0].value == "CRTE" and at.selectbox[0].value == "53"
    (contracts,) = sql(
        """select count(*) from contrats where type = 'CRTE' and id_contrat in (
               select id_contrat from contrats_perimetres
               join epci_territoires using (code_epci) where code_region = '53')"""
    )[0]
    (covered, epci) = sql(
        """select count(distinct e.code_epci) filter (where e.code_epci in (
                      select code_epci from contrats_perimetres join contrats using (id_contrat)
                      where type = 'CRTE')),
                  count(distinct e.code_epci)
           from epci_territoires as e where e.code_region = '53'"""
    )[0]
    assert _metric(at, "Contrats") == number(contracts)
    assert _metric(at, "EPCI couverts") == f"{number(covered)} / {number(epci)}"
    assert "en Bretagne" in _text(at)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_contracts_hostile_url_parameters_only_say_unknown(open_page, hostile):
    at = open_page("contrats", opened_=False, type=hostile, region=hostile)
    assert len([w for w in at.warning if "inconnu" in w.value]) == 2
    assert at.radio[0].value == "tous" and at.selectbox[0].value == "toutes"


def test_contracts_show_the_matching_report_when_there_is_one(published, tmp_path, monkeypatch):
    root = tmp_path / "home"
    root.mkdir()
    shutil.copy2(published.public, root / "public.duckdb")
    with duckdb.connect(str(root / "public.duckdb")) as con:
        con.execute(
            """insert into contrats_rapprochement values
               ('CTE1', 'CTE du Pays test', 'intercommunal', 12, 30, '200000000', 0.0,
                'à vérifier', '30 communes trouvées pour 12 déclarées, noms sans mot commun'),
               ('CTE2', 'CTE de l''Île test', 'communal', 1, 1, null, null,
                'non rapproché', 'commune(s) sans EPCI (île)')"""
        )
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(root))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at = opened(at.switch_page("views/contrats.py").run())
    assert "non rapproché : 1 ; à vérifier : 1 ; rapproché : 854." in _text(at), "problems first"
    report = _grid(at, "Motif").set_index("Contrat")
    assert list(report.index) == ["CTE de l'Île test", "CTE du Pays test"]
    assert list(report["Motif"]) == [
        "commune(s) sans EPCI (île)",
        "30 communes trouvées pour 12 déclarées, noms sans mot commun",
    ]


def test_data_page_lists_sources_quarantine_and_quality(open_page, sql):
    at = open_page("donnees")
    sources = {s for (s,) in sql("select distinct source from sources")}
    provenance = _grid(at, "Démonstration").set_index("Source")
    assert set(provenance.index) == sources
    demo = {s for (s,) in sql("select distinct source from sources where demo")}
    assert set(provenance.index[provenance["Démonstration"] == "oui"]) == demo
    assert set(_demo_banner(at).partition(" : ")[2].partition(" — ")[0].split(", ")) == demo
    assert "quarantine.rejets" in _text(at)
    (flags,) = sql("select count(*) from qualite_series")[0]
    assert f"{number(flags)} signalements en tout" in _text(at)
    text = _text(at)
    for (table,) in sql("select table_name from duckdb_tables()"):
        assert f"/app/static/donnees/{table}.parquet" in text
    assert "/app/static/donnees/datapackage.json" in text
    assert at.query_params["table"] == "membres" and at.query_params["niveau"] == "tous"
    columns = sql(
        "select column_name from duckdb_columns() "
        "where table_name = 'membres' order by column_index"
    )
    assert list(_grid(at, "Colonne")["Colonne"]) == [c for (c,) in columns]


def test_data_page_state_comes_from_the_url(open_page, sql):
    at = open_page("donnees", table="consommation", niveau="region")
    assert at.selectbox[-1].value == "consommation"
    assert "/app/static/donnees/consommation.csv.gz" in _text(at), "too long for a spreadsheet"
    (key,) = [c.value for c in at.caption if c.value.startswith("Consommation annuelle")]
    assert "Pas de clé" in key
    reading = [c.value for c in at.code if "read_parquet" in c.value]
    assert len(reading) == 2 and all("consommation.parquet" in r for r in reading)
    flagged = _grid(at, "Territoire", "Rapport")
    assert set(flagged["Niveau"]) == {"région"}
    assert set(flagged["Code"]) <= {r for (r,) in sql("select code_region from regions")}


@pytest.mark.parametrize("hostile", HOSTILE)
def test_data_page_hostile_url_parameters_only_say_unknown(open_page, hostile):
    at = open_page("donnees", opened_=False, table=hostile, niveau=hostile)
    assert len([w for w in at.warning if "inconnu" in w.value]) == 2
    assert at.selectbox[-1].value == "membres"


# --- Partager / Intégrer -----------------------------------------------------------------------


def _shared(published, monkeypatch, page: str, context: dict, **params: str) -> AppTest:
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(published.root))
    at = AppTest.from_file(APP, default_timeout=60)
    at.context = context
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    at = opened(at.switch_page(f"views/{page}.py").run())
    assert not at.exception, at.exception
    return at


def test_share_gives_the_link_of_the_view_and_its_iframe(published, monkeypatch):
    browser = {"url": "http://127.0.0.1:8501/reseau"}
    at = _shared(published, monkeypatch, "reseau", browser, type="association", region="84")
    link, snippet = [c.value for c in at.code]
    assert link == "http://127.0.0.1:8501/reseau?type=association&region=84"
    assert snippet == (
        '<iframe src="http://127.0.0.1:8501/reseau?embed=true&amp;type=association&amp;region=84"'
        ' title="Le réseau CLER : adhérents et objectifs" width="100%" height="720"'
        ' style="border: 0" loading="lazy"></iframe>'
    )
    monkeypatch.setenv("OBSERVATOIRE_URL_PUBLIQUE", "https://observatoire.example.org/")
    at = _shared(published, monkeypatch, "contrats", browser, type="CTE")
    link, snippet = [c.value for c in at.code]
    assert link == "https://observatoire.example.org/contrats?type=CTE&region=toutes"
    assert 'src="https://observatoire.example.org/contrats?embed=true&amp;type=CTE&amp;' in snippet


EMBEDDED = {
    "accueil": ("", {}),
    "reseau": ("reseau", {"type": "association", "region": "84"}),
    "contrats": ("contrats", {"type": "CRTE", "region": "53"}),
    "carte": ("carte", {"niveau": "region", "indicateur": "contrat", "annee": "2020"}),
    "territoire": ("territoire", {"niveau": "epci", "code": "200046977"}),
    "donnees": ("donnees", {"table": "regions", "niveau": "region"}),
}


@pytest.mark.parametrize("page", list(EMBEDDED))
def test_every_page_embedded_links_back_to_its_full_view(published, monkeypatch, page):
    path, params = EMBEDDED[page]
    embedded = {"url": f"http://127.0.0.1:8501/{path}", "is_embedded": True}
    at = _shared(published, monkeypatch, page, embedded, **params)
    assert not [c for c in at.code if "<iframe" in c.value], "no share control inside an embed"
    assert at.get("plotly_chart"), "the page still draws its charts"
    (back,) = [m.value for m in at.markdown if "Ouvrir cette vue" in m.value]
    query = "&".join(f"{k}={v}" for k, v in params.items())
    address = f"http://127.0.0.1:8501/{path}" + (f"?{query}" if query else "")
    assert back == f"[Ouvrir cette vue dans l'observatoire]({address})"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_share_never_carries_a_hostile_value(published, monkeypatch, hostile):
    browser = {"url": "http://127.0.0.1:8501/reseau"}
    at = _shared(published, monkeypatch, "reseau", browser, type=hostile, region=hostile)
    link, snippet = [c.value for c in at.code]
    assert link == "http://127.0.0.1:8501/reseau?type=tous&region=toutes"
    assert "<script" not in snippet and hostile not in snippet


def test_home_opens_on_whether_the_network_progresses_real_and_demo_apart(open_page, sql):
    at = open_page()
    (sentence,) = [m.value for m in at.markdown if "progresse-t-il" in m.value]
    demo = {s for (s,) in sql("select distinct source from sources where demo")}
    rows = sql(
        """select o.id_objectif, o.sources, v.statut from objectifs as o
           join (select id_objectif, arg_max(statut, annee) as statut
                 from objectifs_valeurs where valeur is not null group by 1) as v
           using (id_objectif)"""
    )
    real = [status for _, sources, status in rows if not demo & set(sources)]
    # the real ones: the CRTE list (reached), ADEME's PCAET (2); the rest rests on demo data
    assert len(real) == 3 and real.count("atteint") == 1
    assert f"Sur données réelles, 3 objectifs mesurés : 1 atteint, {real.count('en retard')}" in (
        sentence
    )
    assert f"{len(rows) - 3} autres objectifs reposent sur des données de démonstration" in sentence
    ((year, rate),) = sql(
        "select annee, taux_couverture from couverture where niveau = 'france' "
        "and taux_couverture is not null order by annee desc limit 1"
    )
    assert f"**La France** couvre {percent(rate)}" in _text(at) and f"en {year}" in _text(at)


def test_one_search_lists_every_territory_by_name_kind_and_departement(open_page, sql):
    at = open_page("territoire", niveau="region", code="84")
    options = at.selectbox(key="territoire").options
    ((count,),) = sql("select count(*) from population_territoires where niveau <> 'france'")
    assert len(options) == len(set(options)) == count
    assert {"Saint-Denis (commune, 93)", "Saint-Denis (commune, 974)"} <= set(options)
    assert {
        "Grenoble (commune, 38)",
        "Auvergne-Rhône-Alpes (région)",
        "Isère (département, 38)",
    } <= set(options)
    assert options.index("Grenoble-Alpes-Métropole (EPCI, 38)") < options.index(
        "Grenoble (commune, 38)"
    ), "the most populated first"


def test_a_region_shows_its_charts_before_its_170_epci(open_page, sql):
    at = open_page("territoire", niveau="region", code="84")
    epci = sql(
        "select nom_parent from territoires_parents "
        "where niveau = 'region' and code = '84' and niveau_parent = 'epci'"
    )
    assert len(epci) > 150
    intro = at.markdown[
        [m.value for m in at.markdown].index("### Consommation d'électricité et de gaz") - 1
    ]
    assert all(name not in intro.value for (name,) in epci[:20])
    (folded,) = [e for e in at.expander if e.label.startswith("EPCI ayant des communes ici")]
    assert folded.label.endswith(f"({len(epci)})")
    assert sorted(folded.text[0].value.splitlines()) == sorted(name for (name,) in epci)


def test_comparables_are_named_apart_and_ranked_as_the_caption_says(open_page, sql):
    at = open_page("territoire", niveau="commune", code="97411")
    peers = _figures(at)[3]["data"][0]
    names = [re.sub(r"<[^>]+>", " ", y) for y in peers["y"]]
    assert len(set(names)) == len(names) and all(re.search(r"\((\d\w|\d{2,3})\)", n) for n in names)
    mine = [y for y in peers["y"] if y.startswith("<b>")]
    assert mine == ["<b>Saint-Denis (974)</b>"]
    rank = peers["text"][peers["y"].index(mine[0])]
    assert f"Saint-Denis est {rank} sur" in _text(at)


def test_the_map_colours_reach_beyond_100_percent(open_page, sql):
    at = open_page("carte", niveau="epci", indicateur="taux_couverture", annee="2024")
    ((top, largest),) = sql(
        "select quantile_cont(taux_couverture, 0.95), max(taux_couverture) from couverture "
        "where niveau = 'epci' and annee = 2024"
    )
    assert largest > 1
    (trace,) = _figures(at)[0]["data"]
    assert trace["zmax"] == pytest.approx(top) and top > 1
    assert f"jusqu'à {percent(top)}" in _text(at) and percent(largest) in _text(at)


def test_a_region_page_cites_the_real_region_series_not_the_demo_communes(open_page):
    region = open_page("territoire", niveau="region", code="84")
    banner = _demo_banner(region)
    assert "consommation" not in banner and "production" not in banner
    energy = [c.value for c in region.caption if "GWh" in c.value]
    assert len(energy) == 2 and "Agence ORE (Opérateurs de réseaux d'énergie)" in energy[0]
    assert not [c for c in energy if "démonstration" in c]
    epci = open_page("territoire", niveau="epci", code="200046977")
    assert {"consommation", "production"} <= set(
        re.findall(r"[a-z_]+", _demo_banner(epci).split(":")[1].split("—")[0])
    )
