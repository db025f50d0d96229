"""Find a commune's code from its name and département, as registries that give only names need.

Names are compared without accents, case, punctuation or the abbreviations ``St``/``Ste``; the
article INSEE keeps apart (``Breuil`` of type « Le ») is put back, and a name may be written with
or without it. A name found among today's communes wins; otherwise the name of a commune
déléguée or associée, or of a municipal arrondissement (« Lyon 2e Arrondissement »), leads to
today's commune and says so. A name that two communes of the département share, or that none
has (a commune renamed since), is not guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import duckdb
import polars as pl

from flows.reference import WHY, communes_and_epci

# INSEE's TNCC → the article written before the name
ARTICLES = {2: "le", 3: "la", 4: "les", 5: "l", 6: "aux", 7: "las", 8: "los"}
TRAILING_ARTICLE = re.compile(r"^(?P<name>.+?)\s*\((?P<article>[^()]{1,4})\)$")
UNKNOWN = "commune introuvable par son nom dans son département (nom inconnu ou renommé)"
AMBIGUOUS = "nom porté par plusieurs communes du département"


def normalise(name: str) -> str:
    """``Saint-Étienne-d'Albagnan`` → ``saint etienne d albagnan``,
    ``Breuil (Le)`` → ``le breuil``
    """
    if moved := TRAILING_ARTICLE.match(name.strip()):
        name = f"{moved['article']} {moved['name']}"
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", ascii_).split()
    return " ".join({"st": "saint", "ste": "sainte"}.get(w, w) for w in words)


def departement(code: str) -> str:
    """Département of a commune code: three characters overseas, two elsewhere (2A/2B too)."""
    return code[:3] if code.startswith("97") else code[:2]


@dataclass(frozen=True)
class Match:
    """Today's code for a name, or why there is none (``code`` is then ``None``)."""

    code: str | None
    why: str | None


@dataclass(frozen=True)
class CommuneNames:
    """Every commune name, keyed by (département, normalised name), with and without article."""

    current: dict[tuple[str, str], set[tuple[str, str]]]  # → (code, name as written)
    former: dict[tuple[str, str], set[tuple[str, str]]]  # → (today's code, why)

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection | None = None) -> CommuneNames:
        communes, _ = communes_and_epci(con)
        current: dict[tuple[str, str], set[tuple[str, str]]] = {}
        former: dict[tuple[str, str], set[tuple[str, str]]] = {}
        rows = communes.filter(pl.col("type").is_in(["COM", *WHY]) & pl.col("nom").is_not_null())
        for code, kind, parent, nom, type_nom in rows.iter_rows():
            if kind != "COM" and parent is None:
                continue
            bare = normalise(nom)
            article = ARTICLES.get(type_nom or 0)
            keys = {bare, f"{article} {bare}"} if article else {bare}
            written = nom.casefold()
            for key in keys:
                index = (departement(code), key)
                if kind == "COM":
                    current.setdefault(index, set()).add((code, written))
                else:
                    former.setdefault(index, set()).add((parent, WHY[kind]))
        return cls(current, former)

    def find(self, name: str, dept: str) -> Match:
        key = (dept.strip().zfill(2), normalise(name))
        candidates = self.current.get(key, set())
        if len(candidates) > 1:  # « Vergné » and « Vergne »: the accents decide
            written = name.strip().casefold()
            candidates = {c for c in candidates if written.endswith(c[1])} or candidates
        if len(candidates) == 1:
            return Match(next(iter(candidates))[0], None)
        if len(candidates) > 1:
            return Match(None, AMBIGUOUS)
        parents = self.former.get(key, set())
        if len({code for code, _ in parents}) == 1:
            code, why = next(iter(parents))
            return Match(code, why)
        return Match(None, AMBIGUOUS if parents else UNKNOWN)
