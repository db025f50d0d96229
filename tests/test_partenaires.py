"""The partner space without a browser: the partner file holds member-level answers and no
contact, the public file no partner field, the allow-list, and the public app's code never names
the partner file. (Sign-in end to end: tests/test_partenaires_browser.py.)"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from dashboard.formats import pourcent
from dashboard.partenaires.acces import ListeAutorisee
from flows.refresh import publish_public, refresh
from observatoire.cli import app as cli
from schemas.check import PERSONAL as PERSONAL_KEY
from schemas.membres import MembreBrut
from warehouse import internal

ROOT = Path(__file__).resolve().parents[1]
PARTNER_APP = str(ROOT / "dashboard" / "partenaires" / "app.py")
# The registry's member-level answers (schemas/membres.py) and each member's objective flags.
ANSWERS = (
    "dotation_eur_hab_an",
    "strategie_adoptee",
    "annee_objectif_enr",
    "etp_coordination",
    "services_mutualises",
)
FLAGS = ("dotation_10_euros", "strategie_100_enr_2050", "coordinateur_1_etp", "service_mutualise")
# The contract's personal columns (contacts): never in the partner file either.
PERSONAL = tuple(
    name
    for name, column in MembreBrut.to_schema().columns.items()
    if (column.metadata or {}).get(PERSONAL_KEY)
)
PARTNER_ONLY = (*ANSWERS, *FLAGS, "statut_trajectoire", *PERSONAL)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def partner(published):
    con = duckdb.connect(str(published.partenaires), read_only=True)
    yield con
    con.close()


def test_partner_file_holds_each_members_answers_and_no_contact(published, partner):
    tables = {r[0] for r in partner.execute("select table_name from duckdb_tables()").fetchall()}
    assert tables == {"reponses", "objectifs", "sources", "publication"}
    columns = {r[0] for r in partner.execute("select column_name from duckdb_columns()").fetchall()}
    assert set(ANSWERS) | set(FLAGS) <= columns
    assert not [c for c in columns if "contact" in c or "mail" in c or "telephone" in c]
    with duckdb.connect(str(published.warehouse), read_only=True) as warehouse:
        staged = warehouse.execute(
            f"select id_membre, {', '.join(ANSWERS)} from staging.membres order by id_membre"
        ).fetchall()
        contacts = {
            value
            for row in warehouse.execute(
                f"select {', '.join(PERSONAL)} from staging.membres"
            ).fetchall()
            for value in row
            if value
        }
    partner_rows = partner.execute(
        f"select id_membre, {', '.join(ANSWERS)} from reponses order by id_membre"
    ).fetchall()
    assert partner_rows == staged and len(staged) == 293
    assert sum(row[1] is not None for row in staged) > 100, "the demo answers many questions"
    cells = {
        value
        for (table, column) in partner.execute(
            "select table_name, column_name from duckdb_columns() "
            "where data_type = 'VARCHAR' and not internal"
        ).fetchall()
        for (value,) in partner.execute(f'select distinct "{column}" from "{table}"').fetchall()
    }
    assert len(contacts) > 100 and not contacts & cells, "no contact name nor address"
    with duckdb.connect(str(published.public), read_only=True) as public:
        assert (
            partner.execute("select id_execution, publie_le from publication").fetchall()
            == public.execute("select id_execution, publie_le from publication").fetchall()
        ), "both files come from the same run"
        # the registry and its past answers: two demo files
        assert partner.execute("select demo from sources").fetchall() == [(True,), (True,)]


def test_each_members_flags_add_up_to_the_public_shares(published, partner):
    """The partner flags and the public objectives read the answers with one set of rules: the
    share of active member collectivities meeting each objective is the published one."""
    counted = {
        objective: partner.execute(
            f"""select round(avg(coalesce("{column}", false)::int), 4) from reponses
                where type = 'collectivité' and actif"""
        ).fetchone()[0]
        for objective, column in partner.execute(
            "select id_objectif, colonne from objectifs"
        ).fetchall()
    }
    assert set(counted) == {
        "ressources_perennes",
        "strategie_ambitieuse",
        "coordination",
        "mutualisation",
    }
    with duckdb.connect(str(published.public), read_only=True) as public:
        shares = dict(
            public.execute(
                "select id_objectif, arg_max(valeur, annee) from objectifs_valeurs "
                "where list_contains($1, id_objectif) group by id_objectif",
                [list(counted)],
            ).fetchall()
        )
    assert counted == shares
    assert min(shares.values()) > 0 and max(shares.values()) < 1


def test_public_file_carries_no_partner_field(published):
    """No column of the public file is named after a partner-only field, and no column of a
    public table keyed by member carries the values of one."""
    with duckdb.connect(str(published.public), read_only=True) as con:
        con.execute(f"attach '{published.partenaires}' as part (read_only)")
        columns = con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where database_name = 'public' and not internal"
        ).fetchall()
        assert len(columns) > 100
        assert not [c for _, c in columns if c in PARTNER_ONLY or "contact" in c]
        leaks = []
        for table in {t for t, c in columns if c == "id_membre"}:
            for column in [c for t, c in columns if t == table and c != "id_membre"]:
                for field in PARTNER_ONLY[: -len(PERSONAL)]:
                    answered, same = con.execute(
                        f"""select count(*), count(*) filter (
                                   where p."{column}"::varchar = r."{field}"::varchar)
                            from public."{table}" as p
                            join part.reponses as r using (id_membre)
                            where r."{field}" is not null"""
                    ).fetchone()
                    if answered and same == answered:
                        leaks.append((table, column, field))
        assert leaks == []
        tables = {t for t, _ in columns}
        assert {"membres", "membres_territoires"} <= tables and "reponses" not in tables


def test_public_app_code_never_names_the_partner_file():
    """Every module of the public app (dashboard/, but its partenaires/ package): no import of
    the partner package, no ``.partenaires`` attribute (Home's partner file), no string naming
    it outside docstrings. A positive control: the partner app's data module does name it."""

    def names_partner(path: Path) -> list[str]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        found = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                found += [m for m in modules if "partenaires" in m]
            elif isinstance(node, ast.Attribute) and node.attr == "partenaires":
                found.append(f".{node.attr}")
            elif isinstance(node, ast.Constant) and id(node) not in docstrings:
                found += [repr(node.value)] if "partenaires" in str(node.value) else []
        return found

    public = [
        p
        for p in (ROOT / "dashboard").rglob("*.py")
        if "partenaires" not in p.relative_to(ROOT).parts
    ]
    assert {p.name for p in public} >= {"app.py", "data.py", "components.py", "donnees.py"}
    assert {str(p): names_partner(p) for p in public if names_partner(p)} == {}
    assert names_partner(ROOT / "dashboard" / "partenaires" / "data.py") == [".partenaires"]


@pytest.mark.parametrize(
    ("user", "allowed"),
    [
        ({"email": "claire.dupont@ademe.fr", "email_verified": True}, True),
        ({"email": "Claire.Dupont@ADEME.fr", "email_verified": True}, True),  # case
        ({"email": "claire.dupont@ademe.fr"}, False),  # no email_verified claim: not verified
        ({"email": "jean@banquedesterritoires.fr", "email_verified": True}, True),  # by domain
        ({"email": "autre@ademe.fr"}, False),  # ademe.fr is listed by account only
        ({"email": "jean@agence.banquedesterritoires.fr"}, False),  # a subdomain is not listed
        ({"email": "jean@banquedesterritoires.fr.example.org"}, False),
        ({"email": "claire.dupont@ademe.fr", "email_verified": False}, False),
        ({"email": "banquedesterritoires.fr"}, False),  # not an address
        ({"email": "@banquedesterritoires.fr"}, False),
        ({"name": "Claire Dupont"}, False),  # no address
    ],
)
def test_allow_list_by_account_or_domain(user, allowed):
    liste = ListeAutorisee.from_section(
        {"comptes": [" Claire.Dupont@ademe.fr"], "domaines": ["@BanqueDesTerritoires.fr"]}
    )
    assert liste.autorise(user) is allowed


def test_empty_allow_list_refuses_everyone():
    assert not ListeAutorisee.from_section({}).autorise({"email": "claire.dupont@ademe.fr"})


def _partner_page(published, user: dict, monkeypatch) -> AppTest:
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(published.root))
    at = AppTest.from_file(PARTNER_APP, default_timeout=60)
    at.secrets["auth"] = {"client_id": "observatoire"}
    at.secrets["partenaires"] = {"comptes": ["claire.dupont@ademe.fr"]}
    at.user = user
    return at.run()


def test_allowed_partner_sees_the_selected_members_answers(published, partner, monkeypatch):
    at = _partner_page(
        published,
        {"is_logged_in": True, "email": "claire.dupont@ademe.fr", "email_verified": True},
        monkeypatch,
    )
    assert not at.exception
    assert at.title[0].value == "Espace partenaires : les réponses des adhérents"
    (shown,) = partner.execute(
        "select count(*) from reponses where type = 'collectivité' and actif"
    ).fetchone()
    assert at.metric[0].value == str(shown), "collectivities by default, active ones"
    shares = [
        partner.execute(
            f"""select avg(coalesce("{column}", false)::int) from reponses
                where type = 'collectivité' and actif"""
        ).fetchone()[0]
        for (column,) in partner.execute("select colonne from objectifs").fetchall()
    ]
    assert [m.value for m in at.metric[1:]] == [pourcent(share) for share in shares]
    assert len(at.get("plotly_chart")) == 2
    at.selectbox[0].set_value("tous")
    at.toggle[0].set_value(False)
    at.run()
    assert at.metric[0].value == "293"


def test_signed_in_stranger_is_refused_without_data(published, monkeypatch):
    at = _partner_page(published, {"is_logged_in": True, "email": "eve@example.org"}, monkeypatch)
    assert "n'a pas accès" in at.error[0].value
    assert not at.metric and not at.get("plotly_chart") and not at.dataframe


def test_partner_command_without_secrets_says_what_to_write(tmp_path):
    result = CliRunner().invoke(cli, ["partenaires", "--secrets", str(tmp_path / "absent.toml")])
    assert result.exit_code == 2
    assert "fichier de secrets introuvable" in result.output and "[auth]" in result.output


def test_failing_partner_build_changes_neither_published_file(published_copy):
    home = published_copy
    before = (_digest(home.public), _digest(home.partenaires))
    with internal.connect(home.warehouse) as con:  # the copy of `sources` would clash
        con.execute("create table partenaires.sources as select 1 as x")
    with pytest.raises(duckdb.CatalogException, match="sources"):
        publish_public.fn("cassé")
    assert (_digest(home.public), _digest(home.partenaires)) == before
    assert not list(home.root.glob(".partenaires-*")) and not list(home.root.glob(".public-*"))


@pytest.mark.slow
def test_missing_partner_file_is_published_though_nothing_changed(published_copy, prefect_harness):
    home = published_copy
    public_before = _digest(home.public)
    home.partenaires.unlink()
    (home.root / ".partenaires-interrompu.duckdb").write_bytes(b"reste d'une publication tuee")
    report = refresh()
    assert {s.status for s in report.sources} == {"inchangé"}
    assert not list(home.root.glob(".partenaires-*")), "a killed build's leftover is cleaned"
    with duckdb.connect(str(home.partenaires), read_only=True) as con:
        assert con.execute("select count(*) from reponses").fetchone()[0] == 293
        assert con.execute("select id_execution from publication").fetchone()[0] == report.run_id
    assert _digest(home.public) != public_before, "published together, from the same run"
