"""Source ``demarches``: territorial climate démarches from ADEME Territoires & Climat.

Its embedded default is real: ADEME's PCAET export (February 2021) and its export of the other
démarches (Cit'ergie, CTE, TEPOS, former PCET; September 2020), shipped under
``flows/sources/snapshots/`` (``demarches.yaml`` gives their URL and checksum). Any number of
exports may be given; each is read by its header, in either of the three layouts ADEME has
published (see ``schemas/demarches.py``), rows shorter than their header included.

Personal data (project lead, contact, elected official) is blanked as soon as a file is parsed:
it is never checked, quarantined, staged nor repeated in a message. Free-text fields
(description, status comment) are not read at all: they may name people too.

Co-carrying collectivités are staged as a list per démarche (``porteurs``): SIREN, name and, for
a commune (SIREN ``21…``), its INSEE code found from its name and the département its SIREN
carries (``flows/commune_names.py``), or why none was found. EPCI and other bodies are told
apart in the marts (``warehouse/sql/demarches.sql``). A SIRET given for a SIREN (14 digits) is
cut to its SIREN, and the repair recorded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

import duckdb
import polars as pl

from flows.codes import REPAIR_SCHEMA
from flows.commune_names import CommuneNames
from flows.connector import FileToRead, RawFile
from flows.tabular import read_text_table
from schemas.check import ROW, Checked, ContractError
from schemas.check import check as check_table

SIRET = re.compile(r"^\d{14}$")
# « Ville d'Épernay »: the commune's name comes after, tried when the whole name is unknown
TOWN_HALL = re.compile(
    r"^(?:ville|commune|mairie)\s+(?:de\s+la\s+|de\s+|d['’]\s*|du\s+|des\s+)?", re.I
)
PAIR = re.compile(r"^\s*(?P<siren>\d{9,14})\s*(?:-\s*(?P<nom>.*?))?\s*$")
# normalised header → contract column, for every layout
COLUMNS = {
    "id": "id_demarche",
    "type_demarche": "types",
    "nom": "nom",
    "population_couverte": "population_couverte",
    "demarche_etat": "etat",
    "oblige": "oblige",
    "date_creation": "date_creation",
    "date_modification": "date_modification",
    "date_lancement": "date_lancement",
}
REQUIRED = ("id", "type_demarche")
PCAET_SIRENS, PCAET_NAMES = "siren_collectivites_coporteuses", "collectivites_porteuses"
PAIRS = "collectivites_coporteuses"  # the other démarches: « SIREN-Nom | SIREN-Nom »
NOT_A_COMMUNE = None  # motif of a porteur that is not a commune: the marts say what it is
PORTEUR = pl.Struct(
    {"siren": pl.String, "nom": pl.String, "code_commune": pl.String, "motif": pl.String}
)


def embedded() -> list[RawFile]:
    """Never called: the spec ships ADEME's files as the embedded default (``snapshots``)."""
    from flows import spec

    return [RawFile(s.file, s.url, path=s.path) for s in spec.load("demarches").snapshots]


def header(name: str) -> str:
    """A header as the contract names it: ``SIREN collectivites_coporteuses`` and
    ``SIREN_collectivites_coporteuses`` → ``siren_collectivites_coporteuses``,
    ``Collectivités porteuses`` → ``collectivites_porteuses``."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", ascii_).strip("_")


def _etat(value: str | None) -> str | None:
    """ADEME's four stages, whatever case or ligature an export writes them with."""
    if value is None or not value.strip():
        return None
    from schemas.demarches import ETATS

    key = header(value.replace("œ", "oe").replace("Œ", "Oe"))
    return next((e for e in ETATS if header(e) == key), value.strip())


def _listed(column: str, separator: str = "|") -> pl.Expr:
    return (
        pl.col(column)
        .str.split(separator)
        .list.eval(pl.element().str.strip_chars())
        .list.eval(pl.element().filter(pl.element() != ""))
    )


def _porteurs(raw: pl.DataFrame, file: str) -> pl.DataFrame:
    """``ROW``, ``sirens`` and ``noms_collectivites`` (``|``-separated, aligned), per layout."""
    if PCAET_SIRENS in raw.columns:
        names = PCAET_NAMES if PCAET_NAMES in raw.columns else None
        frame = raw.select(
            ROW,
            _listed(PCAET_SIRENS).alias("sirens"),
            (_listed(names) if names else pl.lit(None, pl.List(pl.String))).alias("noms"),
        )
        # names are kept only when they pair one by one with the SIREN
        frame = frame.with_columns(
            pl.when(pl.col("noms").list.len() == pl.col("sirens").list.len()).then(pl.col("noms"))
        )
    elif PAIRS in raw.columns:
        pairs = raw.select(ROW, _listed(PAIRS, " | ").alias("paires")).explode("paires")
        parts = pairs.with_columns(
            pl.col("paires").str.extract_groups(PAIR.pattern).alias("p")
        ).with_columns(
            # a pair that does not start with a SIREN is kept whole, for the contract to reject
            pl.coalesce(pl.col("p").struct.field("siren"), pl.col("paires")).alias("sirens"),
            pl.col("p").struct.field("nom").alias("noms"),
        )
        frame = parts.group_by(ROW, maintain_order=True).agg(
            pl.col("sirens").drop_nulls(), pl.col("noms").fill_null("")
        )
    else:
        raise ContractError(
            f"{file} : colonne des collectivités porteuses absente (« SIREN collectivites_"
            "coporteuses » ou « collectivites_coporteuses » attendue ; colonnes lues : "
            f"{', '.join(c for c in raw.columns if c != ROW)})"
        )
    return frame


def _siret_repairs(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A SIRET (14 digits) given for a SIREN is cut to its first nine digits, the SIREN."""
    cut = pl.element().str.replace(r"^(\d{9})\d{5}$", "$1")
    exploded = frame.select(ROW, "sirens").explode("sirens").drop_nulls()
    sirets = exploded.filter(pl.col("sirens").str.contains(SIRET.pattern))
    repairs = sirets.select(
        ROW,
        pl.lit("sirens").alias("colonne"),
        pl.col("sirens").alias("valeur_lue"),
        pl.col("sirens").str.slice(0, 9).alias("valeur_retenue"),
        pl.lit("SIRET donné pour un SIREN : ses neuf premiers chiffres").alias("motif"),
    ).cast(REPAIR_SCHEMA)
    return frame.with_columns(pl.col("sirens").list.eval(cut)), repairs


def departements(siren: str) -> list[str]:
    """Départements a commune's SIREN (``21`` + département + …) may name: Corsica's ``20``
    is 2A or 2B; overseas, three digits."""
    dept = siren[2:4]
    if dept == "97":
        return [siren[2:5]]
    if dept == "20":
        return ["2A", "2B"]
    return [dept]


def _commune(siren: str, nom: str | None, names: CommuneNames) -> tuple[str | None, str | None]:
    """A commune's INSEE code from its name and département, or why it is not found."""
    from flows.commune_names import UNKNOWN

    if not nom:
        return None, "commune sans nom dans l'export : introuvable sans son code INSEE"
    found = [names.find(nom, d) for d in departements(siren)]
    bare = TOWN_HALL.sub("", nom)
    if bare != nom and not any(m.code for m in found):
        found = [names.find(bare, d) for d in departements(siren)]
    codes = {m.code for m in found if m.code}
    if len(codes) == 1:
        return codes.pop(), next(m.why for m in found if m.code)
    return None, next((m.why for m in found if m.why and m.why != UNKNOWN), UNKNOWN)


def _placed(valid: pl.DataFrame, names: CommuneNames) -> pl.Series:
    """Each démarche's co-carrying collectivités, communes placed by name."""
    rows = []
    for sirens, noms in valid.select("sirens", "noms_collectivites").iter_rows():
        codes = sirens.split("|") if sirens else []
        labels = noms.split("|") if noms else [""] * len(codes)
        porteurs = []
        for siren, nom in zip(codes, labels, strict=True):
            nom = nom.strip() or None
            code, why = _commune(siren, nom, names) if siren.startswith("21") else (None, None)
            porteurs.append({"siren": siren, "nom": nom, "code_commune": code, "motif": why})
        rows.append(porteurs)
    return pl.Series("porteurs", rows, dtype=pl.List(PORTEUR))


def _one(file: FileToRead, names: CommuneNames) -> Checked:
    from schemas.demarches import PERSONAL_FIELDS, DemarcheBrut

    parsed = read_text_table(file.readable, file.origin)
    raw = parsed.rename({c: header(c) for c in parsed.columns if c != ROW})
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise ContractError(
            f"{file.origin} : colonne(s) manquante(s) {', '.join(missing)} (export ADEME "
            f"Territoires & Climat attendu ; colonnes lues : {', '.join(parsed.columns[1:])})"
        )
    porteurs, repairs = _siret_repairs(_porteurs(raw, file.origin))
    table = raw.select(
        ROW,
        *(
            (pl.col(c) if c in raw.columns else pl.lit(None, pl.String)).alias(to)
            for c, to in COLUMNS.items()
        ),
        # personal data: never read from the file, whatever it holds
        *(pl.lit(None, pl.String).alias(c) for c in PERSONAL_FIELDS),
    ).with_columns(
        pl.col("types").str.split("|").list.eval(pl.element().str.strip_chars()).list.join(" | "),
        pl.col("etat").map_elements(_etat, return_dtype=pl.String),
        pl.col("oblige").str.strip_chars().str.to_uppercase(),
        # ADEME writes 0 for a population not given
        pl.col("population_couverte").replace({"0": None}),
    )
    table = table.join(
        porteurs.select(
            ROW,
            pl.col("sirens").list.join("|").replace("", None),
            pl.col("noms").list.join("|").replace("", None).alias("noms_collectivites"),
        ),
        on=ROW,
        how="left",
    )
    checked = check_table(table, DemarcheBrut, file.origin)
    staged = checked.valid.drop(*PERSONAL_FIELDS).with_columns(
        _placed(checked.valid, names), pl.lit(file.name).alias("source")
    )
    return replace(checked, repairs=repairs, staged=staged)


def read(
    files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None
) -> dict[str, list[Checked]]:
    names = CommuneNames.load(con)
    return {"demarches": [_one(file, names) for file in files]}
