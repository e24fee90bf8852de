"""Trauma context index per area: violence exposure with economic and neighbourhood stressors.

``index = sum_c w_c s_c / sum_c w_c`` over the components ``c`` available for the area, where ``s_c``
is the standardized component (z-score across areas, or percentile rank in (0, 1]) and ``w_c`` its
weight. Components are oriented so that higher = more adverse (all defaults are). When a component is
missing for an area its weight is dropped and the others re-weighted; the output says which were
missing (``missing``) and the share of the total weight used (``weight_used``). A component absent
from the whole table is dropped for every area and listed in ``DataFrame.attrs['notes']``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from workbench.data.errors import DataError

#: Default weights (sum to 1): violence exposure counts as much as the three stressors together.
DEFAULT_WEIGHTS: dict[str, float] = {
    "violence": 0.5,
    "unemployment_rate": 0.5 / 3,
    "food_insecurity_rate": 0.5 / 3,
    "vacancy_rate": 0.5 / 3,
}


def standardize(values: pd.Series, method: str = "zscore") -> pd.Series:
    """z-score (population sd) or percentile rank (average ties, in (0, 1]); NaN stays NaN."""
    v = pd.to_numeric(values, errors="coerce").astype(float)
    if method == "zscore":
        sd = v.std(ddof=0)
        return (v - v.mean()) / sd if sd > 0 else v * 0.0
    if method == "percentile":
        return v.rank(pct=True, method="average")
    raise ValueError("standardize must be 'zscore' or 'percentile'")


def trauma_index(
    areas: pd.DataFrame,
    violence: pd.Series | str = "violence",
    *,
    weights: Mapping[str, float] | None = None,
    method: str = "zscore",
    id_column: str = "area_id",
    min_weight: float = 0.5,
) -> pd.DataFrame:
    """Rank areas by a weighted, standardized trauma context index.

    Parameters
    ----------
    areas : DataFrame or GeoDataFrame
        One row per area with ``id_column`` and the component columns (rates as fractions).
    violence : Series or str, default 'violence'
        Violence exposure per area: a Series indexed by area id (e.g.
        ``exposure_dose(...).set_index('area_id')['dose_per_resident_year']``) or a column of ``areas``.
    weights : mapping of str to float, optional
        Component -> weight (non-negative); default :data:`DEFAULT_WEIGHTS`. Keys are column names
        (``'violence'`` refers to ``violence``).
    method : {'zscore', 'percentile'}, default 'zscore'
        Standardization of each component across areas.
    id_column : str
        Area id column.
    min_weight : float, default 0.5
        Areas whose available components carry less than this share of the total weight get a NaN
        index (too little information), and no rank.

    Returns
    -------
    DataFrame
        ``area_id``, one ``<component>_std`` column per component, ``index``, ``rank`` (1 = highest
        index), ``n_components``, ``weight_used``, ``missing`` (comma-separated component names).
        ``attrs['notes']`` lists components absent from the table; ``attrs['weights']`` the weights.
    """
    weights = dict(DEFAULT_WEIGHTS if weights is None else weights)
    if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise ValueError("weights must be non-negative with a positive sum")
    if id_column not in areas.columns:
        raise DataError.single("areas", id_column, "column is missing")
    ids = areas[id_column].astype(str).reset_index(drop=True)
    table = pd.DataFrame({id_column: ids})
    if isinstance(violence, str):
        if violence in areas.columns:
            table["violence"] = pd.to_numeric(areas[violence], errors="coerce").to_numpy()
    else:
        v = pd.Series(violence)
        v.index = v.index.astype(str)
        table["violence"] = ids.map(v).astype(float)
    notes = []
    comps = []
    for c in weights:
        col = "violence" if c == "violence" else c
        if col == "violence" and "violence" in table:
            comps.append(c)
        elif col != "violence" and col in areas.columns:
            table[c] = pd.to_numeric(areas[c], errors="coerce").to_numpy()
            comps.append(c)
        else:
            notes.append(f"component '{c}' is absent from the data: dropped, other weights re-scaled")
    if not comps:
        raise DataError.single("areas", None, "none of the index components is present: " + ", ".join(weights))
    total_w = sum(weights.values())
    num = np.zeros(len(table))
    den = np.zeros(len(table))
    missing = [[] for _ in range(len(table))]
    for c in weights:
        if c not in comps:
            for m in missing:
                m.append(c)
            continue
        s = standardize(table[c], method)
        table[f"{c}_std"] = s
        ok = s.notna().to_numpy()
        num[ok] += weights[c] * s.to_numpy()[ok]
        den[ok] += weights[c]
        for k in np.flatnonzero(~ok):
            missing[k].append(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    used = den / total_w
    index[used < min_weight] = np.nan
    table["index"] = index
    table["rank"] = table["index"].rank(ascending=False, method="min").astype("Int64")
    table["n_components"] = [len(weights) - len(m) for m in missing]
    table["weight_used"] = used
    table["missing"] = [", ".join(m) for m in missing]
    out = table.drop(columns=[c for c in comps if c in table.columns]).sort_values(
        ["rank", id_column], na_position="last"
    )
    out.attrs["notes"] = notes
    out.attrs["weights"] = weights
    out.attrs["method"] = method
    return out.reset_index(drop=True)
