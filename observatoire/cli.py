"""Command line: ``observatoire refresh | status | dashboard | partenaires``."""

from __future__ import annotations

import errno
import functools
import gc
import os
import shutil
import sys
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from warehouse.paths import Home
from warehouse.status import Outcome, Status

if TYPE_CHECKING:
    from flows.sources import Source

app = typer.Typer(
    help="Observatoire de la transition énergétique du réseau CLER.",
    no_args_is_help=True,
    add_completion=False,
)


def _prefect_offline(home: Home) -> None:
    """Keep Prefect's temporary server local and quiet: no telemetry, state under the home."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_HOME", str(home.root / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    # its first start creates its database: over Prefect's 20 s on a busy two-core machine
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


# Watches the refresh that started it: once that process is gone (ended, killed, even by SIGKILL,
# when no cleanup of its own can run), stops the temporary Prefect server it left behind. The
# server is named by a pidfd, so a recycled process number is never signalled.
SERVER_WATCHDOG = """
import os, select, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the refresh; this outlives it
parent, server = int(sys.argv[1]), os.pidfd_open(int(sys.argv[2]))
while os.getppid() == parent:
    time.sleep(0.2)
try:
    signal.pidfd_send_signal(server, signal.SIGTERM)
    if not select.select([server], [], [], 5)[0]:
        signal.pidfd_send_signal(server, signal.SIGKILL)
except ProcessLookupError:
    pass
"""


def _temporary_server() -> None:
    """Start Prefect's temporary server now, when no durable one is configured, and make it stop
    with this process: Prefect stops it at a normal exit only, and each killed refresh left one
    running (issue 23). Prefect's own clients reuse this instance (one per process)."""
    import atexit
    import subprocess

    from prefect.settings import get_current_settings

    if get_current_settings().api.url or not hasattr(os, "pidfd_open"):
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    assert server.server_process is not None
    watchdog = subprocess.Popen(
        [sys.executable, "-c", SERVER_WATCHDOG, str(os.getpid()), str(server.server_process.pid)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(watchdog.kill)  # registered after Prefect's stop: runs before it


def _disk_full(error: BaseException | None) -> bool:
    """Whether ``error``, or what caused it, is a full disk (DuckDB only gives the text)."""
    while error is not None:
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return True
        if os.strerror(errno.ENOSPC) in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def _locations(pairs: list[str]) -> dict[str, str]:
    locations = {}
    for pair in pairs:
        name, sep, location = pair.partition("=")
        if not sep or not name or not location:
            raise typer.BadParameter(
                f"« {pair} » : attendu SOURCE=URL_OU_CHEMIN", param_hint="--from"
            )
        locations[name] = location
    return locations


def _require_server(why: str) -> None:
    """Exit with the commands to run when no long-running Prefect server is configured."""
    from prefect.settings import get_current_settings

    if not get_current_settings().api.url:
        typer.secho(
            f"{why} demande un serveur Prefect durable : lancez « prefect server start » et "
            "exportez PREFECT_API_URL=http://127.0.0.1:4200/api (voir « Planification » dans "
            "le README).",
            fg="red",
            err=True,
        )
        raise typer.Exit(2)


def _task_runner(runner: str, address: str | None):
    """Prefect's default thread pool, or a Dask cluster: a local one, or the one at ``address``."""
    if runner == "local":
        return None
    from prefect_dask import DaskTaskRunner

    _require_server("« --runner dask » (les processus Dask rendent compte au serveur)")
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": os.cpu_count(), "threads_per_worker": 1})


@app.command()
def refresh(
    sources_from: Annotated[
        list[str] | None,
        typer.Option(
            "--from", help="SOURCE=URL_OU_CHEMIN : lire une source ailleurs que par défaut."
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--source", help="Ne rafraîchir que cette source (option répétable)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Tout revalider, reconstruire et republier, même inchangé."),
    ] = False,
    runner: Annotated[
        str,
        typer.Option(
            "--runner",
            help="Où tournent les tâches : « local » (fils d'exécution) ou « dask » (grappe Dask).",
        ),
    ] = "local",
    dask_address: Annotated[
        str | None,
        typer.Option(
            "--dask-adresse", help="Grappe Dask existante (tcp://hôte:8786) pour --runner dask."
        ),
    ] = None,
) -> None:
    """Rafraîchir les sources qui ont changé et publier public.duckdb."""
    locations = _locations(sources_from or [])
    if runner not in ("local", "dask"):
        raise typer.BadParameter(f"« {runner} » : « local » ou « dask »", param_hint="--runner")
    home = Home.from_env().ensure()
    _prefect_offline(home)
    from flows.refresh import refresh as refresh_flow

    task_runner = _task_runner(runner, dask_address)
    _temporary_server()
    flow = refresh_flow.with_options(task_runner=task_runner) if task_runner else refresh_flow
    # What the imports made (Prefect's models among them) lives as long as the process: the
    # garbage collector stops walking it, during the run and at the interpreter's exit, which
    # spent half a second on it. Unchanged national refresh: 6.6 → 5.7 s (10 interleaved runs).
    # Garbage is collected first, so that nothing dead is kept (tests call this in-process).
    gc.collect()
    gc.freeze()
    started = datetime.now(UTC)
    try:
        report = flow(locations=locations, sources=only, force=force)
    except Exception as error:  # the flow already logged the traceback
        if _disk_full(error):
            free = f"{shutil.disk_usage(home.root).free / 1e6:,.0f}".replace(",", "\u202f")
            error = RuntimeError(
                f"disque plein : il reste {free} Mo sur le volume de {home.root} ; libérez "
                f"de la place puis relancez (détail : {error})"
            )
        previous = (
            f"Le fichier publié précédent ({home.public}) reste en service, inchangé."
            if home.public.exists()
            else "Aucun fichier n'a encore été publié."
        )
        typer.secho(
            f"Échec du rafraîchissement — {error}. {previous} "
            "Rien n'a été perdu : les fichiers reçus restent dans landing/ et les lignes rejetées "
            "en quarantaine ; « observatoire status » résume les derniers runs.",
            fg="red",
            err=True,
        )
        raise typer.Exit(1) from None
    seconds = (datetime.now(UTC) - started).total_seconds()
    width = max((len(s.source) for s in report.sources), default=0)
    for s in report.sources:
        typer.echo(
            f"{s.source:<{width}} {s.rows_read:>9,} lues  {s.rows_accepted:>9,} acceptées  "
            f"{s.rows_rejected:>7,} rejetées  {s.status}".replace(",", "\u202f")
        )
    if report.published:
        tables = ", ".join(f"{t} {n:,}".replace(",", "\u202f") for t, n in report.published.items())
        typer.echo(f"Publié {home.public} en {seconds:.1f} s : {tables}")
    else:
        typer.echo(
            f"Aucune source n'a changé ({seconds:.1f} s) : {home.public} reste identique, "
            "rien n'a été reconstruit ni publié (« --force » pour tout refaire)."
        )
    for line in report.embeds:  # the static embeds, written after the publish
        missing = not line.startswith("Intégrations statiques :")
        typer.secho(line, fg="yellow" if missing else None, err=missing)
    if report.failures:
        failed = " ; ".join(str(f) for f in report.failures)
        typer.secho(
            f"Rafraîchissement partiel — {failed}. Les autres sources sont publiées ; "
            "les fichiers reçus restent dans landing/ et les lignes rejetées en quarantaine.",
            fg="red",
            err=True,
        )
        raise typer.Exit(1)


@app.command()
def schedule() -> None:
    """Enregistrer les rafraîchissements planifiés (heure de Paris) et les servir."""
    home = Home.from_env().ensure()
    _prefect_offline(home)
    _require_server("La planification")
    from prefect import serve

    from flows.schedule import cadences, deployments

    for c in cadences():
        typer.echo(f"{c.name:<12} {c.cron:<12} {c.timezone} : {', '.join(c.sources)}")
    # one run at a time: a refresh due while another runs waits instead of meeting its lock
    serve(*deployments(), limit=1)


GENERATED = ("docs/dictionnaire.md", "prefect.yaml")


def generated(root: Path) -> dict[Path, str]:
    """The files written from the specs, and what they should hold now."""
    from flows.schedule import prefect_yaml
    from flows.sources import SOURCES
    from warehouse import dictionnaire

    dictionary = root / "docs" / "dictionnaire.md"
    text = dictionary.read_text(encoding="utf-8")
    described = dictionnaire.tables(SOURCES.public_tables())
    return {
        dictionary: dictionnaire.replace_section(text, described),
        root / "prefect.yaml": prefect_yaml(),
    }


@app.command()
def generate(
    root: Annotated[Path, typer.Option("--racine", help="Racine du dépôt.")] = Path("."),
) -> None:
    """Réécrire les fichiers tirés des fiches des sources : docs/dictionnaire.md, prefect.yaml."""
    for path, text in generated(root).items():
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            typer.echo(f"{path} réécrit")


def _age(path: Path) -> str:
    seconds = datetime.now().timestamp() - path.stat().st_mtime
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} j"


STATUS_SQL = """
with ordered as (
    select *, row_number() over (partition by source order by debut desc) as rang
    from {executions}
), good as (
    select *, row_number() over (partition by source order by fin desc) as rang_succes
    from {executions} where statut = '{published}'
)
select o.source, o.statut, o.debut, o.message, g.fin, g.lignes_acceptees, g.lignes_rejetees
from ordered as o left join good as g on g.source = o.source and g.rang_succes = 1
where o.rang = 1 order by o.source
"""
LAST_RUN_SQL = """
select min(debut), list(source order by source) filter (where statut = '{failed}'),
       bool_and(statut = '{unchanged}'),
       list(source order by source) filter (where statut not in ('{published}', '{unchanged}',
                                                                 '{failed}'))
from {executions}
where id_execution = (select arg_max(id_execution, debut) from {executions})
"""


PARIS = ZoneInfo("Europe/Paris")
DEMO = "[DÉMO]"


def _paris(moment: datetime) -> str:
    """A time of the audit (UTC) as a French reader reads it: Paris time and its offset."""
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(PARIS)
    offset = local.utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset is not None else 0
    return f"{local:%d/%m/%Y %H:%M} UTC{hours:+d}"


def _demo_sources(public: Path) -> set[str]:
    """The sources whose published data are the project's demo (the ``sources`` table)."""
    import duckdb

    with duckdb.connect(str(public), read_only=True) as con:
        rows = con.execute("select source from sources group by source having bool_or(demo)")
        return {source for (source,) in rows.fetchall()}


def _last_run(
    started: datetime,
    failed: list[str] | None,
    unchanged: bool,
    unpublished: list[str] | None = None,
    *,
    running: bool = False,
) -> str:
    """How the last refresh ended: complete, partial (naming what failed), nothing new, or
    stopped before its loads were published (killed: « en cours » or « chargé » left behind, or
    already marked « interrompu »), unless it is still ``running``."""
    outcome = (
        f"{Status.RUNNING} ({', '.join(unpublished)} pas encore publiés)"
        if unpublished and running
        else f"{Status.INTERRUPTED} ({', '.join(unpublished)} jamais notés publiés) : "
        "relancez « observatoire refresh », qui nettoie et publie"
        if unpublished
        else f"{Outcome.PARTIAL} — en échec : {', '.join(failed)} "
        "(leurs données précédentes restent publiées)"
        if failed
        else f"{Outcome.NOTHING_NEW}, fichier publié inchangé"
        if unchanged
        else Outcome.COMPLETE
    )
    return f"Dernier rafraîchissement ({_paris(started)}, heure de Paris) : {outcome}"


def _refresh_running(home: Home) -> bool:
    """Whether a refresh holds its lock now (probed without taking it)."""
    import fcntl

    if not home.lock.exists():
        return False
    with open(home.lock) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


@app.command()
def status() -> None:
    """Afficher, par source, le dernier run réussi, les lignes publiées et rejetées."""
    import duckdb

    from warehouse.internal import one

    home = Home.from_env()
    if not home.public.exists():
        typer.echo(f"Rien n'est publié dans {home.root} : lancez « observatoire refresh ».")
        raise typer.Exit(1)
    try:  # the internal warehouse also knows failed runs, but a running refresh locks it
        con = duckdb.connect(str(home.warehouse), read_only=True)
        table, note = "audit.executions", ""
    except duckdb.IOException:
        con = duckdb.connect(str(home.public), read_only=True)
        table, note = "executions", " (rafraîchissement en cours : état du dernier fichier publié)"
    with con:
        words = {"published": Status.PUBLISHED, "failed": Status.FAILED}
        rows = con.execute(STATUS_SQL.format(executions=table, **words)).fetchall()
        last = one(con, LAST_RUN_SQL.format(executions=table, unchanged=Status.UNCHANGED, **words))
        running = _refresh_running(home)
        tests = (
            con.execute(
                "select table_publique, test, gravite, lignes_en_echec, exemple "
                "from audit.tests_donnees where id_execution = "
                "(select arg_max(id_execution, debut) from audit.executions) order by all"
            ).fetchall()
            if table == "audit.executions"
            else []
        )
    demo = _demo_sources(home.public)
    typer.echo(f"Fichier publié : {home.public}, il y a {_age(home.public)}{note}")
    typer.echo(_last_run(*last, running=running))
    width = max([14, *(len(source) for source, *_ in rows)])
    for source, statut, debut, message, fin, accepted, rejected in rows:
        when = _paris(fin) if fin else "jamais"
        line = (
            f"{source:<{width}} dernier succès {when}  acceptées {accepted or 0:>9,}  "
            f"rejetées {rejected or 0:>7,}"
        ).replace(",", "\u202f")
        if source in demo:
            line += f"  {DEMO}"
        if statut != Status.PUBLISHED:
            line += f"  — dernier run ({_paris(debut)}) : {statut}"
            line += f", {message}" if message else ""
        typer.echo(line)
    if demo:
        typer.echo(
            f"{DEMO} : {len(demo)} source(s) publiée(s) sur les données de démonstration du "
            "projet, pas celles de leur éditeur ; donnez-leur un fichier réel "
            "(« observatoire refresh --from SOURCE=URL_OU_CHEMIN »)."
        )
    for name, test, severity, failures, sample in tests:
        typer.echo(
            f"test de données en échec ({severity}) : {name}, {test} — {failures} ({sample})"
        )


def _source(name: str) -> Source:
    from flows.sources import SOURCES

    if name not in SOURCES:
        raise typer.BadParameter(f"« {name} » : sources connues : {', '.join(SOURCES)}")
    return SOURCES[name]


@app.command()
def validate(
    source: Annotated[str, typer.Argument(help="Nom de la source (membres, territoires…).")],
    location: Annotated[str, typer.Argument(help="Fichier, dossier ou URL à vérifier.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Rapport JSON pour les machines.")
    ] = False,
) -> None:
    """Vérifier un fichier sans rien charger : code 0 s'il est propre, 1 si des lignes seraient
    rejetées, 2 s'il est illisible."""
    import json
    import tempfile

    from flows.connector import FetchError
    from flows.pipeline import fetch
    from schemas.check import ContractError
    from warehouse.landing import land

    chosen = _source(source)
    try:
        with tempfile.TemporaryDirectory(prefix="observatoire-validate-") as folder:
            landed = [
                land(Path(folder), source, f.name, f.origin, f.readable, f.downloaded)
                for f in fetch(chosen, location, Path(folder) / source)
            ]
            checked = chosen.connector.read(landed, None)
    except (ContractError, FetchError) as error:
        if as_json:
            typer.echo(
                json.dumps(
                    {"fichier": location, "illisible": getattr(error, "detail", str(error))},
                    ensure_ascii=False,
                )
            )
        else:
            # the person checking a file sees what was read: this goes to no public place
            typer.secho(
                f"Fichier illisible — {getattr(error, 'detail', error)}", fg="red", err=True
            )
        raise typer.Exit(2) from None
    results = [c for v in checked.values() for c in (v if isinstance(v, list) else [v])]
    rejected = sum(c.rejected.height for c in results)
    if as_json:
        report = {
            "lignes_lues": sum(c.rows_read for c in results),
            "lignes_rejetees": rejected,
            "problemes": [{"fichier": c.file, **p} for c in results for p in c.problems.to_dicts()],
            "reparations": [
                {"fichier": c.file, **r}
                for c in results
                if c.repairs is not None
                for r in c.repairs.to_dicts()
            ],
        }
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        for c in results:
            for line in c.messages():
                typer.echo(line)
            for r in c.repairs.to_dicts() if c.repairs is not None else []:
                typer.echo(
                    f"{c.file}, ligne {r['ligne']}, colonne {r['colonne']} : réparé "
                    f"{r['valeur_lue']!r} → {r['valeur_retenue']!r} ({r['motif']})"
                )
        read = sum(c.rows_read for c in results)
        typer.echo(f"{read} ligne(s) lue(s), {rejected} rejetée(s).")
    raise typer.Exit(1 if rejected else 0)


@app.command()
def demo(
    source: Annotated[str, typer.Argument(help="Nom de la source.")],
    out: Annotated[Path, typer.Option("--out", help="Fichier (ou dossier) à écrire.")],
) -> None:
    """Écrire les données embarquées d'une source dans son format d'import (modèle de fichier)."""
    from flows.pipeline import fetch

    files = fetch(_source(source), None)
    if len(files) == 1:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(files[0].data)
        typer.echo(f"{out} : {len(files[0].data):,} octets".replace(",", "\u202f"))
        return
    out.mkdir(parents=True, exist_ok=True)
    for file in files:
        (out / file.name).write_bytes(file.data)
        typer.echo(f"{out / file.name} : {len(file.data):,} octets".replace(",", "\u202f"))


def _port_taken(host: str, port: int) -> bool:
    """Whether something listens on ``host:port`` already: bound as Streamlit binds (address
    reuse on, so that a port left in TIME_WAIT by a stopped server reads as free)."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror:
        raise typer.BadParameter(f"« {host} » : adresse introuvable", param_hint="--host") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return True
            raise typer.BadParameter(
                f"impossible d'écouter sur {host}:{port} ({error.strerror})", param_hint="--port"
            ) from None
    return False


def _require_port(host: str, port: int) -> None:
    """Exit, naming a free port to try, when ``port`` is taken: Streamlit would only say so in
    English, after its start."""
    if not _port_taken(host, port):
        return
    free = next(
        (p for p in range(port + 1, min(port + 100, 65536)) if not _port_taken(host, p)), None
    )
    hint = f" : essayez --port {free}" if free else ""
    typer.secho(
        f"Le port {port} est occupé sur {host}{hint} (ou arrêtez ce qui l'écoute déjà).",
        fg="red",
        err=True,
    )
    raise typer.Exit(1)


def _streamlit(script: str, host: str, port: int, *options: str) -> list[str]:
    """The command of Streamlit serving ``script``, offline and without telemetry."""
    return [
        sys.executable,
        "-m",
        "dashboard.serve",
        "run",
        script,
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.enableStaticServing",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--client.showErrorDetails",
        "false",
        # Streamlit's full garbage collection after every page run walks every live object, so
        # costs more as readers add sessions: 160 → 85 ms of processor a page run without it
        # (10 readers; 223 → 63 ms for 50), for the same memory (Python's own GC still runs)
        "--runner.postScriptGC",
        "false",
        # a public server does not watch its own code: the watcher's events drop every page's
        # compiled script, and the home page was compiled again at each of its runs (100 of its
        # 160 ms)
        "--server.fileWatcherType",
        "none",
        # each new session still drops them (Streamlit 1.67 calls its « source changed » hook as
        # a session connects to the config): without « magic » (unused here), compiling a page
        # again costs 1 ms, not 5 (the AST rewrite)
        "--runner.magicEnabled",
        "false",
        *options,
    ]


def _serve(script: str, host: str, port: int, *options: str) -> None:
    """Replace this process by Streamlit serving ``script``."""
    os.environ["OBSERVATOIRE_HOME"] = str(Home.from_env().root)
    os.execv(sys.executable, _streamlit(script, host, port, *options))


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port d'écoute.")] = 8501,
    host: Annotated[str, typer.Option(help="Adresse d'écoute.")] = "127.0.0.1",
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Processus Streamlit (un cœur chacun) ; au-delà de 1, HAProxy les sert sur "
            "--port, eux sur les ports suivants.",
        ),
    ] = 1,
) -> None:
    """Servir le tableau de bord public (lecture seule de public.duckdb) et ses fichiers : données
    ouvertes (/app/static/donnees/…) et contours des cartes."""
    for p in range(port, port + workers + (workers > 1)):
        _require_port(host if p == port else "127.0.0.1", p)
    from dashboard import opendata  # with duckdb: imported only by this command

    opendata.serve(Home.from_env())
    script = str(files("dashboard") / "app.py")
    if workers == 1:
        _serve(script, host, port)
    from dashboard import workers as pool

    os.environ["OBSERVATOIRE_HOME"] = str(Home.from_env().root)
    command = functools.partial(_streamlit, script, "127.0.0.1")
    raise typer.Exit(pool.serve(command, host, port, workers))


@app.command()
def partenaires(
    port: Annotated[int, typer.Option(help="Port d'écoute.")] = 8502,
    host: Annotated[str, typer.Option(help="Adresse d'écoute.")] = "127.0.0.1",
    secrets: Annotated[
        Path,
        typer.Option(
            envvar="OBSERVATOIRE_SECRETS",
            # escaped: Rich, which draws the help, would read [auth] as markup and drop it
            help="Fichier de secrets, hors du dépôt : sections \\[auth] (fournisseur OIDC) et "
            "\\[partenaires] (comptes et domaines autorisés).",
        ),
    ] = Path("~/.streamlit/secrets.toml"),
) -> None:
    """Servir l'espace partenaires (connexion OIDC, lecture seule de partenaires.duckdb)."""
    secrets = secrets.expanduser().resolve()
    if not secrets.is_file():
        typer.secho(
            f"{secrets} : fichier de secrets introuvable. L'espace partenaires demande une "
            "section [auth] (fournisseur OIDC) et une section [partenaires] (comptes autorisés) : "
            "voir « Espace partenaires » dans le README.",
            fg="red",
            err=True,
        )
        raise typer.Exit(2)
    _require_port(host, port)
    script = str(files("dashboard") / "partenaires" / "serveur.py")
    _serve(script, host, port, "--secrets.files", str(secrets))


if __name__ == "__main__":
    app()
