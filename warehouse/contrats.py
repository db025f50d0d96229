"""Find the current EPCI of contracts whose perimeter is drawn (the 2019 CTE list).

A commune is inside a perimeter when a point on its surface is. An EPCI belongs to the contract
when at least half its population is inside (any part, for a perimeter drawn around communes).
Names are compared as a cross-check; every contract gets a line in ``contrats_rapprochement``
saying what was found, and why not when nothing was.
"""

from __future__ import annotations

import re
import unicodedata

import duckdb
import polars as pl
import shapely

MAJORITY = 0.5
# Words that say what kind of body a name is, not which one.
GENERIC = {
    *("communaute", "communes", "commune", "agglomeration", "ca", "cc", "cu", "metropole"),
    *("pays", "pole", "territoire", "territoires", "syndicat", "mixte", "petr", "pnr", "parc"),
    *("naturel", "regional", "urbaine", "rural", "equilibre", "cte", "intercommunale"),
    *("de", "du", "des", "la", "le", "les", "et", "l", "d", "en", "sur", "au", "aux"),
}
ARTICLES = {"de", "du", "des", "la", "le", "les", "et", "l", "d", "ca", "cc", "cu"}
OVERSEAS = ("01", "02", "03", "04", "06")  # drawn as insets off the Atlantic on ANCT's maps
COUNT_TOLERANCE = 0.1


def _words(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return [w for w in re.split(r"[^a-z0-9]+", plain) if w]


def tokens(name: str) -> set[str]:
    """The words of a name that tell which territory it is."""
    return {w for w in _words(name) if len(w) > 1 and w not in GENERIC}


def acronym(name: str) -> str:
    """« CA du Territoire de la Côte Ouest » → ``tco``."""
    return "".join(w[0] for w in _words(name) if w not in ARTICLES)


def by_name(name: str, overseas: pl.DataFrame, regions: dict[str, str]) -> list[str]:
    """Overseas EPCI a contract names: its whole région, EPCI whose name holds the contract's or
    is held in it, or whose initials it uses."""
    wanted = tokens(name)
    named = [code for code, label in regions.items() if tokens(label) and tokens(label) <= wanted]
    pool = overseas.filter(pl.col("code_region").is_in(named)) if named else overseas
    if named and wanted == set().union(*(tokens(regions[c]) for c in named)):
        return sorted(pool["code_epci"])
    minimum = 1 if named else 2
    return sorted(
        code
        for code, label in pool.select("code_epci", "nom").iter_rows()
        if (len(tokens(label)) >= minimum and tokens(label) <= wanted)
        or (wanted and wanted <= tokens(label))
        or acronym(label) in wanted
    )


def _inside(con: duckdb.DuckDBPyConnection, cte: pl.DataFrame) -> pl.DataFrame:
    """(id, code_commune, code_epci, population) of every commune inside each perimeter."""
    communes = con.sql(
        """select c.code_commune, c.code_epci, c.population, g.geometrie_wkb
           from marts.communes as c
           join marts.geometries as g on g.niveau = 'commune' and g.code = c.code_commune"""
    ).pl()
    points = shapely.point_on_surface(shapely.from_wkb(communes["geometrie_wkb"].to_numpy()))
    shapes = shapely.from_wkb(cte["geometry"].to_numpy())
    contract, commune = shapely.STRtree(points).query(shapes, predicate="contains")
    return pl.DataFrame(
        {"id": cte["id"].gather(contract), **communes.drop("geometrie_wkb")[commune].to_dict()}
    )


def build(con: duckdb.DuckDBPyConnection) -> None:
    """Add the CTE perimeters to ``marts.contrats_perimetres``; write the matching report."""
    cte = con.sql("select id, lib, perimetre, nbcom, geometry from staging.contrats_cte").pl()
    epci = con.sql("select code_epci, nom, population from marts.epci").pl()
    inside = (
        _inside(con, cte)
        if cte.height
        else pl.DataFrame(
            schema={
                "id": pl.String,
                "code_commune": pl.String,
                "code_epci": pl.String,
                "population": pl.Int64,
            }
        )
    )
    parts = (
        inside.filter(pl.col("code_epci").is_not_null())
        .group_by("id", "code_epci")
        .agg(pl.col("population").sum().alias("dedans"), pl.len().alias("nb_communes"))
        .join(epci.rename({"population": "total"}), on="code_epci")
        .join(cte.select("id", "perimetre"), on="id")
        .with_columns(
            (pl.col("dedans") / pl.col("total")).cast(pl.Float64).round(3).alias("part_population")
        )
        .filter((pl.col("part_population") >= MAJORITY) | (pl.col("perimetre") == "communal"))
        .select("id", "code_epci", "part_population", "nom")
    )
    outside = cte.join(inside.select("id").unique(), on="id", how="anti")
    overseas = con.sql(
        "select distinct e.code_epci, e.nom, t.code_region from marts.epci as e "
        f"join marts.epci_territoires as t using (code_epci) where t.code_region in {OVERSEAS}"
    ).pl()
    regions = dict(con.execute("select code_region, nom from marts.regions").fetchall())
    named = pl.DataFrame(
        [
            {"id": row["id"], "code_epci": code, "part_population": None}
            for row in outside.iter_rows(named=True)
            for code in by_name(row["lib"], overseas, regions)
        ],
        schema={"id": pl.String, "code_epci": pl.String, "part_population": pl.Float64},
    ).join(epci.select("code_epci", "nom"), on="code_epci")
    parts = pl.concat([parts, named])
    con.register("perimetres_dessines", parts.drop("nom"))
    con.execute(
        "insert into marts.contrats_perimetres (id_contrat, code_epci, part_population) "
        "select * from perimetres_dessines"
    )
    con.unregister("perimetres_dessines")

    found = inside.group_by("id").agg(pl.len().alias("communes_trouvees"))
    matched = parts.group_by("id").agg(
        pl.col("code_epci").sort().str.join("|").alias("epci"), pl.col("nom").alias("noms")
    )
    orphans = set(inside.filter(pl.col("code_epci").is_null())["id"])
    report = []
    for row in (
        cte.join(found, on="id", how="left")
        .join(matched, on="id", how="left")
        .iter_rows(named=True)
    ):
        wanted = tokens(row["lib"])
        seen = set().union(*(tokens(n) for n in row["noms"] or []))
        similarity = round(len(wanted & seen) / len(wanted), 2) if wanted else None
        declared, counted = row["nbcom"], row["communes_trouvees"] or 0
        if not row["epci"]:
            status = "non rapproché"
            if not counted:
                reason = "aucune commune actuelle à l'intérieur du périmètre, ni EPCI à son nom"
            elif row["id"] in orphans:
                reason = "commune(s) sans EPCI (île)"
            else:
                reason = "aucun EPCI n'y a la majorité de sa population"
        elif not counted:
            status = "rapproché par le nom"
            reason = "périmètre dessiné en encart (outre-mer) : EPCI trouvés par leur nom"
        elif similarity or abs(counted - declared) <= COUNT_TOLERANCE * declared:
            status, reason = "rapproché", None
        else:
            status = "à vérifier"
            reason = f"{counted} communes trouvées pour {declared} déclarées, noms sans mot commun"
        report.append(
            {
                "id_contrat": row["id"],
                "nom": row["lib"],
                "perimetre": row["perimetre"],
                "communes_declarees": row["nbcom"],
                "communes_trouvees": row["communes_trouvees"] or 0,
                "epci": row["epci"],
                "similarite_nom": similarity,
                "statut": status,
                "motif": reason,
            }
        )
    table = pl.DataFrame(
        report,
        schema={
            "id_contrat": pl.String,
            "nom": pl.String,
            "perimetre": pl.String,
            "communes_declarees": pl.Int64,
            "communes_trouvees": pl.Int64,
            "epci": pl.String,
            "similarite_nom": pl.Float64,
            "statut": pl.String,
            "motif": pl.String,
        },
    )
    con.register("rapprochement", table)
    con.execute(
        "create or replace table marts.contrats_rapprochement as "
        "select * from rapprochement order by id_contrat"
    )
    con.unregister("rapprochement")
