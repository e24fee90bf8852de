"""Shared pieces of the report sections: one item (table + readings + link) and count wording."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.privacy import suppressed_mask, suppression_marker


@dataclass
class Item:
    """One item of a section: a display-ready table, plain sentences and a link.

    Attributes
    ----------
    key : str
        Stable id (``"near_repeat"``, ``"emerging"``, ...), also the HTML anchor.
    title : str
        Heading.
    readings : list of str
        Plain sentences (counts already suppressed).
    table : DataFrame
        Display-ready: area names, rounded figures, suppressed counts as marker strings, no
        index meaning (render with the index hidden).
    page : str
        Report page the item links to (notebook name, e.g. ``"01_places"``); empty for none.
    figure : dict
        Inputs of a figure (values per area id), aggregates only.
    available : bool
        False when the data cannot support the item (the readings say why).
    """

    key: str
    title: str
    readings: list[str] = field(default_factory=list)
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    page: str = ""
    figure: dict[str, Any] = field(default_factory=dict)
    available: bool = True

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (table as a list of row dicts, strings and numbers only)."""
        t = self.table.astype(object).where(self.table.notna(), "")
        def plain(v: Any) -> Any:
            v = v.item() if isinstance(v, np.generic) else v
            return v if isinstance(v, (int, float, str)) else str(v)

        rows = [{str(k): plain(v) for k, v in r.items()} for r in t.to_dict(orient="records")]
        return {"key": self.key, "title": self.title, "readings": list(self.readings), "columns": list(map(str, t.columns)),
                "rows": rows, "page": self.page, "available": self.available}


def count_labels(values: Any, min_count: int) -> list[Any]:
    """Counts as shown: ints, or the suppression marker for 1..min_count-1."""
    v = np.asarray(values, dtype=float)
    sup = suppressed_mask(v, min_count)
    marker = suppression_marker(min_count)
    return [marker if s else int(round(x)) for x, s in zip(v, sup)]


def count_text(n: float, min_count: int, noun: str, plural: str | None = None) -> str:
    """``"3 shootings"`` -> ``"fewer than 11 shootings"``; 0 and large counts as is."""
    plural = plural or noun + "s"
    n = int(round(float(n)))
    if suppressed_mask(np.array([n]), min_count)[0]:
        return f"fewer than {min_count} {plural}"
    return f"{n:,} {noun if n == 1 else plural}"


def round_people(x: float) -> int:
    """Residents rounded for print: to 10 below 1,000, to 100 above."""
    if not np.isfinite(x):
        return 0
    return int(round(x, -1 if x < 1000 else -2))


def name_list(names: list[str], limit: int = 5) -> str:
    """``"A, B and C"`` (``"A, B, C, D, E and 3 more"`` past ``limit``)."""
    names = [str(n) for n in names]
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
