"""French number formats and the colours every chart uses."""

from __future__ import annotations

import math

# Viridis: ordered, readable by colour-blind visitors and in greyscale.
SEQUENTIAL = "Viridis"
# Plotly layout.separators: decimal comma, narrow no-break space between thousands.
PLOTLY_SEPARATORS = ",\u202f"


def nombre(value: float | None, decimals: int = 0) -> str:
    """``1234.5`` → ``1 234,5`` (narrow no-break space, decimal comma)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")
