"""Source ``demarches``: ADEME Territoires & Climat's exports, read for real (v1 and v2 PCAET
headers, the other démarches' SIREN-Nom pairs), personal data kept out, the PCAET indicator."""

from __future__ import annotations

import csv
import hashlib
import io

import duckdb
import polars as pl
import pytest

from flows.connector import RawFile
from flows.pipeline import receive
from flows.sources import SOURCES, demarches
from flows.tabular import read_text_table
from schemas.check import ContractError
from tests.conftest import real_file
from tests.http_fixture import Script, serve

PCAET = "ademe_tc_demarches_pcaet_v1_entete_2021-02.csv"
LIBRES = "ademe_tc_demarches_libres_citergie_cte_pcet_2020-09.csv"
PERSONAL = ("chef_de_projet", "contact", "elu_referent")

V2_HEADER = (
    "Id;Date_creation;Date_modification;Date_lancement;Type_demarche;Nom;Description_rapide;"
    "SIREN_collectivites_coporteuses;Collectivités_porteuses;Population_couverte;Demarche_etat;"
    "Chef_de_projet;Contact;Elu_referent;Commentaire_statut;Date_reception_projet;"
    "Date_envoi_avis_dreal;Date_envoi_avis_cr;Oblige;Autres_démarches_hors_EC;Autres_demarches"
)


def _read(*files: RawFile):
    return demarches.read(list(files), None)["demarches"]


def _personal_values(path) -> set[str]:
    """Every name the real file holds in its personal columns (contacts split on « | »)."""
    raw = read_text_table(path, path.name)
    raw = raw.rename({c: demarches.header(c) for c in raw.columns})
    values: set[str] = set()
    for column in PERSONAL:
        for cell in raw[column].drop_nulls():
            values |= {v.strip() for v in cell.split("|") if len(v.strip()) >= 6}
    return values


def test_snapshots_are_the_real_files():
    for snapshot in SOURCES["demarches"].spec.snapshots:
        real = real_file(snapshot.file)
        assert hashlib.sha256(real.read_bytes()).hexdigest() == snapshot.sha256
        assert snapshot.path.read_bytes() == real.read_bytes()
    assert not SOURCES["demarches"].spec.embedded.demo


def test_the_real_exports_are_read_whole_without_personal_data():
    pcaet, libres = (real_file(n) for n in (PCAET, LIBRES))
    first, second = _read(RawFile(PCAET, "t", path=pcaet), RawFile(LIBRES, "t", path=libres))
    # 206 PCAET démarches, text spanning lines included; 587 other démarches
    assert (first.valid.height, first.rejected.height) == (206, 0)
    assert (second.valid.height, second.rejected.height) == (587, 0)
    assert dict(first.valid["etat"].value_counts().rows()) == {
        "Dépôt pour avis": 32,
        "Définitif": 48,
        "En cours d'élaboration": 11,
        "Mise en oeuvre": 115,
    }
    # nine SIRET given for a SIREN, cut and recorded
    assert first.repairs is not None and first.repairs.height == 9
    assert set(first.repairs["valeur_retenue"].str.len_chars()) == {9}
    for checked in (first, second):
        assert not set(PERSONAL) & set(checked.to_stage.columns)
        assert checked.personal == set(PERSONAL)
        assert checked.valid.select(pl.col(c).is_null().all() for c in PERSONAL).row(0) == (
            True,
            True,
            True,
        )
    # every commune (SIREN 21…) is placed by its name and département, « Ville d'Épernay » too
    porteurs = second.to_stage.select("porteurs").explode("porteurs").unnest("porteurs")
    communes = porteurs.filter(pl.col("siren").str.starts_with("21"))
    assert communes.height == 133 and communes["code_commune"].null_count() == 0
    epernay = communes.filter(pl.col("siren") == "215102120")
    assert epernay["code_commune"].to_list() == ["51230"]


def _v2(rows: list[str]) -> bytes:
    return ("\ufeff" + "\r\n".join([V2_HEADER, *rows]) + "\r\n").encode("utf-8")


def test_a_v2_export_with_short_rows_and_lines_in_a_field_maps_to_the_same_contract():
    data = _v2(
        [
            # a row shorter than its header (stops after Oblige's predecessors)
            '3001;01/02/2022;03/04/2023;05/06/2021;PCAET;"Plan climat\nsur deux lignes";'
            '"Desc ; avec séparateur\net retour";200046977 | 200040715;'
            "Métropole de Lyon | Grenoble-Alpes-Métropole;1400000;Mise en œuvre;"
            "Jeanne-DUPONT;Paul-MARTIN | ;Mme Élue Référente",
            "3002;01/02/2022;01/02/2022;;PCAET | TEPOS;Court;;200072726;CC test;25000;"
            "EN COURS D'ÉLABORATION",
        ]
    )
    (checked,) = _read(RawFile("pcaet_v2.csv", "v2", data))
    assert checked.rejected.height == 0, checked.messages()
    rows = checked.to_stage.sort("id_demarche").to_dicts()
    assert rows[0]["nom"] == "Plan climat\nsur deux lignes"
    assert rows[0]["etat"] == "Mise en oeuvre" and rows[1]["etat"] == "En cours d'élaboration"
    assert rows[0]["sirens"] == "200046977|200040715"
    assert [p["siren"] for p in rows[0]["porteurs"]] == ["200046977", "200040715"]
    assert rows[1]["oblige"] is None and rows[1]["types"] == "PCAET | TEPOS"
    staged = str(checked.to_stage.rows())
    for name in ("Jeanne-DUPONT", "Paul-MARTIN", "Élue Référente"):
        assert name not in staged and name not in str(checked.rejected.rows())


def test_a_bad_row_is_quarantined_and_its_message_names_no_person():
    data = _v2(["4001;01/02/2022;01/01/2022;;Inconnu;X;;12345;N;10;Définitif;Jean-SECRET;;;;;;;O"])
    (checked,) = _read(RawFile("mauvais.csv", "mauvais", data))
    assert checked.valid.height == 0 and checked.rejected.height == 1
    said = " ".join(checked.messages())
    assert "types" in said and "sirens" in said and "Jean-SECRET" not in said
    assert "Jean-SECRET" not in str(checked.rejected.rows())


def test_an_export_without_its_collectivities_is_refused_naming_it():
    with pytest.raises(ContractError, match="collectivités porteuses"):
        _read(RawFile("autre.csv", "autre.csv", b"Id;Type_demarche;Nom\n1;PCAET;X\n"))


def test_served_over_http_a_failure_is_retried_then_the_export_read(prefect_harness, home):
    body = real_file(PCAET).read_bytes()
    script = Script((503, b"indisponible"), (200, body))
    with serve(script) as url:
        landed = receive.with_options(retry_delay_seconds=0)("demarches", f"{url}/{PCAET}")
    assert len(script.requests) == 2
    (checked,) = _read(*[RawFile(f.name, f.origin, path=f.path) for f in landed])
    assert checked.valid.height == 206


@pytest.mark.slow
def test_the_public_file_carries_no_personal_data_and_the_pcaet_indicator(published):
    names = _personal_values(real_file(PCAET)) | _personal_values(real_file(LIBRES))
    assert len(names) > 300
    with duckdb.connect(str(published.public), read_only=True) as con:
        columns = con.execute("select table_name, column_name from duckdb_columns()").fetchall()
        assert not {c for _, c in columns} & set(PERSONAL)
        con.execute("create temp table personnes as select unnest(?) as v", [sorted(names)])
        for table in ("demarches", "demarches_territoires", "sources", "executions"):
            texts = [
                c
                for t, c, kind in con.execute(
                    "select table_name, column_name, data_type from duckdb_columns() "
                    "where table_name = ?",
                    [table],
                ).fetchall()
                if kind == "VARCHAR"
            ]
            for column in texts:
                leaked = con.execute(
                    f'select count(*) from "{table}" as t join personnes as p '
                    f'on contains(t."{column}", p.v)'
                ).fetchone()[0]
                assert leaked == 0, f"{table}.{column}"
        counts = dict(con.execute("select type, count(*) from demarches group by 1").fetchall())
        assert counts == {"PCAET": 207, "Ancien PCET": 287, "Cit'ergie": 207, "CTE": 77, "TEPOS": 5}
        natures = dict(
            con.execute("select nature, count(*) from demarches_territoires group by 1").fetchall()
        )
        assert natures["EPCI"] == 537 and natures["commune"] == 133
        values = {
            (o, y): (v, n, d)
            for o, y, v, n, d in con.execute(
                "select id_objectif, annee, valeur, numerateur, denominateur "
                "from objectifs_valeurs where id_objectif like 'strategie_pcaet%'"
            ).fetchall()
        }
    # February 2021: 94 of the 722 EPCI over 20,000 inhabitants have their PCAET adopted
    assert values["strategie_pcaet", 2021] == (0.1302, 94, 722)
    assert values["strategie_pcaet_population", 2021][0] == pytest.approx(0.1636)
    assert values["strategie_pcaet", 2019][1] <= values["strategie_pcaet", 2020][1] <= 94


@pytest.mark.slow
def test_staging_never_holds_personal_data(published):
    with duckdb.connect(str(published.warehouse), read_only=True) as con:
        staged = {
            c
            for (c,) in con.execute(
                "select column_name from duckdb_columns() "
                "where schema_name = 'staging' and table_name = 'demarches'"
            ).fetchall()
        }
        assert staged and not staged & set(PERSONAL)
        quarantined = con.execute(
            "select count(*) from quarantine.rejets where source = 'demarches'"
        ).fetchone()[0]
    assert quarantined == 0


def test_the_csv_layout_is_what_sources_md_says():
    text = real_file(LIBRES).read_bytes().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text), delimiter=";"))
    assert "collectivites_coporteuses" in header and "Chef_de_projet" in header
