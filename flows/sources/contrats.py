"""Source ``contrats``: CTE and CRTE, from ANCT's CRTE list (CSV) or its 2019 CTE perimeters.

Two formats are read: the CRTE list (one row per contract and EPCI, ``;`` or ``,``), and the
TopoJSON of the 2019 CTE list, whose perimeters are drawn, not coded: their EPCI are found in the
marts by overlaying communes (``warehouse/contrats.py``). With no location, the embedded default
is the demo list of ``flows/demo/contrats.py``, in the CRTE format, flagged demo.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import polars as pl

from flows.connector import EMBEDDED, FileToRead, RawFile
from flows.demo import contrats as demo
from flows.reference import Territories
from flows.tabular import read_text_table
from schemas.check import ROW, Checked, ContractError, empty
from schemas.check import check as check_table

DEMO_FILE = "contrats_demo.csv"


def embedded() -> list[RawFile]:
    return [RawFile(DEMO_FILE, EMBEDDED, demo.csv_bytes())]


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


def _crte(file: FileToRead, con: duckdb.DuckDBPyConnection | None) -> Checked:
    from schemas.contrats import OPTIONAL_CRTE, with_epci

    raw = read_text_table(file.readable, file.origin)
    raw = raw.with_columns(
        pl.lit(None, pl.String).alias(c) for c in OPTIONAL_CRTE if c not in raw.columns
    )
    return check_table(raw, with_epci(Territories.load(con).epci), file.origin)


def read(files: Sequence[FileToRead], con: duckdb.DuckDBPyConnection | None) -> dict[str, Checked]:
    from schemas.contrats import CrteBrut, CteBrut  # pandera: only when a file is checked

    (file,) = files
    if file.data.lstrip()[:1] == b"{":
        return {"contrats_cte": _cte(file), "contrats_crte": empty(CrteBrut, file.origin)}
    return {"contrats_cte": empty(CteBrut, file.origin), "contrats_crte": _crte(file, con)}
