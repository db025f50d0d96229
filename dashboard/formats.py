"""French number formats and the colours every chart uses."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd

# Viridis: ordered, readable by colour-blind visitors and in greyscale.
SEQUENTIAL = "Viridis"
# Okabe-Ito: eight categorical colours that stay distinct for every kind of colour blindness.
OKABE_ITO = [
    "#0072B2",  # bleu
    "#E69F00",  # orange
    "#009E73",  # vert bleuté
    "#CC79A7",  # rose
    "#56B4E9",  # bleu ciel
    "#D55E00",  # vermillon
    "#F0E442",  # jaune
    "#000000",  # noir
]
# Plotly layout.separators: decimal comma, narrow no-break space between thousands.
PLOTLY_SEPARATORS = ",\u202f"
NNBSP = "\u202f"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | None, decimals: int = 0) -> str:
    """``1234.5`` → ``1 234,5`` (narrow no-break space, decimal comma)."""
    if _missing(value):
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NNBSP).replace(".", ",")


def percent(share: float | None, decimals: int = 1) -> str:
    """A share between 0 and 1 as a French percentage: ``0.1234`` → ``12,3 %``."""
    if share is None or _missing(share):
        return "–"
    return f"{number(100 * share, decimals)}{NNBSP}%"


def points(delta: float | None, decimals: int = 1) -> str:
    """A change of a share, in percentage points, signed: ``0.012`` → ``+1,2 pt``."""
    if delta is None or _missing(delta):
        return "–"
    sign = "+" if delta >= 0 else "−"
    return f"{sign}{number(abs(100 * delta), decimals)}{NNBSP}pt"


def named(names: Mapping[str, str]) -> Callable[[Any], str]:
    """Writes a code by its name in ``names``, and a code not in it as it is."""
    return lambda code: names.get(code, code)


def day(value: date | datetime | None) -> str:
    """``date(2021, 5, 2)`` → ``02/05/2021``."""
    return "–" if value is None or pd.isna(value) else f"{value:%d/%m/%Y}"


def text(value: object) -> str:
    """Any value as shown in a table; a missing one as a dash."""
    return "–" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


# What Streamlit's Markdown (CommonMark, GFM, math, directives) would read as anything but text:
# emphasis, code, links and images, raw HTML, tables, math; a URL scheme (``http://``), ``www.``
# and an address (``a@b.fr``), which GFM turns into links; any punctuation a line starts with
# (headings, lists, quotes). Escaped by a backslash, shown as it is.
_MARKDOWN = re.compile(
    r"[\\`*\[\]<>$~|{}#]"
    r"|(?<!\w)_|_(?!\w)"
    r"|:(?=//)|(?<=www)\.|@"
    r"|^[!-/:-@\[-`{-~]",
    re.IGNORECASE,
)


def md(value: object) -> str:
    """Text from a source, to put into Markdown (st.markdown, st.caption, st.info, st.table's
    cells…): shown as the same characters, never as a link, an image, HTML or formatting."""
    plain = " ".join(text(value).splitlines())
    return _MARKDOWN.sub(lambda m: "\\" + m.group(0), plain)


def plotly_text(value: object) -> str:
    """Text from a source, to put into a Plotly label, legend or hover text: Plotly reads tags
    (``<a href>``, ``<b>``, ``<br>``) and entities in them; escaped, shown as they are."""
    return html.escape(text(value), quote=False)


# OWASP's rule against formula injection: a spreadsheet reads a cell that starts with one of these
# as a formula (``=HYPERLINK(…)``, ``+cmd|…``, ``@SUM(…)``); a quote before it makes it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for a CSV a person may open in a spreadsheet: every text cell that starts like a
    formula is prefixed with a single quote. Numbers (``-3.5``) are numbers: left as they are."""
    out = frame.copy(deep=False)
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            risky = values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START))
            if risky.any():
                out[column] = values.where(~risky, "'" + values.astype("string"))
    return out


def _whole(frame: pd.DataFrame) -> pd.DataFrame:
    """Float columns whose values are all whole numbers as integers: ``147712``, not
    ``147712.0`` (a column of counts with a missing value is read as floats)."""
    out = frame.copy(deep=False)
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values.dtype):
            known = values.dropna()
            if len(known) and (known == known.round()).all() and known.abs().max() < 2**53:
                out[column] = values.astype("Int64")
    return out


def plain_csv(frame: pd.DataFrame) -> bytes:
    """``frame`` as CSV for programs: ``,`` between fields, decimal point, UTF-8, whole numbers
    without ``.0``; text cells that read as formulas quoted (:func:`csv_safe`)."""
    return csv_safe(_whole(frame)).to_csv(index=False).encode("utf-8")


def excel_csv(frame: pd.DataFrame) -> bytes:
    """``frame`` as CSV for Excel in French: ``;`` between fields, decimal comma, UTF-8 with a
    byte order mark (else Excel reads it as Windows-1252), whole numbers without ``,0``, yes/no
    as « oui »/« non »; text cells that read as formulas quoted (:func:`csv_safe`)."""
    out = _whole(frame)
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column].dtype):
            out[column] = out[column].map(yes_no)
    return csv_safe(out).to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")


def yes_no(value: bool | None) -> str:
    return "–" if value is None or pd.isna(value) else ("oui" if value else "non")


def plural(count: float, word: str, plural_form: str | None = None) -> str:
    """``3 communes``, ``1 commune``; acronyms pass their own (invariable) plural."""
    return f"{number(count)} {(plural_form or word + 's') if count > 1 else word}"


MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


# Plotly's texts (tool bar, tips) and date names in French, given to each chart in its config
# (``locale``, ``locales``): Streamlit's Plotly bundle holds only English.
PLOTLY_FRENCH = {
    "dictionary": {
        "Autoscale": "Échelle automatique",
        "Box Select": "Sélection rectangulaire",
        "Compare data on hover": "Comparer les données au survol",
        "Double-click on legend to isolate one trace": (
            "Double-cliquez sur la légende pour isoler une série"
        ),
        "Double-click to zoom back out": "Double-cliquez pour revenir au zoom initial",
        "Download plot": "Télécharger le graphique",
        "Download plot as a PNG": "Télécharger le graphique en image PNG",
        "Pan": "Déplacer",
        "Produced with Plotly.js": "Produit avec Plotly.js",
        "Reset": "Réinitialiser",
        "Reset axes": "Réinitialiser les axes",
        "Reset view": "Réinitialiser la vue",
        "Show closest data on hover": "Donnée la plus proche au survol",
        "Toggle show closest data on hover": "Afficher ou non la donnée la plus proche au survol",
        "Zoom": "Zoom",
        "Zoom in": "Zoomer",
        "Zoom out": "Dézoomer",
        "trace": "série",
    },
    "format": {
        "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        "months": list(MONTHS),
        "shortMonths": [
            "janv.",
            "févr.",
            "mars",
            "avr.",
            "mai",
            "juin",
            "juil.",
            "août",
            "sept.",
            "oct.",
            "nov.",
            "déc.",
        ],
        "date": "%d/%m/%Y",
        "decimal": ",",
        "thousands": "\u202f",
    },
}


def month(value: date | datetime | None) -> str:
    """``date(2021, 5, 2)`` → ``mai 2021``."""
    return "–" if value is None or pd.isna(value) else f"{MONTHS[value.month - 1]} {value.year}"


def in_region(name: str) -> str:
    """``en Bretagne``, but ``à La Réunion``, ``à Mayotte`` (islands take « à »)."""
    return f"à {name}" if name in ("La Réunion", "Mayotte") else f"en {name}"


# The name tests/test_partenaires.py imports: to remove once it imports ``percent``.
pourcent = percent
