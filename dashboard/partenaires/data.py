"""The partner app's only door to data: read-only queries on ``partenaires.duckdb``.

Results are cached under the file's identity (path, inode, mtime), so a new publish is seen on the
next rerun. A cache miss attaches the file read-only to a fresh in-memory DuckDB and closes it:
partner traffic is small, and a fresh database never serves a file that has since been replaced.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import streamlit as st

from warehouse.paths import Home

Version = tuple[str, int, int]


class NotPublished(RuntimeError):
    """No partner file yet, or one without the members' answers."""


def version() -> Version:
    path = Home.from_env().partenaires
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise NotPublished(str(path)) from None
    return str(path), stat.st_ino, stat.st_mtime_ns


@st.cache_data(show_spinner=False, max_entries=64)
def _query(sql: str, file_version: Version) -> pd.DataFrame:
    with duckdb.connect(":memory:") as con:
        con.execute("attach ? as part (read_only)", [file_version[0]])
        con.execute("use part")
        return con.execute(sql).df()


def query(sql: str) -> pd.DataFrame:
    return _query(sql, version())


def reponses() -> pd.DataFrame:
    """One row per member: who, where, their answers, the objectives they meet, their territory."""
    tables = query("select table_name from duckdb_tables()")["table_name"].tolist()
    if "reponses" not in tables:
        raise NotPublished("reponses")
    return query("select * from reponses")


def objectifs() -> pd.DataFrame:
    """The four objectives the answers speak to, and the answer column each one reads."""
    return query("select id_objectif, libelle, colonne from objectifs")


def provenance() -> dict:
    """The registry load the answers come from, and when the file was published."""
    return (
        query(
            """select s.editeur, s.jeu_de_donnees, s.licence, s.millesime, s.demo,
                      timezone('Europe/Paris', s.charge_le) as charge_le,
                      timezone('Europe/Paris', p.publie_le) as publie_le
               from publication as p left join sources as s on true"""
        )
        .iloc[0]
        .to_dict()
    )
