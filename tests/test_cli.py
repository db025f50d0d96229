"""The command line as maintainers use it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from zoneinfo import ZoneInfo

import duckdb
import pytest
from typer.testing import CliRunner

from observatoire.cli import app
from tests.conftest import REPO, real_file

runner = CliRunner()


def test_status_lists_each_source_and_the_file_age(published_copy):
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert f"Fichier publié : {published_copy.public}, il y a" in result.output
    assert "territoires" in result.output and "acceptées    38\u202f902" in result.output


def test_status_without_publication_says_what_to_run(home):
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert "lancez « observatoire refresh »" in result.output


@pytest.mark.slow
def test_failed_source_exits_non_zero_with_one_paragraph(published_copy, prefect_harness):
    result = runner.invoke(app, ["refresh", "--from", "territoires=/nulle/part"])
    assert result.exit_code == 1
    message = result.output.strip().splitlines()[-1]
    assert message.startswith("Rafraîchissement partiel — source « territoires », étape télécha")
    assert "/nulle/part : fichier illisible" in message
    assert "ses données précédentes restent publiées" in message
    status = runner.invoke(app, ["status"])
    assert "dernier run" in status.output and "échec" in status.output
    assert ": partiel — en échec : territoires (leurs données précédentes" in status.output


def test_malformed_from_option_is_refused():
    result = runner.invoke(app, ["refresh", "--from", "territoires"])
    assert result.exit_code == 2
    assert "SOURCE=URL_OU_CHEMIN" in result.output


def test_unchanged_refresh_says_the_public_file_stays(published_copy, prefect_harness):
    before = published_copy.public.read_bytes()
    result = runner.invoke(app, ["refresh", "--source", "membres"])
    assert result.exit_code == 0, result.output
    assert re.search("membres +1\u202f311 lues", result.output) and "inchangé" in result.output
    assert "territoires" not in result.output, "only the source asked for"
    assert f"{published_copy.public} reste identique, rien n'a été reconstruit" in result.output
    assert published_copy.public.read_bytes() == before
    status = runner.invoke(app, ["status"]).output
    assert ": rien de nouveau, fichier publié inchangé" in status


def test_status_gives_paris_time_with_its_offset_and_flags_demo_sources(published_copy):
    """Before: « dernier succès 05/12/2026 20:17 », UTC unsaid, and demo data unflagged."""
    with duckdb.connect(str(published_copy.warehouse), read_only=True) as con:
        (fin,) = con.execute(
            "select max(fin) from audit.executions where source = 'territoires'"
        ).fetchone()
    paris = fin.astimezone(ZoneInfo("Europe/Paris"))
    hours = int(paris.utcoffset().total_seconds() // 3600)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert f"dernier succès {paris:%d/%m/%Y %H:%M} UTC+{hours} " in lines["territoires"]
    assert ", heure de Paris) : complet" in lines["Dernier"]
    assert "[DÉMO]" not in lines["territoires"]  # the real COG, embedded
    assert lines["membres"].endswith("[DÉMO]")
    assert "source(s) publiée(s) sur les données de démonstration du projet" in lines["[DÉMO]"]


def test_partenaires_help_names_the_secrets_sections():
    """Before: Rich read « [auth] » and « [partenaires] » as markup and dropped them."""
    result = runner.invoke(app, ["partenaires", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "sections [auth] (fournisseur OIDC) et [partenaires] (comptes" in result.output


def _odre_line(**cells: str) -> str:
    """The real ODRÉ registry of the Rhône, its first installation's ``cells`` changed."""
    lines = real_file("odre_registre_installations_rhone.csv").read_text("utf-8-sig").split("\n")
    header, first = lines[0].split(";"), lines[1].split(";")
    for name, value in cells.items():
        first[header.index(name)] = value
    return "\n".join([lines[0], ";".join(first), *lines[2:]])


def test_validate_names_every_problem_of_a_row_in_french_as_written(tmp_path):
    """Before: « isin([...]) », « less_than_or_equal_to(5000000) (valeur '6000000.0') », and the
    row's bad date hid its two other problems."""
    path = tmp_path / "registre.csv"
    path.write_text(
        _odre_line(
            codeFiliere="SOLEIL", puisMaxInstallee="6000000", dateMiseEnService="32/13/2020"
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["validate", "installations", str(path)])
    assert result.exit_code == 1
    row = [line for line in result.output.splitlines() if ", ligne 2, " in line]
    assert row == [
        f"{path}, ligne 2, colonne code_filiere : la valeur doit être l'une de : AUTRE, BIOEN, "
        "EOLIE, GEOTH, HYDLQ, MARIN, NUCLE, SOLAI, STOCK, THERM (valeur 'SOLEIL')",
        f"{path}, ligne 2, colonne puissance_kw : au plus 5\u202f000\u202f000 (valeur '6000000')",
        f"{path}, ligne 2, colonne date_mise_en_service : date attendue (jj/mm/aaaa ou "
        "aaaa-mm-jj) (valeur '32/13/2020')",
    ]


def test_validate_names_a_utf16_file_an_encoding_problem(tmp_path):
    """Before: « caractère NUL … colonnes à NUL : n o m I n s t a l l a t i o n … »."""
    path = tmp_path / "registre.csv"
    path.write_text(_odre_line(), encoding="utf-16")
    result = runner.invoke(app, ["validate", "installations", str(path)])
    assert result.exit_code == 2
    assert f"{path} : fichier en UTF-16 : enregistrez-le en UTF-8 ou Windows-1252" in result.output
    assert "NUL" not in result.output


@pytest.mark.slow
@pytest.mark.parametrize("command", ["dashboard", "partenaires"])
def test_a_busy_port_is_named_with_a_free_one_to_try(tmp_path, command):
    """Before: Streamlit started, then stopped on « Port 8501 is in use », in English."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[auth]\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "observatoire.cli", command, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
            env=os.environ
            | {"OBSERVATOIRE_HOME": str(tmp_path / "home"), "OBSERVATOIRE_SECRETS": str(secrets)},
        )
    assert done.returncode == 1, done.stderr
    said = done.stderr.strip()
    assert said.startswith(f"Le port {port} est occupé sur 127.0.0.1 : essayez --port ")
    free = int(said.split("--port ")[1].split()[0])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", free))  # the port named is free
