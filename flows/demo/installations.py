"""Demo registry of installations in ODRÉ's schema, consistent with the demo production.

Each commune's capacity follows its demo production (energy / typical full-load hours of the
filière); what was added in each period becomes one aggregate row, dated mid-period, as ODRÉ
aggregates small installations. Communes are named, not coded, as in the registry's extracts,
with the article INSEE keeps apart (« Le Breuil »).
"""

from __future__ import annotations

import io

import polars as pl

from flows import commune_names
from flows.demo import production
from flows.reference import communes_and_epci

SEED = production.SEED
# ODRÉ code, label, typical full-load hours
FILIERES = {
    "photovoltaique": ("SOLAI", "Solaire", 1100),
    "eolien": ("EOLIE", "Eolien", 2200),
    "hydraulique": ("HYDLQ", "Hydraulique", 3500),
    "bio_energie": ("BIOEN", "Bioénergies", 5000),
}
# last year of each period → the date its additions are commissioned
PERIODS = {2011: 2010, 2014: 2013, 2017: 2016, 2020: 2019, 2023: 2022, 2024: 2024}
# INSEE's articles as written before a name: « Le Breuil », « L'Arbresle »
ARTICLES = {
    t: a.capitalize() + ("'" if a == "l" else " ") for t, a in commune_names.ARTICLES.items()
}


def _names() -> pl.DataFrame:
    communes, _ = communes_and_epci()
    return communes.filter(pl.col("type") == "COM").select(
        pl.col("code").alias("code_commune"),
        (
            pl.col("type_nom").replace_strict(ARTICLES, default="", return_dtype=pl.String)
            + pl.col("nom")
        ).alias("commune"),
    )


def registry() -> pl.DataFrame:
    series = production.series()
    rows = []
    for filiere, (code, label, hours) in FILIERES.items():
        capacity = (
            series.select(
                "code_commune",
                "annee",
                (pl.col(f"energie_produite_annuelle_{filiere}_enedis_mwh") * 1000 / hours)
                .cum_max()
                .over("code_commune", order_by="annee")
                .alias("kw"),
            )
            .filter(pl.col("annee").is_in(list(PERIODS)))
            .with_columns(
                (pl.col("kw") - pl.col("kw").shift(1, fill_value=0).over("code_commune")).alias(
                    "ajout"
                )
            )
            .filter(pl.col("ajout") > 0.5)
        )
        rows.append(
            capacity.select(
                "code_commune",
                pl.lit(code).alias("codeFiliere"),
                pl.lit(label).alias("filiere"),
                pl.col("ajout").round(2).alias("puisMaxInstallee"),
                pl.col("annee").replace_strict(PERIODS).alias("an"),
            )
        )
    registry = pl.concat(rows).join(_names(), on="code_commune")
    return registry.sort("code_commune", "codeFiliere", "an").select(
        pl.lit("Agrégation des installations (démonstration)").alias("nomInstallation"),
        "commune",
        pl.when(pl.col("code_commune").str.starts_with("97"))
        .then(pl.col("code_commune").str.slice(0, 3))
        .otherwise(pl.col("code_commune").str.slice(0, 2))
        .alias("codeDepartement"),
        "codeFiliere",
        "filiere",
        "puisMaxInstallee",
        pl.lit(None, pl.Int64).alias("nbInstallations"),
        pl.date(pl.col("an"), 7, 1).alias("dateMiseEnService"),
        pl.lit(None, pl.Date).alias("dateDeraccordement"),
        pl.lit(None, pl.Float64).alias("energieAnnuelleGlissanteInjectee"),
    )


def parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    registry().write_parquet(buffer, compression="zstd")
    return buffer.getvalue()
