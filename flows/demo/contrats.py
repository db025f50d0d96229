"""A demo contract list in ANCT's CRTE format: every real EPCI in a CRTE, plus CTE waves.

CRTE group one to three EPCI of a département, as most real ones do; CTE are drawn in three
waves (17 pilots in 2018, 63 laureates in 2019, 27 in 2020). Seeded: the same bytes everywhere.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import polars as pl

from flows.demo import territoires

SEED = 2018  # the year the first CTE were signed
WAVES = [
    ("2018", 17, date(2018, 11, 1), date(2019, 3, 31)),
    ("2019", 63, date(2019, 9, 1), date(2020, 3, 31)),
    ("2020", 27, date(2020, 6, 1), date(2020, 12, 31)),
]
CRTE_SIGNED = (date(2021, 5, 1), date(2022, 6, 30))


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days))


def _row(contract: str, label: str, kind: str, wave: str, signed: date, epci: dict) -> dict:
    return {
        "insee_reg": epci["code_region"],
        "dep_chef_file": epci["code_departement"],
        "id_crte": contract,
        "lib_crte": label,
        "siren_groupement": epci["code_epci"],
        "lib_groupement": epci["nom"],
        "nature_juridique": epci["type"],
        "type_contrat": kind,
        "vague": wave,
        "date_signature": signed.strftime("%d/%m/%Y"),
    }


def contracts() -> pl.DataFrame:
    """One row per contract and EPCI, in the CRTE list's columns plus the three extensions."""
    rng = random.Random(SEED)
    epci = territoires.epci().sort("code_departement", "code_epci").rows(named=True)
    by_dep: dict[str, list[dict]] = {}
    for e in epci:
        by_dep.setdefault(e["code_departement"], []).append(e)
    rows = []
    for dep, members in sorted(by_dep.items()):
        members = members[:]
        rng.shuffle(members)
        number = 0
        while members:
            size = rng.choices([1, 2, 3], weights=[65, 25, 10])[0]
            group, members = members[:size], members[size:]
            number += 1
            contract = f"crte-{group[0]['code_region']}-{dep}-{number}"
            label = f"CRTE {group[0]['nom']}" + (" et voisins" if len(group) > 1 else "")
            signed = _day(rng, *CRTE_SIGNED)
            rows += [_row(contract, label, "CRTE", "2021", signed, e) for e in group]
    for index, (wave, count, start, end) in enumerate(WAVES, start=1):
        for number, e in enumerate(rng.sample(epci, count), start=1):
            label = f"CTE {e['nom']}"
            rows.append(
                _row(f"CTE{index}{number:02d}", label, "CTE", wave, _day(rng, start, end), e)
            )
    return pl.DataFrame(rows)


def csv_bytes() -> bytes:
    return contracts().write_csv(separator=";").encode("utf-8")
