"""Streamlit's command line, with the libraries every page imports already loaded: the first
visitor after a start would otherwise wait for pandas, Plotly, DuckDB and PyArrow to import
(1.5 s on two cores). ``observatoire dashboard`` and ``partenaires`` run it."""

import duckdb  # noqa: F401
import pandas  # noqa: F401
import plotly.graph_objects  # noqa: F401
import pyarrow  # noqa: F401
from streamlit.web import cli

if __name__ == "__main__":
    cli.main(prog_name="streamlit")
