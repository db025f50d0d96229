"""Security: the published file holds no personal data and no secret, hostile URL parameters only
say « unknown », and the repository holds no secret."""

from __future__ import annotations

import base64
import csv
import io
import re
import subprocess
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import duckdb
import polars as pl
import pytest

from flows import remote
from flows.connector import FetchError
from flows.demo import membres as demo
from flows.refresh import refresh
from flows.report import RefreshFailed
from tests.http_fixture import Script, serve
from tests.test_dashboard import open_page, opened
from warehouse import opendata

REPO = Path(__file__).resolve().parents[1]
EMAIL = r"[\w.+-]+@[\w-]+(\.[\w-]+)+"
PHONE = r"(\+33|0033|\b0)\s?[1-9]([ .-]?\d{2}){4}\b"  # French numbers, as people write them
PERSONAL_COLUMN = r"mail|phone|t[ée]l[ée]phone|portable|contact|pr[ée]nom"
PHONES = ["06 12 34 56 78", "+33 1 23 45 67 89", "01.23.45.67.89", "0612345678"]


def _registry_with_contacts(bad_emails: int = 0) -> bytes:
    """The demo registry as a CRM exports it: names, emails and phones of contacts, in its
    contact columns and in columns the contract does not know; ``bad_emails`` rows carry an
    email the contract refuses (upper-case domain), a reason to quote the value."""
    rows = list(csv.DictReader(io.StringIO(demo.csv_bytes().decode("utf-8-sig")), delimiter=";"))
    for k, row in enumerate(rows):
        phone = PHONES[k % len(PHONES)]
        row["contact_nom"] += f" ({phone})"
        row["contact_telephone"] = phone
        row["email_secondaire"] = row["contact_email"].replace("@", ".perso@")
        if k < bad_emails:
            row["contact_email"] = row["contact_email"].upper()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=";", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _personal_values(public: Path) -> list[tuple[str, str, int]]:
    """(table, column, rows) of every text value that looks like an email or a French phone."""
    hits = []
    with duckdb.connect(str(public), read_only=True) as con:
        columns = con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where not internal and data_type like '%VARCHAR%'"
        ).fetchall()
        for table, column in columns:
            (found,) = con.execute(
                f'select count(*) from (select "{column}"::varchar as v from "{table}") '
                "where regexp_matches(v, ?) or regexp_matches(v, ?)",
                [EMAIL, PHONE],
            ).fetchone()
            if found:
                hits.append((table, column, found))
    return hits


@pytest.mark.slow
def test_public_file_holds_no_personal_data_nor_the_source_credentials(
    published_copy, prefect_harness
):
    """A registry full of contacts, read from a URL that carries a password and a token: after a
    failed load (too many bad emails) and a good one, no column name nor text value of the
    published file is an email or a phone, and no credential appears in it."""
    home = published_copy
    password, jeton = "mot-de-passe-" + "x7Qz", "jeton-" + "9fK2w"
    seen = []

    def answer(body: bytes):
        def send(handler: BaseHTTPRequestHandler) -> None:
            seen.append((handler.path, handler.headers.get("Authorization")))
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        return send

    script = Script(
        answer(_registry_with_contacts(bad_emails=60)), answer(_registry_with_contacts())
    )
    with serve(script) as url:
        location = url.replace("//", f"//lecteur:{password}@") + f"/export.csv?token={jeton}"
        with pytest.raises(RefreshFailed) as failed:
            refresh(locations={"membres": location}, sources=["membres"])
        report = refresh(locations={"membres": location}, sources=["membres"])
    assert "60 ligne(s) rejetée(s)" in failed.value.reason
    assert "valeur non reprise" in failed.value.reason, "the bad email is not quoted"
    assert [(s.status, s.rows_accepted) for s in report.sources] == [("chargé", 293)]
    basic = "Basic " + base64.b64encode(f"lecteur:{password}".encode()).decode()
    assert seen == [(f"/export.csv?token={jeton}", basic)] * 2, "the credentials were sent"

    assert _personal_values(home.public) == []
    assert _personal_values(home.partenaires) == [], "the partner file holds no contact either"
    with duckdb.connect(str(home.public), read_only=True) as con:
        names = [r[0] for r in con.execute("select column_name from duckdb_columns()").fetchall()]
        text = con.execute(
            "select string_agg(x::varchar, ' ') from (select * from executions) as x"
        ).fetchone()[0]
        text += con.execute(
            "select string_agg(x::varchar, ' ') from (select * from sources) as x"
        ).fetchone()[0]
    assert not [n for n in names if re.search(PERSONAL_COLUMN, n)]
    assert "60 ligne(s) rejetée(s)" in text, "the failed load is in the published history"
    assert "lecteur:***@" in text and "token=***" in text
    assert password not in text and jeton not in text

    # the files of the open data package are DuckDB copies of these tables: the same holds there
    package = opendata.current(home.static)
    for table in ("membres", "membres_territoires", "executions", "sources"):
        as_csv = (package / f"{table}.csv").read_text(encoding="utf-8")
        from_parquet = pl.read_parquet(package / f"{table}.parquet").write_csv()
        for exported in (as_csv, from_parquet):
            assert not re.search(EMAIL, exported) and not re.search(PHONE, exported)
            assert password not in exported and jeton not in exported


def test_a_secret_named_by_an_environment_variable_is_used_and_never_shown(monkeypatch):
    monkeypatch.setenv("JETON_CRM", "s3cr3t-" + "jeton")
    script = Script((200, demo.csv_bytes()))
    with serve(script) as url:
        raw = remote.read(f"{url}/export.csv?token=${{JETON_CRM}}")
        with pytest.raises(FetchError, match=r"variable d'environnement ABSENTE non définie"):
            remote.read(f"{url}/export.csv?token=${{ABSENTE}}")
    assert script.requests == ["/export.csv?token=s3cr3t-jeton"]
    assert raw.origin == f"{url}/export.csv?token=${{JETON_CRM}}"
    assert raw.data == demo.csv_bytes()


def test_a_fetch_error_never_shows_the_credentials():
    script = Script((404, b"introuvable"))
    with serve(script) as url:
        secret_url = url.replace("//", "//lecteur:" + "s3cr3t@") + "/x.csv?api_key=" + "s3cr3t"
        with pytest.raises(FetchError) as failed:
            remote.read(secret_url)
    assert "s3cr3t" not in str(failed.value)
    assert f"{url.replace('//', '//lecteur:***@')}/x.csv?api_key=*** : " in str(failed.value)


# --- hostile URL parameters ----------------------------------------------------------------------

HOSTILE = ["1' or 1=1--", "<script>alert(1)</script>", "84; drop table communes", "%00\n<b>x"]
FORBIDDEN = ("<script", "1=1", "; drop", "<b>")  # the warning keeps only letters, digits, dashes


def _echoed(at) -> str:
    """Every text the page wrote."""
    kinds = ("markdown", "caption", "warning", "info", "error", "header", "subheader", "title")
    return "\n".join(str(e.value) for kind in kinds for e in at.get(kind))


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("niveau", ["region", "epci", "commune"])
def test_territory_page_with_a_hostile_code_only_says_unknown(
    published, monkeypatch, hostile, niveau
):
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(published.root))
    at = open_page("territoire", False, niveau=niveau, code=hostile)
    assert not at.exception
    warnings = [w.value for w in at.warning if "Valeur inconnue" in w.value]
    assert len(warnings) == 1 and "« code »" in warnings[0]
    for shown in (at, opened(at)):  # then with what opens on demand
        text = _echoed(shown)
        assert hostile not in text and not any(part in text for part in FORBIDDEN)
    assert len(at.get("plotly_chart")) == 4, "the default territory's charts are drawn"
    assert at.query_params["code"] != hostile
    with duckdb.connect(str(published.public), read_only=True) as con:
        assert con.execute("select count(*) from communes").fetchone()[0] == 34875


@pytest.mark.parametrize("hostile", HOSTILE)
def test_every_map_parameter_hostile_only_says_unknown(published, monkeypatch, hostile):
    monkeypatch.setenv("OBSERVATOIRE_HOME", str(published.root))
    params = dict.fromkeys(("niveau", "indicateur", "annee", "departement"), hostile)
    at = open_page("carte", False, **params)
    assert not at.exception
    assert len([w for w in at.warning if "Valeur inconnue" in w.value]) == 3  # no département
    for shown in (at, opened(at)):  # then with what opens on demand
        text = _echoed(shown)
        assert hostile not in text and not any(part in text for part in FORBIDDEN)
    assert len(at.get("plotly_chart")) == 1
    assert at.query_params["niveau"] == "epci"


# --- no secret in the repository -----------------------------------------------------------------

SECRET_PATTERNS = {
    "clé privée": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    "clé AWS": r"\bAKIA[0-9A-Z]{16}\b",
    "jeton GitHub": r"\bgh[pousr]_[A-Za-z0-9]{36}\b",
    "jeton Slack": r"\bxox[abprs]-[A-Za-z0-9-]{10,}",
    "webhook Slack": r"hooks\.slack\.com/services/T[A-Za-z0-9]+/",
    "clé d'API Prefect": r"\bpnu_[A-Za-z0-9]{36}\b",
    "mot de passe dans une URL": r"\b[a-z][a-z0-9+.-]*://[^\s/:@'\"]+:(?!\*\*\*@|\$\{)[^\s/@'\"{]+@",
    "secret en clair": (
        r"(?i)\b(password|passwd|secret|token|api_?key)\b\s*[:=]\s*['\"][^'\"\s$*{<]{8,}['\"]"
    ),
}


def _tracked() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True
    )
    return [REPO / name for name in listed.stdout.split("\0") if name]


def test_no_secret_in_the_repository():
    tracked = _tracked()
    assert len(tracked) > 50
    found = []
    for path in tracked:
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [
            f"{path.relative_to(REPO)} : {what}"
            for what, pattern in SECRET_PATTERNS.items()
            if re.search(pattern, text)
        ]
    assert found == []
    names = {p.name for p in tracked}
    assert not names & {".env", "secrets.toml", ".netrc", "profiles.toml"}


@pytest.mark.parametrize("pattern", list(SECRET_PATTERNS))
def test_secret_patterns_find_what_they_look_for(pattern):
    samples = {
        "clé privée": "-----BEGIN OPENSSH " + "PRIVATE KEY-----",
        "clé AWS": "AKIA" + "ABCDEFGHIJKLMNOP",
        "jeton GitHub": "ghp_" + "a" * 36,
        "jeton Slack": "xoxb-" + "1234567890-abc",
        "webhook Slack": "https://hooks.slack.com/services/" + "T000/B000/xyz",
        "clé d'API Prefect": "pnu_" + "b" * 36,
        "mot de passe dans une URL": "https://jean:" + "hunter22@crm.example.org/export.csv",
        "secret en clair": 'token = "' + 'abcdefgh12345"',
    }
    assert re.search(SECRET_PATTERNS[pattern], samples[pattern])


@pytest.mark.parametrize(
    "path", [".env", ".streamlit/secrets.toml", "dashboard/.streamlit/secrets.toml", "x.pem"]
)
def test_secret_files_are_ignored_by_git(path):
    ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO)
    assert ignored.returncode == 0, f"{path} would be committed"
