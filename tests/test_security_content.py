"""Issue 23, findings 1, 2 and part of 9: no file content in a public message, landed and
internal files for their owner only, and files that are not what they say (NUL bytes, mixed
encodings, a header of a million columns) refused with a short message that says where."""

from __future__ import annotations

import errno
import fnmatch
import json
import os
import re
import shutil
import stat
import threading
import time
from pathlib import Path

import duckdb
import pytest

from flows.connector import FetchError, RawFile
from flows.demo import membres as demo
from flows.pipeline import fetch
from flows.refresh import refresh
from flows.report import RefreshFailed
from flows.sources import SOURCES, membres
from schemas.check import MAX_MESSAGE, ContractError
from tests.http_fixture import Script, serve
from tests.test_security import EMAIL, PHONE, _personal_values
from warehouse import datatests, internal, opendata
from warehouse.audit import now
from warehouse.landing import land
from warehouse.publish import publish

FIRST_ROW = demo.csv_bytes().decode("utf-8-sig").splitlines()[1]  # M0001;…;alix.garnier@…
CONTENT = ("alix.garnier", "Alix Garnier", "Val d'Orne", "246100390")


def _headerless(path: Path) -> Path:
    """The demo registry as a CRM export that lost its header line."""
    lines = demo.csv_bytes().decode("utf-8-sig").splitlines()[1:]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _without_content(text: str) -> None:
    assert not [c for c in CONTENT if c in text], text[:300]
    assert not re.search(EMAIL, text) and not re.search(PHONE, text), text[:300]


@pytest.mark.slow
def test_a_registry_without_header_publishes_and_sends_no_file_content(
    published_copy, prefect_harness, tmp_path
):
    """Before: « colonnes lues : m0001, communauté de communes du val d'orne, …,
    alix.garnier@… » in the webhook's text, the published executions and executions.csv."""
    home = published_copy
    hook = Script((204, b""))
    with serve(hook) as url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("OBSERVATOIRE_WEBHOOK", f"{url}/alerte")
        with pytest.raises(RefreshFailed) as failed:
            refresh(
                locations={"membres": str(_headerless(tmp_path / "crm.csv"))}, sources=["membres"]
            )
    assert re.search(
        r"en-tête illisible : \d+ colonne\(s\) lue\(s\), aucune des 17 du contrat",
        str(failed.value),
    )
    _without_content(str(failed.value))
    (posted,) = [json.loads(body)["text"] for body in hook.posted]
    assert "en-tête illisible" in posted
    _without_content(posted)
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        message, detail = con.execute(
            "select message, detail from audit.executions where statut = 'échec' "
            "and source = 'membres' order by debut desc limit 1"
        ).fetchone()
    _without_content(message)
    assert "alix garnier;alix.garnier@" in detail, "the internal audit keeps what was read"

    # the next good load publishes the history: the failure is told, its content is not
    report = refresh(sources=["membres"], force=True)
    assert report.published
    with duckdb.connect(str(home.public), read_only=True) as con:
        published = con.execute("select string_agg(message, ' | ') from executions").fetchone()[0]
        assert "detail" not in [r[0] for r in con.execute("describe executions").fetchall()]
    assert "en-tête illisible" in published
    _without_content(published)
    _without_content((opendata.current(home.static) / "executions.csv").read_text("utf-8"))
    assert _personal_values(home.public) == []


def test_a_message_published_by_an_earlier_version_is_masked_and_a_contact_refuses_the_publish(
    published_copy,
):
    """Before: an old run's message quoting a first row stayed in every later publish; and an
    address in any public text (here a file's origin) was published."""
    home = published_copy
    old = f"validation : crm.csv : colonne(s) manquante(s) nom (colonnes lues : {FIRST_ROW})"
    with internal.connect(home.warehouse) as con:
        con.execute(
            "insert into audit.executions (id_execution, source, debut, fin, statut, message) "
            "values ('ancien', 'membres', now() - interval 30 day, now() - interval 30 day, "
            "'échec', ?), ('ancien', 'production', now() - interval 30 day, "
            "now() - interval 30 day, 'échec', ?)",
            [old, "validation : f.csv, ligne 4, colonne nom : regle (valeur '06 12 34 56 78')"],
        )
        before = home.public.read_bytes()
        con.execute(
            "update audit.fichiers set origine = 'mailto:alix.garnier@membre-001.example.org' "
            "where source = 'membres'"
        )
        with pytest.raises(datatests.Refused) as refused:
            publish(con, home.public, "essai", now(), package=home.static)
        assert "sources : ni courriel ni téléphone — 1 ligne(s) en échec (origine" in str(
            refused.value
        )
        _without_content(str(refused.value))
        assert home.public.read_bytes() == before, "nothing published"
        # a URL's user (masked or not) is no address: published
        con.execute(
            "update audit.fichiers set origine = 'https://lecteur:***@crm.example.org/export.csv'"
            " where source = 'membres' and fichier like '%membres%'"
        )
        con.execute(
            "update audit.fichiers set origine = 'https://lecteur@crm.example.org/export.csv' "
            "where source = 'membres' and fichier not like '%membres%'"
        )
        publish(con, home.public, "essai", now(), package=home.static)
    with duckdb.connect(str(home.public), read_only=True) as con:
        messages = dict(
            con.execute(
                "select source, message from executions where id_execution = 'ancien'"
            ).fetchall()
        )
    assert messages["membres"].endswith("(colonnes lues : non reprises)")
    assert messages["production"].endswith("(valeur non reprise)")
    for message in messages.values():
        _without_content(message)
    assert _personal_values(home.public) == []


@pytest.mark.slow
def test_landed_files_the_warehouse_and_the_partner_file_are_the_owners_only(
    published_copy, prefect_harness, tmp_path
):
    """A file only its owner may read: before, its copy in landing/ was 0444 and the warehouse
    and partner file 0644 (a symbolic link to it is refused: see below)."""
    home = published_copy
    secret = _headerless(tmp_path / "secret.csv")
    secret.chmod(0o600)
    with pytest.raises(RefreshFailed):
        refresh(locations={"membres": str(secret)}, sources=["membres"])
    landed = [p for p in home.landing.rglob("*") if p.is_file()]
    assert landed and {stat.S_IMODE(p.stat().st_mode) for p in landed} == {0o400}
    # a fresh publish creates both files again
    home.public.unlink()
    home.partenaires.unlink()
    refresh(sources=["membres"])
    assert stat.S_IMODE(home.warehouse.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.partenaires.stat().st_mode) == 0o600
    assert home.public.stat().st_mode & stat.S_IROTH, "the public file stays public"
    package = opendata.current(home.static)
    assert all(p.stat().st_mode & stat.S_IROTH for p in package.iterdir())
    with duckdb.connect(str(home.public), read_only=True) as con:
        text = con.execute("select string_agg(message, ' ') from executions").fetchone()[0]
    _without_content(text)


class _Watcher:
    """Notes the mode of every file and folder under ``root`` every few milliseconds, while a
    refresh runs: DuckDB's write-ahead logs exist only while it writes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modes: dict[str, set[int]] = {}
        self.running = True
        self.thread = threading.Thread(target=self._watch)

    def _watch(self) -> None:
        while self.running:
            for path in self.root.rglob("*"):
                try:
                    mode = stat.S_IMODE(path.lstat().st_mode)
                except FileNotFoundError:  # removed since listed
                    continue
                self.modes.setdefault(str(path.relative_to(self.root)), set()).add(mode)
            time.sleep(0.005)

    def __enter__(self) -> _Watcher:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()

    def seen(self, pattern: str) -> dict[str, set[int]]:
        return {p: m for p, m in self.modes.items() if fnmatch.fnmatch(p, pattern)}


@pytest.mark.slow
def test_what_a_refresh_writes_is_the_owners_only_while_it_runs(published_copy, prefect_harness):
    """Watched while a real refresh receives, loads and publishes: the warehouse's write-ahead
    log, the partner file being built and its log, DuckDB's spill folder and the landing folders
    are the owner's only from their creation (before: 0644 and 0755, the umask's); what is
    published stays readable by all."""
    home = published_copy
    shutil.rmtree(home.landing)  # received again: its folders created anew
    home.public.unlink()
    home.partenaires.unlink()
    with _Watcher(home.root) as watcher:
        refresh(sources=["membres"], force=True)
    wal = watcher.seen("warehouse.duckdb.wal")
    assert wal, "the warehouse's write-ahead log was seen"
    building = watcher.seen(".partenaires-*.duckdb*")
    assert building, "the partner file was seen while built"
    private = {
        **wal,
        **building,
        **watcher.seen("warehouse.duckdb*"),
        **watcher.seen("landing/*"),
        **watcher.seen("refresh.lock"),
    }
    assert {p: m for p, m in private.items() if m & {0o644, 0o755, 0o444}} == {}
    folders = [p for p in home.landing.rglob("*") if p.is_dir()] + [home.landing]
    assert {stat.S_IMODE(p.stat().st_mode) for p in folders} == {0o700}
    assert stat.S_IMODE(home.partenaires.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.public.stat().st_mode) == 0o644, "the public file stays public"
    package = opendata.current(home.static)
    served = [home.static, package.resolve(), *package.rglob("*")]
    assert all(p.stat().st_mode & stat.S_IROTH for p in served)


NOBODY = 65534  # another account than the refresh's


def _through_a_link(case: str, tmp_path: Path) -> tuple[Path, Path]:
    """A location that leads through a symbolic link, and the link its refusal names: a link to
    a file the refresh's account may read, to one only another account may read (0600, owned
    by ``nobody``: as /etc/shadow for a refresh run by root), a file in a linked folder, and a
    folder location that holds a link among its files."""
    readable = _headerless(tmp_path / "lisible.csv")
    private = _headerless(tmp_path / "prive.csv")
    private.chmod(0o600)
    os.chown(private, NOBODY, NOBODY)
    folder = tmp_path / "depot"
    folder.mkdir()
    _headerless(folder / "a.csv")
    link, target, location = {
        "lien-lisible": (tmp_path / "export.csv", readable, None),
        "lien-prive": (tmp_path / "shadow.csv", private, None),
        "dossier-lie": (tmp_path / "partage", folder, tmp_path / "partage" / "a.csv"),
        "lien-dans-un-dossier": (folder / "b.csv", private, folder),
    }[case]
    link.symlink_to(target)
    return location or link, link


LINKS = ["lien-lisible", "lien-prive", "dossier-lie", "lien-dans-un-dossier"]


@pytest.mark.parametrize("case", LINKS)
def test_a_location_through_a_symbolic_link_is_refused_naming_it(case, tmp_path):
    """Before, each was followed and its target copied into the landing."""
    location, link = _through_a_link(case, tmp_path)
    landing = tmp_path / "landing"
    with pytest.raises(FetchError) as refused:
        fetch(SOURCES["membres"], str(location), landing / "membres")
    assert f"{link} est un lien symbolique, refusé" in str(refused.value)
    assert str(refused.value).startswith(str(location))
    assert not landing.exists() or not [p for p in landing.rglob("*") if p.is_file()]


def test_a_link_put_in_a_files_place_after_its_check_is_not_followed(tmp_path):
    """The file is checked when fetched and copied when landed: a link swapped in between
    (O_NOFOLLOW) is refused, not copied."""
    path = _headerless(tmp_path / "registre.csv")
    (raw,) = fetch(SOURCES["membres"], str(path))
    private = _headerless(tmp_path / "prive.csv")
    private.chmod(0o600)
    path.unlink()
    path.symlink_to(private)
    with pytest.raises(OSError) as refused:
        land(tmp_path / "landing", "membres", raw.name, raw.origin, raw.readable)
    assert refused.value.errno == errno.ELOOP
    assert not [p for p in (tmp_path / "landing").rglob("*") if p.is_file()]


def _refused(data: bytes, tmp_path: Path, name: str = "crm.csv") -> ContractError:
    path = tmp_path / name
    path.write_bytes(data)
    raw = RawFile(name, str(path), path=path)
    with pytest.raises(ContractError) as error:
        membres.read([raw], None)
    return error.value


def test_a_nul_byte_is_refused_naming_its_row_and_column(tmp_path):
    """Before: read, staged and published with the NUL in the name."""
    lines = demo.csv_bytes().decode("utf-8-sig").splitlines()
    lines[5] = lines[5].replace(";", ";Commune\x00", 1)
    error = _refused("\n".join(lines).encode(), tmp_path)
    assert str(error).endswith(
        "crm.csv : caractère NUL (octet 0x00) ligne 6, colonne nom : fichier binaire ou "
        "UTF-16 ? (enregistrer en CSV UTF-8)"
    )


def test_a_cp1252_byte_in_a_utf8_file_is_named_not_turned_to_mojibake(tmp_path):
    """Before: the whole file was read as cp1252 (« CommunautÃ© »), and nothing said so."""
    data = demo.csv_bytes().replace(b"Val d'Orne", "Val d'Orné".encode("cp1252"), 1)
    error = _refused(data, tmp_path)
    assert "encodage mixte, UTF-8 sauf à la ligne 2" in str(error)
    assert "(0xE9)" in str(error) and "Windows-1252" in str(error)


@pytest.mark.slow  # polars reads a million columns: 76 s on two busy cores
def test_a_message_about_a_million_column_header_is_short(tmp_path):
    """Before: 8.6 MB of message, every name of the header quoted."""
    header = ";".join(f"colonne_{i}" for i in range(1_000_000))
    error = _refused(f"{header}\n{';' * 999_999}\n".encode(), tmp_path)
    assert len(str(error)) <= MAX_MESSAGE and len(error.detail) <= MAX_MESSAGE
    assert "en-tête illisible : 1000000 colonne(s) lue(s), aucune des 17" in str(error)
    assert "1000000 colonne(s) lue(s) : colonne_0, colonne_1" in error.detail


def test_contacts_are_found_in_any_text_column_and_urls_are_not_contacts(tmp_path):
    with duckdb.connect(str(tmp_path / "t.duckdb")) as con:
        con.execute(
            "create table t as select * from (values "
            "('https://lecteur:***@crm.example.org/x?token=***', ['a', 'b'], 'Lyon 69003'), "
            "('https://lecteur@crm.example.org/x', ['06.12.34.56.78'], '200046977'), "
            "('mailto:alix@ex.org', ['x'], '01001')) as v(origine, liste, code)"
        )
        (result,) = datatests.contacts(con, "main")
    assert (result.failures, result.sample) == (
        2,
        "origine : 1 valeur(s) distincte(s), liste : 1 valeur(s) distincte(s)",
    )


def test_landing_is_owner_only_even_for_a_file_landed_before(tmp_path):
    from warehouse.landing import land

    first = land(tmp_path, "membres", "a.csv", "a.csv", b"x;y\n")
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o400
    os.chmod(first.path, 0o444)  # as an earlier version landed it
    land(tmp_path, "membres", "a.csv", "a.csv", b"x;y\n")
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o400
