"""The network's objectives: a reviewed YAML, values per year, member-level rows kept internal."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import duckdb
import polars as pl
import pytest

from flows.demo import membres as demo
from warehouse.objectifs import objectives


@pytest.fixture(scope="module")
def public(published):
    con = duckdb.connect(str(published.public), read_only=True)
    yield con
    con.close()


def test_every_objective_is_complete_and_measured(public):
    listed = objectives()
    assert {o["id"] for o in listed} >= {
        "ressources_perennes",
        "strategie_ambitieuse",
        "coordination",
        "mutualisation",
        "trajectoire_tepos",
        "contrats_partout",
    }
    for objective in listed:
        assert set(objective) == {
            "id",
            "libelle",
            "indicateur",
            "cible",
            "annee_cible",
            "annee_reference",
            "reference",
            "document",
            "document_annee",
            "document_page",
            "document_url",
            "sources",
        }
        assert objective["annee_reference"] < objective["annee_cible"] or (
            objective["annee_reference"] == objective["annee_cible"]
        )
        # the document itself, never a home page: a path beyond the site's root
        url = objective["document_url"]
        assert url is None or urlsplit(url).path.strip("/") != "", url
        assert url is None or url.startswith("https://")
        assert objective["document"]
    measured = dict(
        public.execute(
            "select id_objectif, count(*) from objectifs_valeurs "
            "where valeur is not null group by 1"
        ).fetchall()
    )
    assert set(measured) == {o["id"] for o in listed}
    low, high = public.execute("select min(valeur), max(valeur) from objectifs_valeurs").fetchone()
    assert low >= 0 and high <= 1


def test_endowment_share_matches_the_registry(public):
    registry = demo.registry()
    today = dt.date.today()
    active = registry.filter(
        (pl.col("type") == "collectivité")
        & (pl.col("date_sortie").is_null() | (pl.col("date_sortie") > today))
    )
    expected = active.filter(pl.col("dotation_eur_hab_an") >= 10).height
    numerator, denominator = public.execute(
        "select numerateur, denominateur from objectifs_valeurs "
        "where id_objectif = 'ressources_perennes' and annee = ?",
        [today.year],
    ).fetchone()
    assert (numerator, denominator) == (expected, active.height)


def test_the_crte_list_covers_every_territory_from_2021(public):
    """The ANCT's list of December 2022 gives no signature date: its CRTE count from the end of
    2021, the year the first were signed, and cover every EPCI."""
    values = dict(
        public.execute(
            "select annee, valeur from objectifs_valeurs where id_objectif = 'contrats_partout'"
        ).fetchall()
    )
    assert values[2020] == 0 and values[2021] == values[2022] == 1.0


def test_every_territory_is_read_against_one_trajectory_from_2015(public):
    """One stated line for all: France's coverage in 2015 (the real région series) to 100 % in
    2050; no territory is « on track » in its first year because its line starts there."""
    (start,) = public.execute(
        "select taux_couverture from couverture where niveau = 'france' and annee = 2015"
    ).fetchone()
    assert 0.03 < start < 0.05  # 3.8 %: Enedis' renewable production / ORE's consumption
    rows = public.execute(
        "select t.niveau, t.annee, t.trajectoire, t.statut, c.taux_couverture "
        "from couverture_trajectoire as t join couverture as c using (niveau, code, annee)"
    ).fetchall()
    assert len(rows) > 100_000
    for niveau, year, line, status, rate in rows:
        if year < 2015:
            assert line is None
            assert status == ("avant la référence" if rate is not None else "sans données")
            continue
        assert line == pytest.approx(min(1, start + (1 - start) * (year - 2015) / 35), abs=1e-9)
        if rate is None:
            expected = "sans données"
        elif rate >= 1:
            expected = "atteint"
        elif rate >= 1.05 * line:
            expected = "en avance"
        elif rate >= 0.95 * line:
            expected = "sur la trajectoire"
        else:
            expected = "en retard"
        assert status == expected, (niveau, year)
    first_years = public.execute(
        "select statut, count(*) from couverture_trajectoire where annee = 2015 group by 1"
    ).fetchall()
    assert len(first_years) > 1  # not everyone « sur la trajectoire » in the reference year


def test_member_trajectories_use_the_same_line(published):
    with duckdb.connect(str(published.warehouse), read_only=True) as con:
        mixed = con.execute(
            "select count(*) from interne.membres_trajectoires as m "
            "join interne.trajectoire_tepos as t using (annee) "
            "where m.trajectoire is distinct from t.trajectoire"
        ).fetchone()[0]
        measured = con.execute(
            "select count(*) from interne.membres_trajectoires where annee >= 2015"
        ).fetchone()[0]
    assert measured > 0 and mixed == 0


def test_a_reached_target_says_atteint(public):
    statuses = dict(
        public.execute(
            "select annee, statut from objectifs_valeurs where id_objectif = 'contrats_partout'"
        ).fetchall()
    )
    # the CRTE cover every EPCI from 2021 (100 %): the target is reached, not « en avance »
    assert statuses[2021] == statuses[2022] == "atteint"
    assert statuses[2018] == "année de référence"
    assert statuses[2017] == "avant la référence"


def test_member_level_answers_and_trajectories_stay_internal(public):
    tables = {r[0] for r in public.execute("select table_name from duckdb_tables()").fetchall()}
    assert not {"membres_trajectoires", "membres_communes", "indicateurs"} & tables
    columns = {r[0] for r in public.execute("select column_name from duckdb_columns()").fetchall()}
    assert not {"dotation_eur_hab_an", "etp_coordination", "annee_objectif_enr"} & columns
