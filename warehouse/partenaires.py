"""The partner warehouse: member-level answers, published into their own file for the signed-in
partner app (``dashboard/partenaires``), never into the public file.

Built from staging and the objectives' internal tables (``sql/partenaires.sql``) into the schema
``partenaires`` of the internal warehouse, then swapped in beside ``public.duckdb`` the way it is
(``warehouse.publish.replacing``). Contacts never leave staging.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.internal import owner_only, scalar
from warehouse.publish import copy_schema, replacing


def publish(
    con: duckdb.DuckDBPyConnection, target: Path, run_id: str, published_at: datetime
) -> None:
    """Copy the partner tables, the registry's provenance and the run into a new file and swap
    it in: the same run and date as the public file it goes with."""
    with replacing(con, target, "part"):
        # each member's answers: for the partner app's account only, as the warehouse
        owner_only(
            Path(scalar(con, "select path from duckdb_databases() where database_name = 'part'"))
        )
        copy_schema(con, "partenaires", "part")
        # the registry load the staged answers come from
        con.execute(
            """create table part.sources as
               select f.editeur, f.jeu_de_donnees, f.licence, f.millesime, f.demo, f.charge_le
               from audit.fichiers as f
               join audit.staging as s using (source, id_execution)
               where f.source = 'membres'"""
        )
        con.execute(
            "create table part.publication as select ?::varchar as id_execution, "
            "?::timestamptz as publie_le",
            [run_id, published_at],
        )
