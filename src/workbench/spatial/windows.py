"""Near-repeat risk windows: from a Knox table to a zone (radius) and dates of raised risk per shooting.

A Knox cell is *raised* when its Knox ratio is at least ``ratio_threshold`` and its p-value is below
``alpha``. The window's radius is the upper edge of the last spatial band in the leading run of bands
(nearest first) that contain a raised cell in any finite temporal band; its length in days is the
upper edge of the last temporal band in the leading run of temporal bands with a raised cell inside
that radius. Bands with no expected pairs at all (e.g. no two events ever at the same location) are
skipped: they neither extend nor break a run. Open bands (``[last, inf)``) never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.data.errors import DataError

from ._inputs import as_xy, get_ids, get_times, resolve_points
from .knox import KnoxTest


@dataclass(frozen=True)
class RiskWindow:
    """Where and for how long risk is raised after an event.

    Attributes
    ----------
    radius_m : float
        Zone radius in meters (0 when no raised cell).
    days : float
        Length of the raised period in days (0 when none).
    cells : DataFrame
        The raised Knox cells.
    """

    radius_m: float
    days: float
    cells: pd.DataFrame

    @property
    def raised(self) -> bool:
        """True when there is a window at all."""
        return self.radius_m > 0 and self.days > 0


def _leading_run(has: np.ndarray, empty: np.ndarray) -> int:
    """Index of the last band of the leading run of True (skipping empty bands), -1 if none."""
    last = -1
    for k in range(len(has)):
        if empty[k]:
            continue
        if not has[k]:
            break
        last = k
    return last


def risk_window(table: pd.DataFrame | KnoxTest, ratio_threshold: float = 1.2, alpha: float = 0.05) -> RiskWindow:
    """Distances and days of significantly raised risk in a Knox table.

    Parameters
    ----------
    table : DataFrame or fitted KnoxTest
        ``KnoxTest.table_``.
    ratio_threshold : float, default 1.2
        Minimum Knox ratio (observed / expected) of a raised cell.
    alpha : float, default 0.05
        Maximum permutation p-value of a raised cell.
    """
    if isinstance(table, KnoxTest):
        table = table.table_
    t = table[np.isfinite(table["distance_to_m"]) & np.isfinite(table["days_to"])].copy()
    t["raised"] = (t["knox_ratio"] >= ratio_threshold) & (t["p_value"] < alpha)
    d_edges = np.sort(t["distance_to_m"].unique())
    by_d = t.groupby("distance_to_m")
    has_d = by_d["raised"].any().reindex(d_edges).to_numpy()
    empty_d = (by_d["expected"].sum().reindex(d_edges) == 0).to_numpy()
    kd = _leading_run(has_d, empty_d)
    if kd < 0:
        return RiskWindow(0.0, 0.0, t[t["raised"]].drop(columns="raised"))
    radius = float(d_edges[kd])
    inside = t[t["distance_to_m"] <= radius]
    t_edges = np.sort(inside["days_to"].unique())
    by_t = inside.groupby("days_to")
    has_t = by_t["raised"].any().reindex(t_edges).to_numpy()
    empty_t = (by_t["expected"].sum().reindex(t_edges) == 0).to_numpy()
    kt = _leading_run(has_t, empty_t)
    days = float(t_edges[kt]) if kt >= 0 else 0.0
    cells = t[t["raised"]].drop(columns="raised")
    return RiskWindow(radius if days > 0 else 0.0, days, cells)


def near_repeat_windows(
    incidents: Any,
    window: RiskWindow | pd.DataFrame | KnoxTest,
    *,
    times: Any = None,
    ids: Any = None,
    since: Any = None,
    ratio_threshold: float = 1.2,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Zone and dates of raised near-repeat risk around each (new) shooting.

    Parameters
    ----------
    incidents : GeoDataFrame (projected), DataFrame with ``x``/``y`` or (n, 2) array
        The shootings to draw windows around.
    window : RiskWindow, Knox table or fitted KnoxTest
        A table is turned into a window with :func:`risk_window`.
    times : array-like or str, optional
        tz-aware times or column (default ``occurred_at``).
    ids : array-like or str, optional
        Ids or column (default ``incident_id``; row numbers when absent).
    since : timestamp, optional
        Only shootings at or after this time (the "new" ones).
    ratio_threshold, alpha : float
        Passed to :func:`risk_window`.

    Returns
    -------
    DataFrame
        ``incident_id``, ``x``, ``y`` (meters), ``radius_m``, ``start`` (the shooting's time),
        ``end`` (start + window days); empty when the table shows no raised risk.
    """
    if not isinstance(window, RiskWindow):
        window = risk_window(window, ratio_threshold=ratio_threshold, alpha=alpha)
    incidents = resolve_points(incidents)
    xy = as_xy(incidents)
    t = pd.Series(get_times(incidents, times)).reset_index(drop=True)
    if not pd.api.types.is_datetime64_any_dtype(t.dtype) or t.dt.tz is None:
        raise DataError.single("incidents", "occurred_at", "near-repeat windows need tz-aware timestamps")
    out = pd.DataFrame(
        {
            "incident_id": get_ids(incidents, ids),
            "x": xy[:, 0],
            "y": xy[:, 1],
            "radius_m": window.radius_m,
            "start": t,
            "end": t + pd.Timedelta(days=window.days),
        }
    )
    if since is not None:
        since = pd.Timestamp(since)
        if since.tzinfo is None:
            since = since.tz_localize(t.dt.tz)
        out = out[out["start"] >= since]
    if not window.raised:
        out = out.iloc[0:0]
    return out.sort_values("start", kind="stable").reset_index(drop=True)
