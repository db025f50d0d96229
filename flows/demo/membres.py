"""A demo member registry: 293 organisations placed on real territories, with plausible answers.

The file is written as the network's staff export it from their CRM (`;`, UTF-8 with BOM,
decimal commas, dd/mm/yyyy), so it doubles as the template of the file they must produce.
Everything is drawn from one seeded generator: the same bytes on every machine.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import date, timedelta

import polars as pl

from flows.demo import territoires

SEED = 2011  # the year CLER started the TEPOS network
PRENOMS = ["Camille", "Dominique", "Claude", "Alix", "Sacha", "Morgan", "Yannick", "Maël", "Lou"]
NOMS = ["Martin", "Bernard", "Le Goff", "Moreau", "Garnier", "Roux", "Fontaine", "Chevalier"]
# (type, sous_type, how many): 293 members, about the network's real make-up
MIX = [
    ("collectivité", "EPCI", 95),
    ("collectivité", "commune", 55),
    ("collectivité", "syndicat d'énergie", 18),
    ("collectivité", "parc naturel régional", 6),
    ("collectivité", "département", 6),
    ("collectivité", "région", 3),
    ("association", "ALEC", 30),
    ("association", "Espace conseil France Rénov'", 18),
    ("association", "association", 17),
    ("entreprise", "bureau d'études", 20),
    ("entreprise", "coopérative citoyenne EnR", 18),
    ("autre", "établissement public", 7),
]


# The import columns, in the contract's order (schemas/membres.py): the template staff follow. Not
# read from the contract, which would import pandera in the refresh's parallel receiving threads.
COLUMNS = (
    "id_membre",
    "nom",
    "type",
    "sous_type",
    "siren",
    "code_commune_siege",
    "territoires",
    "date_adhesion",
    "date_sortie",
    "reseau_tepos",
    "dotation_eur_hab_an",
    "strategie_adoptee",
    "annee_objectif_enr",
    "etp_coordination",
    "services_mutualises",
    "contact_nom",
    "contact_email",
)


def _siren(rng: random.Random, prefix: str) -> str:
    """A SIREN passing the Luhn check (demo: it may belong to nobody, or to somebody else)."""
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(8 - len(prefix)))
    for last in "0123456789":
        digits = [int(d) for d in body + last]
        total = sum(
            d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)
        )
        if total % 10 == 0:
            return body + last
    raise AssertionError("one of ten last digits always completes a Luhn number")


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower().replace(" ", "")


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days))


def _answers(rng: random.Random, territorial: bool) -> dict:
    if not territorial:
        return {}
    strategie = rng.random() < 0.62
    return {
        "dotation_eur_hab_an": round(rng.lognormvariate(1.2, 0.7), 2)
        if rng.random() < 0.7
        else None,
        "strategie_adoptee": strategie,
        "annee_objectif_enr": rng.choice([2030, 2040, 2050, 2050, 2050]) if strategie else None,
        "etp_coordination": round(rng.choice([0, 0.5, 1, 1, 1.5, 2, 3]) * rng.uniform(0.8, 1.0), 1),
        "services_mutualises": "|".join(
            s
            for s, p in (("cep", 0.45), ("econome_flux", 0.3), ("ingenierie", 0.35))
            if rng.random() < p
        )
        or None,
    }


def registry(mix: list[tuple[str, str, int]] = MIX) -> pl.DataFrame:
    """The demo registry, one row per member, in the import columns; ``mix`` says how many
    members of each type and sub-type (the benchmarks ask for other sizes)."""
    rng = random.Random(SEED)
    communes = territoires.communes().filter(pl.col("code_epci").is_not_null())
    epci = territoires.epci().filter(pl.col("code_epci").str.starts_with("2"))
    epci_codes = epci["code_epci"].to_list()
    by_dep = epci.group_by("code_departement").agg("code_epci").sort("code_departement")
    deps = dict(by_dep.iter_rows())
    by_reg = dict(epci.group_by("code_region").agg("code_epci").iter_rows())
    seat_of_epci = dict(
        communes.sort("population", descending=True)
        .group_by("code_epci", maintain_order=True)
        .first()
        .select("code_epci", "code_commune")
        .iter_rows()
    )
    names = dict(epci.select("code_epci", "nom").iter_rows())
    commune_rows = communes.filter(pl.col("population") > 800).rows(named=True)
    rows: list[dict[str, object]] = []
    for kind, sub, count in mix:
        for _ in range(count):
            number = len(rows) + 1
            row: dict[str, object] = {"id_membre": f"M{number:04d}", "type": kind, "sous_type": sub}
            if sub == "EPCI":
                code = rng.choice(epci_codes)
                while any(r.get("territoires") == code for r in rows):
                    code = rng.choice(epci_codes)
                row |= {
                    "nom": names[code],
                    "siren": code,
                    "territoires": code,
                    "code_commune_siege": seat_of_epci[code],
                }
            elif sub == "commune":
                com = rng.choice(commune_rows)
                row |= {
                    "nom": f"Commune de {com['nom']}",
                    "siren": _siren(rng, "21"),
                    "territoires": com["code_commune"],
                    "code_commune_siege": com["code_commune"],
                }
            elif sub in ("département", "région"):
                dep = rng.choice(sorted(deps)) if sub == "département" else None
                reg = rng.choice(sorted(by_reg)) if sub == "région" else None
                covered = deps[dep] if dep else by_reg[reg]
                row |= {
                    "nom": f"{sub.capitalize()} {dep or reg}",
                    "siren": _siren(rng, "2"),
                    "territoires": "|".join(sorted(covered)),
                    "code_commune_siege": seat_of_epci[covered[0]],
                }
            else:
                dep = rng.choice(sorted(deps))
                covered = rng.sample(deps[dep], k=min(len(deps[dep]), rng.randint(1, 6)))
                territorial = kind in ("collectivité", "association")
                label = {
                    "collectivité": "Syndicat",
                    "association": "Agence",
                    "entreprise": "Énergies",
                }
                row |= {
                    "nom": f"{label.get(kind, 'Établissement')} {sub} {dep}-{number}",
                    "siren": _siren(rng, "4" if kind == "entreprise" else "7"),
                    "territoires": "|".join(sorted(covered)) if territorial else None,
                    "code_commune_siege": seat_of_epci[covered[0]],
                }
            joined = _day(rng, date(1995, 1, 1), date(2025, 12, 31))
            left = _day(rng, joined, date(2026, 6, 30)) if rng.random() < 0.08 else None
            prenom, nom = rng.choice(PRENOMS), rng.choice(NOMS)
            row |= {
                "date_adhesion": joined,
                "date_sortie": left,
                "reseau_tepos": kind == "collectivité" and rng.random() < 0.5,
                **_answers(rng, kind == "collectivité"),
                "contact_nom": f"{prenom} {nom}",
                "contact_email": f"{_ascii(prenom)}.{_ascii(nom)}@membre-{number:03d}.example.org",
            }
            rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None).select(COLUMNS)


def past_answers(mix: list[tuple[str, str, int]] = MIX) -> pl.DataFrame:
    """The collectivités' answers of the years before this one (from 2020, or their joining),
    as a registry keeper backfills them: endowments and staff grow toward today's, strategies
    and pooled services are adopted along the way. Seeded apart from the registry."""
    rng = random.Random(SEED + 1)
    this_year = date.today().year
    rows = []
    for member in registry(mix).filter(pl.col("type") == "collectivité").iter_rows(named=True):
        adopted = rng.randint(2018, this_year) if member["strategie_adoptee"] else None
        services = (member["services_mutualises"] or "").split("|")
        joined = {s: rng.randint(2017, this_year) for s in services if s}
        for year in range(max(2020, member["date_adhesion"].year), this_year):
            behind = (this_year - year) * rng.uniform(0.03, 0.12)
            dotation = member["dotation_eur_hab_an"]
            rows.append(
                {
                    "id_membre": member["id_membre"],
                    "annee": year,
                    "dotation_eur_hab_an": round(dotation * (1 - behind), 2)
                    if dotation is not None and rng.random() > 0.1
                    else None,
                    "strategie_adoptee": adopted is not None and adopted <= year,
                    "annee_objectif_enr": member["annee_objectif_enr"]
                    if adopted is not None and adopted <= year
                    else None,
                    "etp_coordination": round(max(0.0, member["etp_coordination"] - behind * 2), 1),
                    "services_mutualises": "|".join(s for s, y in joined.items() if y <= year)
                    or None,
                }
            )
    return pl.DataFrame(rows, infer_schema_length=None)


def _as_exported(frame: pl.DataFrame) -> bytes:
    """A table as staff export it: `;`, UTF-8 BOM, decimal commas, dd/mm/yyyy, oui/non."""
    frame = frame.with_columns(
        pl.col(pl.Date).dt.strftime("%d/%m/%Y"),
        pl.col(pl.Boolean).replace_strict({True: "oui", False: "non"}, return_dtype=pl.String),
        pl.col(pl.Float64).cast(pl.String).str.replace(r"\.", ","),
    )
    return b"\xef\xbb\xbf" + frame.write_csv(separator=";").encode("utf-8")


def csv_bytes(mix: list[tuple[str, str, int]] = MIX) -> bytes:
    """The registry, as staff export it."""
    return _as_exported(registry(mix))


def past_answers_csv_bytes(mix: list[tuple[str, str, int]] = MIX) -> bytes:
    """The backfilled answers of past years, as staff export them."""
    return _as_exported(past_answers(mix))
