"""Source ``membres``: messy registries checked row by row, codes repaired, nothing lost."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from flows.connector import FetchError, RawFile
from flows.demo import membres as demo
from flows.pipeline import TooManyRejects, receive, stage
from flows.reference import Territories
from flows.sources import membres
from observatoire.cli import app
from schemas.check import ContractError
from schemas.membres import MembreBrut, siren_valide
from tests.conftest import load_into_copy
from tests.http_fixture import Script, serve
from warehouse import internal, marts
from warehouse.landing import land

runner = CliRunner()


@pytest.fixture(scope="module")
def registry_csv() -> str:
    return demo.csv_bytes().decode("utf-8-sig")


@pytest.fixture(scope="module")
def ref() -> Territories:
    return Territories.load()


def _check(data: bytes, name: str = "registre.csv"):
    (checked,) = membres.read([RawFile(name, name, data)], None)["membres"]
    return checked


def _edit(text: str, edits: dict[tuple[int, str], str]) -> str:
    """Change cells of a `;` CSV: {(spreadsheet row, column): value}."""
    lines = text.splitlines()
    header = lines[0].split(";")
    for (row, column), value in edits.items():
        cells = lines[row - 1].split(";")
        cells[header.index(column)] = value
        lines[row - 1] = ";".join(cells)
    return "\n".join(lines) + "\n"


def test_demo_registry_is_deterministic_and_valid(registry_csv, ref):
    assert demo.csv_bytes() == demo.csv_bytes()
    assert registry_csv.splitlines()[0].split(";") == list(MembreBrut.to_schema().columns)
    checked = _check(registry_csv.encode("utf-8-sig"))
    assert (checked.rows_read, checked.rejected.height) == (293, 0)
    kinds = checked.valid["type"].value_counts().sort("type")
    assert dict(kinds.iter_rows()) == {
        "association": 65,
        "autre": 7,
        "collectivité": 183,
        "entreprise": 38,
    }
    codes = checked.valid["territoires"].drop_nulls().str.split("|").explode()
    assert set(codes) <= ref.communes | ref.epci


@pytest.mark.parametrize(
    "save",
    [
        pytest.param(lambda t: t.replace(";", ",").encode(), id="comma-utf8"),
        pytest.param(lambda t: t.encode("cp1252"), id="semicolon-cp1252"),
        pytest.param(lambda t: t.encode("utf-8-sig"), id="semicolon-utf8-bom"),
        pytest.param(lambda t: t.replace(";", "\t").encode(), id="tab-utf8"),
    ],
)
def test_every_way_staff_save_the_file_reads_the_same(registry_csv, save):
    text = registry_csv
    if save.__name__ == "<lambda>" and "," in save("a;b").decode("ascii", "ignore"):
        # a comma-separated save quotes cells holding commas (decimal commas) as spreadsheets do
        frame = pl.read_csv(io.StringIO(text), separator=";", infer_schema=False)
        data = frame.write_csv().encode()
    else:
        data = save(text)
    checked = _check(data)
    assert checked.rejected.height == 0
    reference = _check(registry_csv.encode("utf-8-sig")).valid
    assert checked.valid.equals(reference)


def test_xlsx_export_reads_the_same(registry_csv, tmp_path):
    frame = pl.read_csv(io.StringIO(registry_csv), separator=";", infer_schema=False)
    path = tmp_path / "registre.xlsx"
    frame.write_excel(path)
    checked = _check(path.read_bytes(), "registre.xlsx")
    assert checked.rejected.height == 0
    assert checked.valid.equals(_check(registry_csv.encode("utf-8-sig")).valid)


def test_each_malformation_is_reported_at_its_cell(registry_csv):
    bad = _edit(
        registry_csv,
        {
            (3, "siren"): "123456789",
            (4, "siren"): "356000000",  # La Poste: no Luhn, still valid
            (5, "id_membre"): "M0005",
            (6, "id_membre"): "M0005",
            (7, "territoires"): "99999",
            (8, "date_sortie"): "01/01/1990",
            (9, "date_adhesion"): "31/02/2020",
            (10, "dotation_eur_hab_an"): "beaucoup",
            (11, "type"): "mairie",
            (12, "contact_email"): "pas-une-adresse",
            (13, "code_commune_siege"): "",
            (14, "reseau_tepos"): "peut-être",
        },
    )
    checked = _check(bad.encode("cp1252"))
    found = {(p["ligne"], p["colonne"], p["regle"]) for p in checked.problems.to_dicts()}
    assert found == {
        (3, "siren", "SIREN : 9 chiffres et clé de Luhn valide"),
        (5, "id_membre", "valeur en double (aussi ligne 6)"),
        (6, "id_membre", "valeur en double (déjà ligne 5)"),
        (7, "territoires", "chaque code est une commune ou un EPCI actuels"),
        (8, "(ligne entière)", "date de sortie antérieure à la date d'adhésion"),
        (9, "date_adhesion", "date attendue (jj/mm/aaaa ou aaaa-mm-jj)"),
        (10, "dotation_eur_hab_an", "nombre attendu (ex. 1 234,5)"),
        (11, "type", "la valeur doit être l'une de : collectivité, association, entreprise, autre"),
        (
            12,
            "contact_email",
            r"format attendu : ^[^@\s]+@[^@\s]+\.[a-z]{2,}$ (expression régulière)",
        ),
        (13, "code_commune_siege", "valeur obligatoire (cellule vide)"),
        (14, "reseau_tepos", "oui ou non attendu (oui/non, vrai/faux, 1/0)"),
    }
    assert checked.rows_read == 293 and checked.valid.height + checked.rejected.height == 293


def test_codes_are_repaired_only_when_certain(registry_csv, ref):
    merged, (parent, _) = next(
        (code, target)
        for code, target in sorted(ref.merged_into.items())
        if "déléguée" in target[1]
    )
    text = registry_csv.splitlines()
    header = text[0].split(";")
    row = next(i for i, line in enumerate(text[1:], 2) if line.split(";")[5].startswith("0"))
    seat = text[row - 1].split(";")[header.index("code_commune_siege")]
    bad = _edit(
        registry_csv,
        {(row, "code_commune_siege"): seat.lstrip("0"), (2, "territoires"): f"{merged}|{seat[1:]}"},
    )
    checked = _check(bad.encode())
    assert checked.rejected.height == 0
    repairs = {(r["ligne"], r["colonne"], r["valeur_retenue"]) for r in checked.repairs.to_dicts()}
    assert repairs == {
        (row, "code_commune_siege", seat),
        (2, "territoires", f"{parent}|{seat}"),
    }
    assert "commune déléguée" in " ".join(checked.repairs["motif"])
    # "2A004" lost nothing; a 4-digit code with no commune behind its zero stays rejected
    unknown = _check(_edit(registry_csv, {(2, "code_commune_siege"): "9999"}).encode())
    assert unknown.problems["valeur"].to_list() == ["9999"]


def test_siren_luhn_and_la_poste():
    sirens = pl.Series(["732829320", "732829321", "356000000", "12345678", "2A0000000", None])
    assert pl.select(siren_valide(pl.lit(sirens))).to_series().to_list() == [
        True,
        False,
        True,
        False,
        False,
        None,
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "vide"),
        (b"\x00\x01\xff\xfe" * 50, "encodage illisible|lecture CSV impossible|manquante"),
        (b"id_membre;nom\nM1;A\n", "colonne(s) manquante(s) type, sous_type"),
        (b"PK\x03\x04 not really a workbook", "classeur XLSX illisible"),
    ],
)
def test_unreadable_files_exit_2_naming_the_problem(tmp_path, data, message):
    path = tmp_path / "registre.csv"
    path.write_bytes(data)
    result = runner.invoke(app, ["validate", "membres", str(path)])
    assert result.exit_code == 2, result.output
    assert str(path) in result.output
    import re

    assert re.search(message.replace("(", r"\(").replace(")", r"\)"), result.output)


def test_validate_exit_codes_and_json(tmp_path, registry_csv):
    clean = tmp_path / "propre.csv"
    clean.write_text(registry_csv, encoding="utf-8-sig")
    assert runner.invoke(app, ["validate", "membres", str(clean)]).exit_code == 0
    dirty = tmp_path / "sale.csv"
    dirty.write_text(_edit(registry_csv, {(3, "siren"): "123456789"}), encoding="utf-8")
    result = runner.invoke(app, ["validate", "membres", str(dirty), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["lignes_lues"] == 293 and report["lignes_rejetees"] == 1
    assert report["problemes"][0] | {"fichier": None} == {
        "fichier": None,
        "ligne": 3,
        "colonne": "siren",
        "regle": "SIREN : 9 chiffres et clé de Luhn valide",
        "valeur": "123456789",
    }


def test_demo_command_writes_the_import_template(tmp_path):
    out = tmp_path / "modele"
    assert runner.invoke(app, ["demo", "membres", "--out", str(out)]).exit_code == 0
    assert (out / membres.DEMO_FILE).read_bytes() == demo.csv_bytes()
    assert (out / membres.DEMO_PAST_FILE).read_bytes() == demo.past_answers_csv_bytes()
    folder = tmp_path / "territoires"
    assert runner.invoke(app, ["demo", "territoires", "--out", str(folder)]).exit_code == 0
    assert sorted(p.name for p in folder.iterdir())[0] == "communes.csv.lzma"


def test_rejects_are_kept_and_a_bad_file_never_replaces_good_data(home, registry_csv):
    def load(text: str, run: str):
        data = text.encode("utf-8")
        landed = [land(home.landing, "membres", "registre.csv", "essai", data)]
        assert hashlib.sha256(landed[0].path.read_bytes()).digest() == hashlib.sha256(data).digest()
        return stage.fn("membres", "registre.csv", landed, run)

    report = load(_edit(registry_csv, {(3, "siren"): "123456789"}), "r1")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (293, 292, 1)
    broken = registry_csv.replace(";collectivité;", ";mairie;")  # 183 rows, above 10 %
    with pytest.raises(
        TooManyRejects, match=r"183 ligne.* sur 293 \(62,5\u202f%, seuil 10,0\u202f%\)"
    ):
        load(broken, "r2")
    with internal.connect(home.warehouse, read_only=True) as con:
        staged = con.execute("select count(*) from staging.membres").fetchone()[0]
        kept = dict(
            con.execute(
                "select id_execution, count(distinct ligne) from quarantine.rejets group by 1"
            ).fetchall()
        )
    assert staged == 292, "the run over threshold left the previous staging in place"
    assert kept == {"r1": 1, "r2": 183}


def test_remote_registry_is_retried_then_fetched(prefect_harness, home, registry_csv):
    body = registry_csv.encode("utf-8-sig")
    script = Script((500, b"erreur"), (200, body))
    with serve(script) as url:
        (landed,) = receive("membres", f"{url}/export/registre.csv")
    assert landed.path.read_bytes() == body and landed.name == "registre.csv"
    assert script.requests == ["/export/registre.csv"] * 2


def test_remote_failure_names_the_url_and_only_transient_ones_are_retried(prefect_harness, home):
    missing = Script((404, b"introuvable"))
    with serve(missing) as url, pytest.raises(FetchError, match=f"{url}/absent.csv : .*HTTP 404"):
        receive("membres", f"{url}/absent.csv")
    assert len(missing.requests) == 1, "a 404 will not heal: no retry"
    down = Script((503, b"maintenance"))
    with serve(down) as url, pytest.raises(FetchError, match="HTTP 503"):
        receive("membres", f"{url}/registre.csv")
    assert len(down.requests) == 3, "two bounded retries"


def test_public_file_holds_no_contact(published):
    with duckdb.connect(str(published.public), read_only=True) as con:
        columns = con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where data_type = 'VARCHAR' and not internal and schema_name = 'main'"
        ).fetchall()
        assert con.execute("select count(*) from membres").fetchone()[0] == 293
        hits = []
        for table, column in columns:
            found = con.execute(
                f'select count(*) from "{table}" where regexp_matches("{column}", '
                r"'[\w.+-]+@[\w-]+\.[\w.]+|(\+33|\b0)[1-9]([ .-]?\d{2}){4}\b')"
            ).fetchone()[0]
            if found:
                hits.append((table, column, found))
    assert hits == []
    assert not [c for _, c in columns if "contact" in c or "mail" in c]


def test_unreadable_file_in_refresh_is_a_contract_error():
    with pytest.raises(ContractError, match="vide"):
        _check(b"")


PAST_HEADER = (
    "id_membre;annee;dotation_eur_hab_an;strategie_adoptee;annee_objectif_enr;etp_coordination;"
    "services_mutualises"
)


def _versions(con, member: str) -> dict[int, list[tuple]]:
    rows = con.execute(
        "select annee, dotation_eur_hab_an, valide_au is null from interne.membres_versions "
        "where id_membre = ? order by annee, valide_du",
        [member],
    ).fetchall()
    versions: dict[int, list[tuple]] = {}
    for year, dotation, open_ in rows:
        versions.setdefault(year, []).append((dotation, open_))
    return versions


@pytest.mark.slow
def test_every_load_is_kept_as_a_dated_version_and_past_answers_backfill(
    published, tmp_path_factory
):
    this_year = dt.date.today().year
    with duckdb.connect(str(published.warehouse), read_only=True) as con:
        before = _versions(con, "M0001")
        closed_before = con.execute(
            "select count(*) from interne.membres_versions where valide_au is not null"
        ).fetchone()[0]
    # the embedded load: this year's answers and the demo's backfill from 2020, all open
    assert sorted(before) == list(range(2020, this_year + 1))
    assert all(len(v) == 1 and v[0][1] for v in before.values()) and closed_before == 0
    # A second load: the registry with M0001's endowment changed, and a file of past answers
    # correcting 2021 and adding 2019 (before the demo's first year)
    folder = tmp_path_factory.mktemp("registre")
    registry = demo.registry().with_columns(
        pl.when(pl.col("id_membre") == "M0001")
        .then(99.5)
        .otherwise(pl.col("dotation_eur_hab_an"))
        .alias("dotation_eur_hab_an")
    )
    registry.write_csv(folder / "registre.csv", separator=";")
    (folder / "reponses_passees.csv").write_text(
        f"{PAST_HEADER}\nM0001;2019;3,5;non;;0,5;\nM0001;2021;12;non;;1;cep\n", encoding="utf-8"
    )
    root = tmp_path_factory.mktemp("second")
    report, _, con = load_into_copy(published, root, "membres", folder, "second")
    try:
        assert report.rows_rejected == 0 and report.rows_read == 293 + 2
        after = _versions(con, "M0001")
        assert after[2019] == [(3.5, True)]  # backfilled
        assert after[2021] == [(before[2021][0][0], False), (12.0, True)]  # corrected
        assert after[this_year] == [(before[this_year][0][0], False), (99.5, True)]
        assert after[2022] == before[2022]  # a year the load does not give is left as it was
        closed = con.execute(
            "select count(*) from interne.membres_versions where valide_au is not null"
        ).fetchone()[0]
        assert closed == 2
        # the objective's series now starts in 2019
        years = [
            y
            for (y,) in con.execute(
                "select annee from marts.objectifs_valeurs "
                "where id_objectif = 'ressources_perennes' order by annee"
            ).fetchall()
        ]
        assert years == list(range(2019, this_year + 1))
    finally:
        con.close()
    # built again with nothing new loaded, the versions do not move
    with internal.connect(root / "warehouse.duckdb") as rw:
        count = rw.execute("select count(*) from interne.membres_versions").fetchone()[0]
        marts.build(rw, [m for m in marts.marts() if m.name == "membres_versions"])
        assert rw.execute("select count(*) from interne.membres_versions").fetchone()[0] == count


def test_past_answers_of_an_unknown_member_or_of_this_year_are_refused():
    this_year = dt.date.today().year
    past = (
        f"{PAST_HEADER}\nM9999;2021;3;non;;0,5;\nM0001;{this_year};3;non;;0,5;\nM0001;2021;4;;;;\n"
    )
    result = membres.read(
        [
            RawFile("registre.csv", "registre.csv", demo.csv_bytes()),
            RawFile("passees.csv", "passees.csv", past.encode()),
        ],
        None,
    )
    this, backfill = result["membres_reponses"]
    assert this.to_stage.height == 293 and set(this.to_stage["annee"]) == {this_year}
    assert sorted((p["ligne"], p["colonne"]) for p in backfill.problems.to_dicts()) == [
        (2, "id_membre"),
        (3, "annee"),
    ]
    assert backfill.valid["id_membre"].to_list() == ["M0001"]


def test_a_load_needs_exactly_one_registry():
    past = f"{PAST_HEADER}\nM0001;2021;3;non;;0,5;\n".encode()
    with pytest.raises(ContractError, match="0 registre"):
        membres.read([RawFile("passees.csv", "passees.csv", past)], None)
