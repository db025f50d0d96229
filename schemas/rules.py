"""Pandera's checks in the words of a registry keeper: ``isin([...])`` → « la valeur doit être
l'une de : … », ``less_than_or_equal_to(1000)`` → « au plus 1 000 ».

Pandera stays the engine: its built-in checks are read by name and arguments (``statistics``);
a check written for a contract speaks through its own ``error``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    import pandera.polars as pa

NOT_NULL = "valeur obligatoire (cellule vide)"
UNIQUE = "field_uniqueness"  # pandera's names for its unique=True and unique=[…] checks
UNIQUE_TOGETHER = "multiple_fields_uniqueness"
LISTED = 10  # allowed values quoted before « … (N valeurs) »


def shown(value: Any, year: bool = False) -> str:
    """A check's argument as a French reader writes it: 1 000, 2,5, 01/01/1990; a ``year`` as
    2026."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if year and isinstance(value, int):
        return str(value)
    if isinstance(value, int | float):
        return f"{value:,}".replace(",", "\u202f").replace(".", ",")
    if isinstance(value, dt.datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def _values(values: Any) -> str:
    values = list(values)
    text = ", ".join(shown(v) for v in values[:LISTED])
    return text + (f"… ({len(values)} valeurs)" if len(values) > LISTED else "")


def _bound(value: Any, number: str, date: str, year: bool) -> str:
    """« au plus 1 000 » for a number, « le 01/01/1990 ou avant » for a date."""
    if isinstance(value, dt.date):
        return date.format(shown(value))
    return number.format(shown(value, year))


def _length(s: dict[str, Any]) -> str:
    low, high, exact = s.get("min_value"), s.get("max_value"), s.get("exact_value")
    if exact is not None:
        return f"exactement {shown(exact)} caractère(s)"
    if low is not None and high is not None:
        return f"entre {shown(low)} et {shown(high)} caractères"
    if low is not None:
        return f"au moins {shown(low)} caractère(s)"
    return f"au plus {shown(high)} caractère(s)"


def _range(s: dict[str, Any], year: bool) -> str:
    low, high = shown(s["min_value"], year), shown(s["max_value"], year)
    excluded = [
        b
        for b, included in ((low, s.get("include_min")), (high, s.get("include_max")))
        if not included
    ]
    return f"entre {low} et {high}" + (f" ({' et '.join(excluded)} exclu)" if excluded else "")


DIGITS = re.compile(r"\^\\d\{(\d+)\}\$")  # ^\d{9}$: the patterns of codes


def _pattern(pattern: str) -> str:
    """A ``str_matches`` pattern in words when it is a common one (``^\\d{9}$``: « 9 chiffres
    exactement »), else quoted."""
    if digits := DIGITS.fullmatch(pattern):
        return f"{digits[1]} chiffres exactement"
    if pattern == r"^\d+$":
        return "chiffres seulement"
    if pattern == r"^\S+$":
        return "sans espace"
    return f"format attendu : {pattern} (expression régulière)"


# a built-in check's name → its words, from its arguments and whether the column holds years
BUILTIN: dict[str, Callable[[dict[str, Any], bool], str]] = {
    "isin": lambda s, _: f"la valeur doit être l'une de : {_values(s['allowed_values'])}",
    "notin": lambda s, _: f"valeur interdite ({_values(s['forbidden_values'])})",
    "equal_to": lambda s, y: f"la valeur doit être {shown(s['value'], y)}",
    "not_equal_to": lambda s, y: f"la valeur ne doit pas être {shown(s['value'], y)}",
    "greater_than_or_equal_to": lambda s, y: _bound(
        s["min_value"], "au moins {}", "le {} ou après", y
    ),
    "greater_than": lambda s, y: _bound(s["min_value"], "plus de {}", "après le {}", y),
    "less_than_or_equal_to": lambda s, y: _bound(s["max_value"], "au plus {}", "le {} ou avant", y),
    "less_than": lambda s, y: _bound(s["max_value"], "moins de {}", "avant le {}", y),
    "in_range": _range,
    "str_matches": lambda s, _: _pattern(str(s["pattern"])),
    "str_contains": lambda s, _: f"doit contenir « {s['pattern']} »",
    "str_startswith": lambda s, _: f"doit commencer par « {s['string']} »",
    "str_endswith": lambda s, _: f"doit finir par « {s['string']} »",
    "str_length": lambda s, _: _length(s),
}


def describe(check: pa.Check, column: str = "") -> str:
    """What ``check`` asks, in French: a built-in check by its name and arguments, unless the
    contract gave it an ``error`` of its own; any other check by its ``error`` (or name). The
    bounds of a ``column`` of years (« annee… ») are written 2026, not 2 026."""
    default = check.error is None or check.error.startswith(f"{check.name}(")
    if check.name in BUILTIN and default:
        return BUILTIN[check.name](check.statistics or {}, column.startswith("annee"))
    return check.error or check.name or str(check)


def type_expected(dtype: pl.DataType) -> str:
    """The rule broken by a cell that does not read as ``dtype``."""
    if dtype.is_float():
        return "nombre attendu (ex. 1 234,5)"
    if dtype.is_integer():
        return "nombre entier attendu"
    if dtype == pl.Date:
        return "date attendue (jj/mm/aaaa ou aaaa-mm-jj)"
    if dtype == pl.Boolean:
        return "oui ou non attendu (oui/non, vrai/faux, 1/0)"
    return f"type {dtype} attendu"
