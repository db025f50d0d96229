"""Source ``contrats``: CTE and CRTE, from the ANCT's CRTE list and its 2019 CTE list.

Two formats are read, one file or a folder of both in one run: the CRTE list (one row per
contract and signatory, ``;`` or ``,``; the embedded default is the list of December 2022 as the
ANCT published it), and the TopoJSON of the 2019 CTE list, whose perimeters are drawn, not coded:
their EPCI are found in the marts by overlaying communes (``warehouse/contrats.py``).

The CRTE list names signatories by SIREN: mostly today's EPCI, but also communes (Pays d'Iroise,
Haut-Léon, the Ponant islands, Île-d'Yeu), the EPT of the Grand Paris and EPCI merged since.
Each is placed: a commune by its name and département (its SIREN is not its INSEE code), an EPT
by its communes (``contrats.yaml``), a vanished EPCI by the one current EPCI of its département
whose name shares a word with it or its contract. What cannot be placed stays in its contract,
reported « à vérifier » in ``contrats_rapprochement``; a pair listed twice is kept once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb
import polars as pl

from flows import spec
from flows.codes import REPAIR_SCHEMA
from flows.commune_names import CommuneNames
from flows.connector import FileToRead
from flows.reference import epci_departements
from flows.tabular import read_text_table
from schemas.check import ROW, Checked, ContractError, empty
from schemas.check import check as check_table
from warehouse.contrats import tokens


def _cte(file: FileToRead) -> Checked:
    import shapely

    from flows import topojson
    from schemas.contrats import CteBrut

    try:
        features = topojson.features(file.data)
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise ContractError(f"{file.origin} : TopoJSON illisible ({error})") from error
    rows = [
        {k: None if v is None else str(v) for k, v in props.items()}
        | {"geometry": None if shape is None else shapely.to_wkb(shape, hex=True)}
        for props, shape in features
    ]
    raw = pl.DataFrame(rows, infer_schema_length=None).with_row_index(ROW, offset=1)
    return check_table(raw.with_columns(pl.col(ROW).cast(pl.Int64)), CteBrut, file.origin)


@dataclass(frozen=True)
class Signatories:
    """Where a CRTE signatory is, by its SIREN: today's EPCI (name, départements), communes by
    name, the EPT of the Grand Paris by their communes."""

    epci: dict[str, tuple[str, frozenset[str]]]
    communes: CommuneNames
    ept: dict[str, list[str]]

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection | None, ept: dict[str, Any]) -> Signatories:
        frame = epci_departements(con)
        epci = {code: (nom, frozenset(deps)) for code, nom, deps in frame.iter_rows()}
        members = {siren: list(e["communes"]) for siren, e in ept.items()}
        return cls(epci, CommuneNames.load(con), members)

    def _successor(self, row: dict[str, Any], listed: set[str]) -> tuple[str | None, str]:
        """The one current EPCI of the signatory's département, absent from the list (so made
        since), whose name shares a word with the vanished groupement's or its contract's; or
        why there is none."""
        words = (tokens(row["lib_groupement"] or "") | tokens(row["lib_crte"])) - {"crte"}
        dept = (row["dep_chef_file"] or "").zfill(2)
        found = sorted(
            code
            for code, (nom, deps) in self.epci.items()
            if dept in deps and code not in listed and words & tokens(nom)
        )
        if len(found) == 1:
            nom = self.epci[found[0]][0]
            return found[0], f"groupement disparu (fusion) : successeur {nom}, même département"
        if found:
            return None, f"groupement disparu : {len(found)} successeurs possibles, aucun certain"
        return None, "groupement inconnu du COG actuel, sans nouvel EPCI à son nom"

    def place(self, valid: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """One staged row per place (an EPT gives its communes), with ``code_epci``,
        ``code_commune`` and, when it could not be placed, ``motif``; and the repairs made."""
        rows, repairs = [], []
        listed = set(valid["siren_groupement"])

        def repair(row: dict[str, Any], kept: str | None, why: str) -> None:
            repairs.append(
                {
                    ROW: row[ROW],
                    "colonne": "siren_groupement",
                    "valeur_lue": row["siren_groupement"],
                    "valeur_retenue": kept,
                    "motif": why,
                }
            )

        for row in valid.iter_rows(named=True):
            siren = row["siren_groupement"]
            place = {"code_epci": None, "code_commune": None, "motif": None}
            if siren in self.epci:
                rows.append(row | place | {"code_epci": siren})
            elif siren in self.ept:
                codes = self.ept[siren]
                repair(row, "|".join(codes), f"EPT du Grand Paris : ses {len(codes)} communes")
                rows += [row | place | {"code_commune": code} for code in codes]
            elif row["nature_juridique"] == "COM" or siren.startswith("21"):
                match = self.communes.find(row["lib_groupement"] or "", row["dep_chef_file"] or "")
                if match.code:
                    repair(row, match.code, "commune signataire : code INSEE par son nom")
                    rows.append(row | place | {"code_commune": match.code})
                else:
                    rows.append(row | place | {"motif": f"commune signataire {match.why}"})
            else:
                code, why = self._successor(row, listed)
                if code:
                    repair(row, code, why)
                rows.append(row | place | {"code_epci": code, "motif": None if code else why})
        schema = valid.schema | {
            "code_epci": pl.String,
            "code_commune": pl.String,
            "motif": pl.String,
        }
        return (
            pl.DataFrame(rows, schema=schema),
            pl.DataFrame(repairs, schema=REPAIR_SCHEMA),
        )


def _once(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each (contract, signatory) pair once: the ANCT lists a CRTE over two départements once per
    département, and the Métropole du Grand Paris in four CRTE rows; a repeat is reported as a
    repair, not rejected with its first copy."""
    raw = raw.with_columns(premiere=pl.col(ROW).min().over("id_crte", "siren_groupement"))
    repeats = raw.filter(pl.col(ROW) != pl.col("premiere"))
    kept = raw.filter(pl.col(ROW) == pl.col("premiere")).drop("premiere")
    report = repeats.select(
        ROW,
        pl.lit("siren_groupement").alias("colonne"),
        pl.col("siren_groupement").alias("valeur_lue"),
        pl.lit(None, pl.String).alias("valeur_retenue"),
        pl.format("paire contrat–signataire déjà lue ligne {} : gardée une fois", "premiere").alias(
            "motif"
        ),
    )
    return kept, report.cast(REPAIR_SCHEMA)


def _crte(file: FileToRead, places: Signatories) -> Checked:
    from schemas.contrats import OPTIONAL_CRTE, CrteBrut

    raw = read_text_table(file.readable, file.origin)
    raw = raw.with_columns(
        pl.lit(None, pl.String).alias(c) for c in OPTIONAL_CRTE if c not in raw.columns
    )
    if "id_crte" in raw.columns and "siren_groupement" in raw.columns:
        raw, repeats = _once(raw)
    else:
        repeats = pl.DataFrame(schema=REPAIR_SCHEMA)
    checked = check_table(raw, CrteBrut, file.origin)
    placed, repairs = places.place(checked.valid)
    return replace(checked, repairs=pl.concat([repeats, repairs]), staged=placed)


def read(
    files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None
) -> dict[str, list[Checked]]:
    """Each file by its kind: a TopoJSON is the 2019 CTE list, anything else a CRTE list. Both
    tables are always replaced together, an empty one by an empty check."""
    from schemas.contrats import CteBrut  # pandera: only when a file is checked

    drawn = [f for f in files if f.data.lstrip()[:1] == b"{"]
    lists = [f for f in files if f not in drawn]
    places = Signatories.load(con, spec.load("contrats").reference["ept"]) if lists else None
    return {
        "contrats_cte": [_cte(f) for f in drawn] or [empty(CteBrut, files[0].origin)],
        "contrats_crte": [_crte(f, places) for f in lists if places] or [_no_list(files[0])],
    }


def _no_list(file: FileToRead) -> Checked:
    """An empty CRTE list with the columns placing adds, for a run given only the CTE list."""
    from schemas.contrats import CrteBrut

    nothing = empty(CrteBrut, file.origin)
    places = [pl.lit(None, pl.String).alias(c) for c in ("code_epci", "code_commune", "motif")]
    return replace(nothing, staged=nothing.valid.with_columns(places))
