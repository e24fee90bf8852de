"""Emerging Hot Spot Analysis: Gi* per space-time bin plus a Mann-Kendall trend per location.

The method and the pattern classes are those of ArcGIS's *Emerging Hot Spot Analysis*:

1. **Space-time cube.** Events are counted per location (area or grid cell) and per time step of
   ``step_days`` days, the last step ending at ``end`` (steps are half-open ``[a, b)``).
2. **Gi\\* per bin.** Each bin's neighbourhood is the location itself and its spatial neighbours
   (binary weights, self-weight 1) in the same step and the ``time_window`` steps before it. The
   mean and standard deviation are those of all bins of the cube, so
   ``z_it = (sum_nb x - xbar W_it) / (S sqrt((N W_it - W_it^2) / (N - 1)))`` with ``N`` bins and
   ``W_it`` neighbours (Ord & Getis 1995 with binary weights). The spatial sums are one sparse
   matrix product over all locations and steps; the time window is a cumulative sum along time.
   Two-sided normal p-values, optionally Benjamini-Hochberg adjusted over all bins
   (``scipy.stats.false_discovery_control``), mark *significant hot* (``p < alpha``, ``z > 0``)
   and *significant cold* bins.
3. **Mann-Kendall trend** of each location's Gi\\* z series against time:
   ``S = sum_{s<t} sign(z_t - z_s)``, ``Var S = (n(n-1)(2n+5) - sum_g t_g(t_g-1)(2t_g+5)) / 18``
   (ties ``t_g`` handled), ``Z = S / sqrt(Var S)``, two-sided normal p (no continuity
   correction). This is Kendall's tau-b of z against time with its asymptotic test, which is what
   ``scipy.stats.kendalltau(t, z, method='asymptotic')`` returns; it is vectorized over locations.
4. **Pattern per location** (hot shown; cold patterns mirror them with significant cold bins):

   ==================== =====================================================================
   pattern              rule (n steps; "hot" = significant hot bin)
   ==================== =====================================================================
   new                  hot in the final step and never before
   consecutive          one uninterrupted run of at least two hot bins ending in the final
                        step, never hot before the run, hot in less than 90% of the steps
   intensifying         hot in at least 90% of the steps including the final one, significant
                        upward trend
   persistent           hot in at least 90% of the steps, no significant trend
   diminishing          hot in at least 90% of the steps including the final one, significant
                        downward trend
   sporadic             hot in the final step, on and off before, less than 90%, never cold
   oscillating          hot in the final step, cold in some earlier step, less than 90%
   historical           not hot in the final step, hot in at least 90% of the steps
   no pattern           none of these
   ==================== =====================================================================

Locations and counts are aggregates: nothing here shows a single event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse, stats

from workbench.data.errors import DataError

from ._inputs import check_projected, get_times, resolve_points

__all__ = [
    "EmergingHotSpots",
    "HOT_PATTERNS",
    "PATTERNS",
    "classify_patterns",
    "emerging_hot_spots",
    "gi_star_cube",
    "mann_kendall",
    "space_time_counts",
]

#: Hot patterns in ArcGIS's order; the cold ones are the same with "cold".
HOT_PATTERNS: tuple[str, ...] = ("new", "consecutive", "intensifying", "persistent", "diminishing",
                                 "sporadic", "oscillating", "historical")
#: Every pattern label (``"new hot spot"`` ... ``"historical cold spot"``, ``"no pattern"``).
PATTERNS: tuple[str, ...] = tuple(f"{p} hot spot" for p in HOT_PATTERNS) + tuple(
    f"{p} cold spot" for p in HOT_PATTERNS) + ("no pattern",)

_MK_CHUNK = 1024

#: Share of steps that makes a location "mostly" hot (ArcGIS: ninety percent).
MOSTLY = 0.9


def _adjacency(w: Any, n: int) -> sparse.csr_matrix:
    """Binary sparse neighbour matrix (no diagonal) from a libpysal W or a matrix."""
    if hasattr(w, "sparse"):
        m = sparse.csr_matrix(w.sparse)
    else:
        m = sparse.csr_matrix(w)
    if m.shape != (n, n):
        raise ValueError(f"weights are {m.shape[0]} x {m.shape[1]}, expected {n} x {n} (one per location)")
    m = (m != 0).astype(np.float64)
    m.setdiag(0.0)
    m.eliminate_zeros()
    return m.tocsr()


def gi_star_cube(counts: np.ndarray, weights: Any, time_window: int = 0) -> np.ndarray:
    """Gi* z of every bin of a space-time cube (ArcGIS's space-time neighbourhood).

    Parameters
    ----------
    counts : ndarray, shape (n_locations, n_steps)
        Events per location and step.
    weights : libpysal W, scipy sparse matrix or ndarray (n_locations, n_locations)
        Spatial neighbours (any non-zero entry is a neighbour; the diagonal is ignored and the
        location itself is always included, as in Gi*).
    time_window : int, default 0
        Previous steps included in each bin's neighbourhood (0: same step only).

    Returns
    -------
    ndarray, shape (n_locations, n_steps)
        z scores (0 where the cube has no variance).
    """
    x = np.asarray(counts, dtype=float)
    if x.ndim != 2:
        raise ValueError("counts must be a 2-d array (locations x steps)")
    n_loc, n_t = x.shape
    if time_window < 0:
        raise ValueError("time_window must be >= 0")
    a = _adjacency(weights, n_loc) + sparse.identity(n_loc, format="csr")
    spatial = np.asarray(a @ x)  # sum over the location and its neighbours, per step
    deg = np.asarray(a.sum(axis=1)).ravel()
    cum = np.cumsum(np.pad(spatial, ((0, 0), (1, 0))), axis=1)
    lo = np.maximum(np.arange(n_t) - time_window, 0)
    local = cum[:, 1:] - cum[:, lo]
    n_steps_in = (np.arange(n_t) - lo + 1).astype(float)
    w_it = deg[:, None] * n_steps_in[None, :]
    n = x.size
    xbar = x.mean()
    s = np.sqrt(max((x * x).mean() - xbar * xbar, 0.0))
    denom = s * np.sqrt(np.clip((n * w_it - w_it * w_it) / (n - 1), 0.0, None)) if n > 1 else np.zeros_like(w_it)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (local - xbar * w_it) / denom
    return np.where(np.isfinite(z), z, 0.0)


def mann_kendall(series: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mann-Kendall trend test of each row against time, with ties.

    Parameters
    ----------
    series : ndarray, shape (n_locations, n_steps)

    Returns
    -------
    tau, z, p : ndarray, shape (n_locations,)
        Kendall's tau-b of the row against time, the test's z and its two-sided p-value
        (``p = 1`` for a constant row).
    """
    y = np.asarray(series, dtype=float)
    if y.shape[0] > _MK_CHUNK:  # bounded memory: (chunk, n, n) differences at a time
        parts = [mann_kendall(y[i:i + _MK_CHUNK]) for i in range(0, y.shape[0], _MK_CHUNK)]
        return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))  # type: ignore[return-value]
    n = y.shape[1]
    d = y[:, None, :] - y[:, :, None]  # d[k, s, t] = y_t - y_s
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    s_stat = np.sign(d[:, upper]).sum(axis=1)
    equal = d == 0
    m = equal.sum(axis=2) - 1  # other members of each element's tie group
    ties = (m * (2 * m + 7)).sum(axis=1)  # = sum_g t_g (t_g - 1)(2 t_g + 5)
    var = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    n0 = n * (n - 1) / 2.0
    n_tied_pairs = (m.sum(axis=1)) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, s_stat / np.sqrt(var), 0.0)
        tau = np.where(n0 - n_tied_pairs > 0, s_stat / np.sqrt(n0 * (n0 - n_tied_pairs)), 0.0)
    p = np.where(var > 0, 2 * stats.norm.sf(np.abs(z)), 1.0)
    return tau, z, p


def _final_run(flags: np.ndarray) -> np.ndarray:
    """Length of the run of True ending in the last column, per row."""
    rev = flags[:, ::-1]
    first_false = np.where((~rev).any(axis=1), np.argmax(~rev, axis=1), flags.shape[1])
    return first_false


def _patterns(hot: np.ndarray, cold: np.ndarray, trend_z: np.ndarray, trend_sig: np.ndarray, kind: str) -> np.ndarray:
    n_t = hot.shape[1]
    out = np.full(hot.shape[0], "", dtype=object)
    final = hot[:, -1]
    n_hot = hot.sum(axis=1)
    mostly = n_hot >= MOSTLY * n_t - 1e-9
    run = _final_run(hot)
    up = trend_sig & (trend_z > 0)
    down = trend_sig & (trend_z < 0)
    if kind == "cold":  # a cold spot "intensifies" when it gets colder
        up, down = down, up
    rules = [
        ("new", final & (n_hot == 1)),
        ("consecutive", final & (run >= 2) & (run == n_hot) & ~mostly),
        ("intensifying", final & mostly & up),
        ("diminishing", final & mostly & down),
        ("persistent", mostly & ~trend_sig & final),
        ("historical", ~final & mostly),
        ("oscillating", final & ~mostly & cold.any(axis=1)),
        ("sporadic", final & ~mostly & ~cold.any(axis=1)),
    ]
    for name, rule in rules:
        out[(out == "") & rule] = f"{name} {kind} spot"
    return out


def classify_patterns(z: np.ndarray, p: np.ndarray, trend_z: np.ndarray, trend_p: np.ndarray, *,
                      alpha: float = 0.1, trend_alpha: float = 0.05) -> np.ndarray:
    """ArcGIS's emerging hot/cold spot pattern of each location (see the module docstring).

    Parameters
    ----------
    z, p : ndarray, shape (n_locations, n_steps)
        Gi* z and the p-value deciding significance of each bin.
    trend_z, trend_p : ndarray, shape (n_locations,)
        Mann-Kendall z and p of each location's z series.
    alpha : float, default 0.1
        Bin significance (ArcGIS's lowest hot spot confidence is 90%).
    trend_alpha : float, default 0.05
        Trend significance.

    Returns
    -------
    ndarray of str
        One label of :data:`PATTERNS` per location.
    """
    sig = np.asarray(p) < alpha
    hot = sig & (np.asarray(z) > 0)
    cold = sig & (np.asarray(z) < 0)
    tsig = np.asarray(trend_p) < trend_alpha
    out = _patterns(hot, cold, trend_z, tsig, "hot")
    cold_lab = _patterns(cold, hot, trend_z, tsig, "cold")
    out = np.where(out == "", cold_lab, out)
    return np.where(out == "", "no pattern", out).astype(object)


def space_time_counts(location: np.ndarray, times: pd.Series, n_locations: int, *, end: pd.Timestamp,
                      step_days: float = 28.0, n_steps: int = 12) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Events per location and step: the space-time cube.

    Parameters
    ----------
    location : ndarray of int
        Location index of each event (-1: outside every location, dropped).
    times : Series of tz-aware timestamps
    n_locations : int
    end : Timestamp
        End of the last step (exclusive).
    step_days : float
        Step length, days.
    n_steps : int
        Number of steps.

    Returns
    -------
    counts : ndarray (n_locations, n_steps)
    starts : DatetimeIndex
        Start of each step.
    """
    if n_steps < 1 or step_days <= 0:
        raise ValueError("n_steps must be >= 1 and step_days > 0")
    step = pd.Timedelta(days=step_days)
    start = end - n_steps * step
    t = pd.Series(times).reset_index(drop=True)
    k = np.floor(((t - start) / step).to_numpy(dtype=float)).astype(np.int64)
    loc = np.asarray(location, dtype=np.int64)
    ok = (k >= 0) & (k < n_steps) & (loc >= 0)
    counts = np.bincount(loc[ok] * n_steps + k[ok], minlength=n_locations * n_steps).reshape(n_locations, n_steps)
    starts = pd.DatetimeIndex([start + i * step for i in range(n_steps)])
    return counts, starts


@dataclass
class EmergingHotSpots:
    """Result of :func:`emerging_hot_spots`.

    Attributes
    ----------
    table_ : DataFrame
        One row per location: the id column, ``pattern``, ``trend_tau``, ``trend_z``, ``trend_p``,
        ``hot_steps``, ``cold_steps``, ``final_z``, ``total`` (events in the cube),
        ``recent`` (events in the final step).
    counts_ : ndarray (n_locations, n_steps)
    z_, p_ : ndarray (n_locations, n_steps)
        Gi* z and the p used for significance (FDR-adjusted when asked).
    starts_ : DatetimeIndex
        Start of each step.
    params : dict
    """

    table_: pd.DataFrame
    counts_: np.ndarray
    z_: np.ndarray
    p_: np.ndarray
    starts_: pd.DatetimeIndex
    params: dict = field(default_factory=dict)

    @property
    def summary_(self) -> pd.DataFrame:
        """``table_``: the pattern and trend per location."""
        return self.table_

    def patterns(self, exclude: tuple[str, ...] = ("no pattern",)) -> pd.DataFrame:
        """Rows of :attr:`table_` with a pattern (hot first, then by final z)."""
        t = self.table_[~self.table_["pattern"].isin(exclude)]
        order = t["pattern"].map({p: i for i, p in enumerate(PATTERNS)})
        return t.assign(_o=order).sort_values(["_o", "final_z"], ascending=[True, False]).drop(columns="_o")


def emerging_hot_spots(
    points: Any,
    locations: gpd.GeoDataFrame,
    *,
    id_column: str = "area_id",
    times: Any = None,
    end: Any = None,
    step_days: float = 28.0,
    n_steps: int = 12,
    time_window: int = 1,
    weights: Any = "queen",
    k: int = 8,
    alpha: float = 0.1,
    trend_alpha: float = 0.05,
    fdr: bool = True,
) -> EmergingHotSpots:
    """Emerging Hot Spot Analysis of events over areas or grid cells.

    Parameters
    ----------
    points : GeoDataFrame (projected CRS, meters)
        Events with tz-aware times (default column ``occurred_at``).
    locations : GeoDataFrame
        Areas or cells (any CRS; reprojected to that of ``points``).
    id_column : str, default "area_id"
        Location id column copied to the result.
    times : array-like or str, optional
        Times or the column holding them.
    end : timestamp, optional
        End of the last step (exclusive); default just after the latest event.
    step_days : float, default 28
        Step length, days.
    n_steps : int, default 12
        Steps in the cube (at least 3 for a trend).
    time_window : int, default 1
        Previous steps in each bin's neighbourhood (ArcGIS's neighbourhood time step).
    weights : {'queen', 'knn'} or libpysal W / sparse matrix
        Spatial neighbours of the locations.
    k : int
        Neighbours for ``knn``.
    alpha, trend_alpha : float
        Bin and trend significance (see :func:`classify_patterns`).
    fdr : bool, default True
        Benjamini-Hochberg adjust the bin p-values over the whole cube.

    Returns
    -------
    EmergingHotSpots

    Examples
    --------
    Six 8-week steps of shootings over the areas of the tiny synthetic city:

    >>> from workbench.synth import generate_city
    >>> ds = generate_city("tiny", seed=1).dataset  # doctest: +SKIP
    >>> from workbench.spatial import emerging_hot_spots
    >>> ehs = emerging_hot_spots(ds.points("incidents"), ds["areas"], step_days=56, n_steps=6)
    >>> ehs.z_.shape == (len(ds["areas"]), 6), ehs.summary_ is ehs.table_
    (True, True)
    >>> int(ehs.counts_.sum()) <= len(ds["incidents"])
    True
    """
    points = resolve_points(points)
    if not isinstance(points, gpd.GeoDataFrame):
        raise DataError.single("incidents", "geometry", "emerging hot spots need a GeoDataFrame of points")
    check_projected(points, "incidents")
    if id_column not in locations.columns:
        raise DataError.single("areas", id_column, "column is missing")
    if n_steps < 3:
        raise ValueError("n_steps must be >= 3 (a trend needs at least three steps)")
    t = pd.Series(get_times(points, times)).reset_index(drop=True)
    if not pd.api.types.is_datetime64_any_dtype(t.dtype) or t.dt.tz is None:
        raise DataError.single("incidents", "occurred_at", "emerging hot spots need tz-aware timestamps")
    if end is None:
        end = t.max() + pd.Timedelta(seconds=1) if len(t) else pd.Timestamp.now(tz="UTC")
    end = pd.Timestamp(end)
    if end.tzinfo is None:
        end = end.tz_localize(t.dt.tz)
    locs = locations.reset_index(drop=True)
    locs = locs.to_crs(points.crs) if locs.crs is not None and locs.crs != points.crs else locs
    hit = locs.sindex.query(points.geometry.reset_index(drop=True), predicate="within")
    loc = np.full(len(points), -1, dtype=np.int64)
    first = np.unique(hit[0], return_index=True)
    loc[first[0]] = hit[1][first[1]]
    counts, starts = space_time_counts(loc, t, len(locs), end=end, step_days=step_days, n_steps=n_steps)
    if isinstance(weights, str):
        from .getis import build_weights

        w = build_weights(locs, weights, k=k)
    else:
        w = weights
    z = gi_star_cube(counts, w, time_window=time_window)
    p = 2 * stats.norm.sf(np.abs(z))
    if fdr:
        p = stats.false_discovery_control(p.ravel(), method="bh").reshape(p.shape)
    tau, tz_, tp = mann_kendall(z)
    pattern = classify_patterns(z, p, tz_, tp, alpha=alpha, trend_alpha=trend_alpha)
    sig = p < alpha
    table = pd.DataFrame({
        id_column: locs[id_column].to_numpy(),
        "pattern": pattern,
        "trend_tau": tau,
        "trend_z": tz_,
        "trend_p": tp,
        "hot_steps": (sig & (z > 0)).sum(axis=1),
        "cold_steps": (sig & (z < 0)).sum(axis=1),
        "final_z": z[:, -1],
        "total": counts.sum(axis=1),
        "recent": counts[:, -1],
    })
    params = dict(end=end, step_days=step_days, n_steps=n_steps, time_window=time_window, alpha=alpha,
                  trend_alpha=trend_alpha, fdr=fdr)
    return EmergingHotSpots(table, counts, z, p, starts, params)
