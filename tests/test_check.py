"""The row checker: every problem named by file, row, column and rule; valid rows kept."""

from __future__ import annotations

import datetime as dt
import re

import pandera.polars as pa
import polars as pl
import pytest

from flows.tabular import read_text_table
from schemas.check import PERSONAL, ContractError, check, numbers
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
        (3, "valeur", "nombre attendu (ex. 1 234,5)", "douze")
    ]


def test_each_problem_names_file_row_column_rule_and_value():
    raw = read_text_table(
        b"code,valeur,jour,actif\nA,1,,\nB,douze,,\nA,-3,,\nC,2,32/13/2023,\n", "mesures.csv"
    )
    result = check(raw, Mesure, "mesures.csv")
    assert result.valid["code"].to_list() == []  # A is duplicated, B and C are badly typed
    found = {(p["ligne"], p["colonne"], p["regle"]) for p in result.problems.to_dicts()}
    assert (3, "valeur", "nombre attendu (ex. 1 234,5)") in found
    assert (5, "jour", "date attendue (jj/mm/aaaa ou aaaa-mm-jj)") in found
    assert (4, "valeur", "au moins 0") in found
    assert (2, "code", "valeur en double (aussi ligne 4)") in found
    assert (4, "code", "valeur en double (déjà ligne 2)") in found
    assert result.rows_read == 4
    assert result.messages()[0] == (
        "mesures.csv, ligne 2, colonne code : valeur en double (aussi ligne 4) (valeur 'A')"
    )
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


class Registre(pa.DataFrameModel):
    id_membre: str = pa.Field(unique=True)
    type: str = pa.Field(isin=["collectivité", "association"])
    dotation: pl.Float64 = pa.Field(nullable=True, ge=0, le=1000)
    annee_objectif: pl.Int64 = pa.Field(nullable=True, ge=2020, le=2100)
    adhesion: pl.Date = pa.Field(ge=dt.date(1990, 1, 1))
    contact: str = pa.Field(nullable=True, metadata={PERSONAL: True})

    @pa.dataframe_check(error="une association n'a pas de dotation")
    @classmethod
    def association(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("type") != "association") | pl.col("dotation").is_null()
        )


REGISTRE = (
    "id_membre;type;dotation;annee_objectif;adhesion;contact\n"
    "M1;mairie;5000;2200;15/03/2019;alix@example.org\n"
    "M1;association;abc;2200;01/01/1980;alix@example.org\n"
    "M2;collectivité;12,5;2030;2019-03-15;\n"
    "M3;association;4;;01/02/2003;\n"
)


def test_every_problem_of_a_row_in_french_with_the_value_as_written(tmp_path):
    """Before: pandera's words (isin([...]), less_than_or_equal_to(1000), field_uniqueness),
    5000.0 for 5000, and row 3's type error hid its three other problems."""
    path = tmp_path / "registre.csv"
    path.write_bytes(REGISTRE.encode("cp1252"))
    result = check(read_text_table(path, "registre.csv"), Registre, "registre.csv")
    assert result.problems.rows() == [
        (2, "id_membre", "valeur en double (aussi ligne 3)", "M1"),
        (2, "type", "la valeur doit être l'une de : collectivité, association", "mairie"),
        (2, "dotation", "au plus 1\u202f000", "5000"),
        (2, "annee_objectif", "au plus 2100", "2200"),
        (3, "id_membre", "valeur en double (déjà ligne 2)", "M1"),
        (3, "dotation", "nombre attendu (ex. 1 234,5)", "abc"),
        (3, "annee_objectif", "au plus 2100", "2200"),
        (3, "adhesion", "le 01/01/1990 ou après", "01/01/1980"),
        (5, "(ligne entière)", "une association n'a pas de dotation", None),
    ]
    assert result.valid["id_membre"].to_list() == ["M2"]
    assert (
        result.messages()[2]
        == "registre.csv, ligne 2, colonne dotation : au plus 1\u202f000 (valeur '5000')"
    )
    assert result.messages()[-1] == (
        "registre.csv, ligne 5, colonne (ligne entière) : une association n'a pas de dotation"
    )
    assert "alix" not in " ".join(result.messages())  # a whole row's cells are not quoted


def test_a_number_the_reader_parsed_is_shown_as_written():
    """Before: a number column parsed by the CSV reader came back as 5000.0."""
    text = REGISTRE.replace("abc", "7").replace("12,5", "12.5").encode()
    raw = read_text_table(text, "registre.csv", numbers=numbers(Registre))
    assert raw.schema["dotation"] == pl.Float64
    shown = {
        (p["ligne"], p["colonne"]): p["valeur"]
        for p in check(raw, Registre, "r.csv").problems.to_dicts()
    }
    assert shown[(2, "dotation")] == "5000" and shown[(2, "annee_objectif")] == "2200"


class Contrat(pa.DataFrameModel):
    id_crte: str
    siren: str = pa.Field(str_matches=r"^\d{9}$")
    nom: str = pa.Field(str_length={"min_value": 2})

    class Config:
        unique = ["id_crte", "siren"]  # noqa: RUF012 (pandera reads a list)


def test_checks_given_by_their_arguments_are_translated():
    raw = read_text_table(
        b"id_crte,siren,nom\nc1,200000172,Aa\nc1,200000172,Bb\nc2,12,C\n", "crte.csv"
    )
    rules = {
        (p["ligne"], p["colonne"], p["regle"])
        for p in check(raw, Contrat, "crte.csv").problems.to_dicts()
    }
    assert rules == {
        (2, "(ligne entière)", "combinaison id_crte + siren en double (aussi ligne 3)"),
        (3, "(ligne entière)", "combinaison id_crte + siren en double (déjà ligne 2)"),
        (4, "siren", "9 chiffres exactement"),
        (4, "nom", "au moins 2 caractère(s)"),
    }


@pytest.mark.parametrize(
    ("encoding", "said"),
    [
        ("utf-16", "fichier en UTF-16 : enregistrez-le en UTF-8 ou Windows-1252"),
        ("utf-16-le", "fichier en UTF-16 : enregistrez-le"),  # no BOM
        ("utf-16-be", "fichier en UTF-16 : enregistrez-le"),
        ("utf-32", "fichier en UTF-32 : enregistrez-le"),
    ],
)
def test_a_file_in_utf16_is_named_an_encoding_problem(tmp_path, encoding, said):
    """Before: « caractère NUL … colonnes à NUL : c o d e … », or columns said missing."""
    path = tmp_path / "mesures.csv"
    path.write_bytes("Code;Valeur;Jour;Actif\nÉ;1;;\n".encode(encoding))
    with pytest.raises(ContractError, match=re.escape(f"mesures.csv : {said}")):
        read_text_table(path, "mesures.csv", numbers=numbers(Mesure))


def test_an_excel_97_workbook_is_named_so(tmp_path):
    path = tmp_path / "registre.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"Workbook")
    with pytest.raises(ContractError, match=r"registre.xls : classeur Excel 97-2003 \(.xls\)"):
        read_text_table(path, "registre.xls")


def test_quarantine_stores_the_french_rule_and_the_value_as_written(tmp_path):
    """Before: quarantine.rejets held « less_than_or_equal_to(1000) » and « 5000.0 »."""
    from warehouse import internal, quarantine

    raw = read_text_table(REGISTRE.encode(), "registre.csv")
    with internal.connect(tmp_path / "warehouse.duckdb") as con:
        assert quarantine.store(con, "r1", "membres", check(raw, Registre, "registre.csv")) == 3
        stored = con.execute(
            "select ligne, colonne, regle, valeur, enregistrement->>'dotation' "
            "from quarantine.rejets where colonne = 'dotation' order by ligne"
        ).fetchall()
    assert stored == [
        (2, "dotation", "au plus 1\u202f000", "5000", "5000"),
        (3, "dotation", "nombre attendu (ex. 1 234,5)", "abc", "abc"),
    ]
