"""The command line as maintainers use it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from observatoire.cli import app

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
    assert "membres            1\u202f311 lues" in result.output and "inchangé" in result.output
    assert "territoires" not in result.output, "only the source asked for"
    assert f"{published_copy.public} reste identique, rien n'a été reconstruit" in result.output
    assert published_copy.public.read_bytes() == before
    status = runner.invoke(app, ["status"]).output
    assert ": rien de nouveau, fichier publié inchangé" in status
