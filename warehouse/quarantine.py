"""Quarantine layer: every rejected row, whole, with each rule it broke."""

from __future__ import annotations

import duckdb
import polars as pl

from schemas.check import ROW, Checked


def store(con: duckdb.DuckDBPyConnection, run_id: str, source: str, checked: Checked) -> int:
    """Append ``checked``'s problems to ``quarantine.rejets`` and its repairs to
    ``audit.reparations``; return how many rows it rejected."""
    if checked.repairs is not None and checked.repairs.height:
        repairs = checked.repairs.select(
            pl.lit(run_id).alias("id_execution"),
            pl.lit(source).alias("source"),
            pl.lit(checked.file).alias("fichier"),
            *checked.repairs.columns,
        )
        con.register("reparations_a_inserer", repairs)
        con.execute("insert into audit.reparations select * from reparations_a_inserer")
        con.unregister("reparations_a_inserer")
    if checked.problems.is_empty():
        return 0
    records = checked.rejected.select(
        ROW, pl.struct(pl.exclude(ROW)).struct.json_encode().alias("enregistrement")
    )
    rows = checked.problems.join(records, on=ROW, how="left").select(
        pl.lit(run_id).alias("id_execution"),
        pl.lit(source).alias("source"),
        pl.lit(checked.file).alias("fichier"),
        "ligne",
        "colonne",
        "regle",
        "valeur",
        "enregistrement",
    )
    con.register("rejets_a_inserer", rows)
    try:
        con.execute("insert into quarantine.rejets select * from rejets_a_inserer")
    finally:
        con.unregister("rejets_a_inserer")
    return checked.rejected.height
