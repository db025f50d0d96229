"""The TEO series of DREAL Pays de la Loire: Enedis' production by territory, filière and year.

One value per row: territory (``TypeZone``, ``CodeZone``), filière, year, indicator (energy in
kWh, capacity in kW, number of sites), ``valeur``, and whether it was estimated. Commune rows
become production rows, their codes (2011-2019 vintages) mapped to today's communes: one staged
row per file row, the indicator's value in its own column and the other two empty, which the mart
adds up. EPCI, département and région rows are staged as published in ``production_agregats``.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from flows.codes import repair_column
from flows.connector import FileToRead
from flows.reference import Territories
from schemas.check import Checked, empty
from schemas.check import check as check_table
from schemas.production import (
    TEO_COMMUNES,
    TEO_ENERGIE,
    TEO_FILIERES,
    TEO_PUISSANCE,
    TEO_SITES,
    TeoBrut,
    teo_communes,
)

FILIERE = "filiere.de.production"


def recognises(columns: list[str]) -> bool:
    """Whether a (lower-cased) header is a TEO series'."""
    return {"typezone", "codezone", "indicateur", "valeur"} <= set(columns)


def _production(valid: pl.DataFrame, source: str) -> pl.DataFrame:
    def value(indicator: str) -> pl.Expr:
        return pl.when(pl.col("indicateur") == indicator).then(pl.col("valeur"))

    return valid.select(
        "annee",
        pl.col("codezone").alias("code_commune"),
        pl.lit(None, pl.String).alias("domaine_de_tension"),
        pl.col(FILIERE).replace_strict(TEO_FILIERES).alias("filiere"),
        value(TEO_SITES).cast(pl.Int64).alias("nb_sites"),
        (value(TEO_ENERGIE) / 1000).alias("energie_mwh"),
        value(TEO_PUISSANCE).alias("puissance_kw"),
        "estimation",
        pl.lit(source).alias("source"),
        "ligne",
    )


def _agregats(valid: pl.DataFrame, source: str) -> pl.DataFrame:
    return valid.rename({FILIERE: "filiere_de_production"}).with_columns(
        pl.lit(source).alias("source")
    )


def no_agregats(file: FileToRead) -> Checked:
    """The aggregates of a file that has none, so that loading it replaces older ones."""
    nothing = empty(TeoBrut, file.origin)
    return replace(nothing, staged=_agregats(nothing.valid, file.name))


def check(raw: pl.DataFrame, file: FileToRead, ref: Territories) -> dict[str, Checked]:
    """Commune rows, codes repaired, against TeoBrut and today's communes; the others, TeoBrut."""
    raw = raw.with_columns(pl.col("codezone").cast(pl.String))
    is_commune = pl.col("typezone").str.strip_chars().eq_missing(TEO_COMMUNES)
    communes, repairs = repair_column(raw.filter(is_commune), "codezone", ref)
    production = check_table(communes, teo_communes(ref.communes), file.origin)
    agregats = check_table(raw.filter(~is_commune), TeoBrut, file.origin)
    return {
        "production": replace(
            production, repairs=repairs, staged=_production(production.valid, file.name)
        ),
        "production_agregats": replace(agregats, staged=_agregats(agregats.valid, file.name)),
    }
