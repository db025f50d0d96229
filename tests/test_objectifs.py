"""The network's objectives: a reviewed YAML, values per year, member-level rows kept internal."""

from __future__ import annotations

import datetime as dt

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
            "reference",
            "source_url",
        }
        assert objective["source_url"].startswith("https://")
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
        "where id_objectif = 'ressources_perennes'"
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


def test_trajectory_status_follows_its_definition(published):
    with duckdb.connect(str(published.warehouse), read_only=True) as con:
        rows = con.execute(
            "select annee, taux, annee_depart, taux_depart, annee_cible, statut "
            "from interne.membres_trajectoires where id_membre = 'M0002' order by annee"
        ).fetchall()
    assert rows, "M0002 (an EPCI) has a coverage series"
    for year, rate, start, start_rate, target, status in rows:
        line = min(1, start_rate + (1 - start_rate) * (year - start) / (target - start))
        expected = (
            "en avance"
            if rate >= 1.05 * line
            else "sur la trajectoire"
            if rate >= 0.95 * line
            else "en retard"
        )
        assert status == expected


def test_member_level_answers_and_trajectories_stay_internal(public):
    tables = {r[0] for r in public.execute("select table_name from duckdb_tables()").fetchall()}
    assert not {"membres_trajectoires", "membres_communes", "indicateurs"} & tables
    columns = {r[0] for r in public.execute("select column_name from duckdb_columns()").fetchall()}
    assert not {"dotation_eur_hab_an", "etp_coordination", "annee_objectif_enr"} & columns
