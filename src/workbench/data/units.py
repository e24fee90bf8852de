"""Distances in the reader's unit: analyses run in meters, pages may speak feet.

``data.distance_unit: ft`` in a parameter file is kept on :attr:`Dataset.distance_unit`; pages
turn meters into labels with :func:`format_distance` (``400 ft``, not ``121.92 m`` or
``365.761``) and read band edges given in either unit with :func:`parse_distance`
(``"400 ft"`` -> 121.92 m). Feet are international feet (0.3048 m); the US survey foot differs
by 2 parts per million, far below any band width.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

#: Meters per foot (international foot).
METERS_PER_FOOT = 0.3048
UNITS = ("m", "ft")

_DIST = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(m|meters?|metres?|ft|feet|foot)?\s*$", re.I)


def parse_distance(value: float | str, default_unit: str = "m") -> float:
    """Meters from a number (in ``default_unit``) or text with a unit (``"400 ft"``, ``"120 m"``)."""
    if isinstance(value, (int, float)):
        return float(value) * (METERS_PER_FOOT if default_unit == "ft" else 1.0)
    m = _DIST.match(str(value))
    if not m:
        raise ValueError(f"cannot read distance {value!r} (give e.g. 400 ft or 120 m)")
    unit = (m.group(2) or default_unit).lower()
    factor = METERS_PER_FOOT if unit in ("ft", "feet", "foot") else 1.0
    return float(m.group(1)) * factor


def parse_distances(values: Iterable[float | str], default_unit: str = "m") -> list[float]:
    """:func:`parse_distance` of each value (band edges)."""
    return [parse_distance(v, default_unit) for v in values]


def nice_round(x: float) -> float:
    """Round to a number a reader would say: 2 significant digits, to 5 above 100 (``1,200``,
    ``400``, ``35``, ``7``)."""
    if x == 0 or not math.isfinite(x):
        return x
    a = abs(x)
    if a >= 100:
        step = 10 ** (math.floor(math.log10(a)) - 1)
        step = max(step, 5.0)
    elif a >= 10:
        step = 5.0 if a >= 50 else 1.0
    else:
        step = 1.0 if a >= 2 else 0.1
    return math.copysign(round(a / step) * step, x)


def format_distance(meters: float, unit: str = "m") -> str:
    """A distance label in ``unit`` (``'m'`` or ``'ft'``), rounded for reading.

    >>> format_distance(121.92, "ft")
    '400 ft'
    >>> format_distance(365.76, "m")
    '370 m'
    """
    if unit not in UNITS:
        raise ValueError(f"distance unit {unit!r}: use 'm' or 'ft'")
    if meters is None or not math.isfinite(meters):
        return "∞" if meters == math.inf else ""
    v = meters / METERS_PER_FOOT if unit == "ft" else meters
    r = nice_round(v)
    text = f"{r:,.1f}" if abs(r) < 2 and r != int(r) else f"{int(round(r)):,}"
    return f"{text} {unit}"


def band_label(lo_m: float, hi_m: float, unit: str = "m") -> str:
    """``'0-400 ft'`` / ``'600 m or more'`` label of a distance band given in meters."""
    if hi_m is None or not math.isfinite(hi_m):
        return f"{format_distance(lo_m, unit)} or more"
    lo = format_distance(lo_m, unit).rsplit(" ", 1)[0]
    return f"{lo}-{format_distance(hi_m, unit)}"


_BAND = re.compile(r"^([\[(])\s*([-\d.e+]+),\s*([-\d.e+]+|inf)\)\s*m$")


def band_label_in(label: str, unit: str) -> str:
    """A distance band label written in meters (``'[100, 200) m'``, ``'[600, inf) m'``) in
    ``unit`` (``'330-660 ft'``, ``'2,000 ft or more'``); other labels unchanged."""
    if unit == "m":
        return label
    m = _BAND.match(str(label).strip())
    if not m:
        return label
    lo, hi = float(m.group(2)), math.inf if m.group(3) == "inf" else float(m.group(3))
    return band_label(lo, hi, unit)


def relabel_bands(table, unit: str):
    """``table`` (a DataFrame indexed by distance band labels in meters) with its index, and the
    index of every DataFrame in ``table.attrs``, written in ``unit``."""
    if unit == "m":
        return table
    out = table.copy()
    out.index = [band_label_in(v, unit) for v in table.index]
    out.attrs = {}
    for k, v in table.attrs.items():
        if hasattr(v, "index") and len(v.index) == len(table.index):
            v = v.copy()
            v.index = out.index
        out.attrs[k] = v
    return out
