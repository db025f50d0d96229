"""The row checker: every problem named by file, row, column and rule; valid rows kept."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
import pytest

from flows.tabular import read_text_table
from schemas.check import ContractError, check, numbers
from schemas.territoires import CommuneBrute


class Mesure(pa.DataFrameModel):
    code: str = pa.Field(unique=True)
    valeur: pl.Float64 = pa.Field(ge=0)
    jour: pl.Date = pa.Field(nullable=True)
    actif: pl.Boolean = pa.Field(nullable=True)


def test_french_numbers_and_dates_are_typed():
    raw = read_text_table(
        b"code;valeur;jour;actif\nA;1 234,5;31/12/2023;oui\nB;0,25;2024-01-15;non\n",
        "mesures.csv",
        separator_=";",
    )
    result = check(raw, Mesure, "mesures.csv")
    assert result.problems.is_empty()
    assert result.valid["valeur"].to_list() == [1234.5, 0.25]
    assert [d.isoformat() for d in result.valid["jour"]] == ["2023-12-31", "2024-01-15"]
    assert result.valid["actif"].to_list() == [True, False]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_number_columns_read_as_numbers_unless_a_cell_is_not_one(encoding):
    def read(text: str) -> pl.DataFrame:
        return read_text_table(text.encode(encoding), "mesures.csv", numbers=numbers(Mesure))

    header = "Code;Valeur;Jour;Actif\n"
    typed = read(header + "é;1.5;;\nB;2;;\n")
    assert typed.schema["valeur"] == pl.Float64
    assert check(typed, Mesure, "mesures.csv").valid["valeur"].to_list() == [1.5, 2.0]
    raw = read(header + "é;1.5;;\nB;douze;;\nC;3,5;;\n")
    assert raw.schema["valeur"] == pl.String  # one cell sends the file back to text
    result = check(raw, Mesure, "mesures.csv")
    assert result.valid["valeur"].to_list() == [1.5, 3.5]
    assert result.problems.select("ligne", "colonne", "regle", "valeur").rows() == [
        (3, "valeur", "type Float64", "douze")
    ]


def test_each_problem_names_file_row_column_rule_and_value():
    raw = read_text_table(
        b"code,valeur,jour,actif\nA,1,,\nB,douze,,\nA,-3,,\nC,2,32/13/2023,\n", "mesures.csv"
    )
    result = check(raw, Mesure, "mesures.csv")
    assert result.valid["code"].to_list() == []  # A is duplicated, B and C are badly typed
    found = {
        (p["ligne"], p["colonne"], p["regle"].split("(")[0]) for p in result.problems.to_dicts()
    }
    assert (3, "valeur", "type Float64") in found
    assert (5, "jour", "type Date") in found
    assert (4, "valeur", "greater_than_or_equal_to") in found
    assert (2, "code", "field_uniqueness") in found and (4, "code", "field_uniqueness") in found
    assert result.rows_read == 4
    assert result.messages()[0].startswith("mesures.csv, ligne 2, colonne code : field_uniqueness")
    assert "valeur 'douze'" in " ".join(result.messages())


def test_whole_row_rules_are_reported_on_the_row():
    raw = read_text_table(
        b"id,code,type,nom,type_nom,population_municipale,departement_id,commune_parent_id,"
        b"epci_id,geometry\n"
        b"1,01001,COM,A,0,10,1,,,\n2,01001,COM,B,0,20,1,,,\n3,01001,COMD,C,0,5,1,1,,\n"
        b"4,2A004,COM,D,0,5,,,,\n",
        "communes.csv",
    )
    result = check(raw, CommuneBrute, "communes.csv")
    assert result.valid["id"].to_list() == [3]  # a COMD may share its code with its COM
    rules = {(p["ligne"], p["colonne"], p["regle"]) for p in result.problems.to_dicts()}
    assert (2, "(ligne entière)", "code unique parmi les communes de plein exercice (COM)") in rules
    assert (5, "(ligne entière)", "une commune COM a un département") in rules


def test_missing_column_fails_the_file_naming_it():
    raw = read_text_table(b"code,jour\nA,\n", "mesures.csv")
    with pytest.raises(ContractError, match=r"mesures.csv : colonne\(s\) manquante\(s\) valeur"):
        check(raw, Mesure, "mesures.csv")


class Valeur(pa.DataFrameModel):
    code: str
    valeur: pl.Float64 = pa.Field(nullable=True)


def test_decimal_commas_are_parsed_by_the_reader_when_the_first_lines_use_them():
    def read(text: str) -> pl.DataFrame:
        return read_text_table(text.encode(), "mesures.csv", numbers=numbers(Valeur))

    typed = read("code;valeur\nA;1,5\nB;\nC;2\n")
    assert typed.schema["valeur"] == pl.Float64
    assert typed["valeur"].to_list() == [1.5, None, 2.0]
    for text in ("code;valeur\nA;1,5\nB;2.5\n", "code;valeur\nA;1,5\nB;2 000,5\n"):
        # a point, spaced thousands: parsed by the reader, or read as text and typed by check
        valid = check(read(text), Valeur, "mesures.csv").valid
        assert valid["valeur"].to_list() == [1.5, 2.5 if "2.5" in text else 2000.5]
    assert read('code,valeur\nA,"1,5"\n').schema["valeur"] == pl.String  # comma-separated
