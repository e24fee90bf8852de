"""Emerging Hot Spot Analysis: Gi* cube against esda and brute force, Mann-Kendall against scipy,
and the pattern classes recovered on planted emerging and fading spots."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from esda import G_Local
from libpysal import weights as lpw
from scipy import sparse, stats

from workbench.spatial.emerging import (
    PATTERNS,
    classify_patterns,
    emerging_hot_spots,
    gi_star_cube,
    mann_kendall,
    space_time_counts,
)

SIDE = 15


def _grid(side: int = SIDE, size: float = 500.0) -> gpd.GeoDataFrame:
    r, c = np.divmod(np.arange(side * side), side)
    geom = shapely.box(c * size, r * size, (c + 1) * size, (r + 1) * size)
    return gpd.GeoDataFrame({"cell_id": [f"c{i}" for i in range(side * side)], "row": r, "col": c},
                            geometry=geom, crs="EPSG:32616")


def _queen(side: int = SIDE) -> sparse.csr_matrix:
    return sparse.csr_matrix(lpw.lat2W(side, side, rook=False).sparse)


def test_gi_star_cube_single_step_matches_esda():
    rng = np.random.default_rng(1)
    x = rng.poisson(2.0, SIDE * SIDE).astype(float)
    w = lpw.lat2W(SIDE, SIDE, rook=False)
    ours = gi_star_cube(x[:, None], w)[:, 0]
    g = G_Local(x, w, transform="B", star=True, permutations=0)
    np.testing.assert_allclose(ours, np.asarray(g.Zs), rtol=1e-9, atol=1e-9)


def test_gi_star_cube_time_window_matches_brute_force():
    rng = np.random.default_rng(2)
    n_t, tw = 7, 2
    x = rng.poisson(1.5, (SIDE * SIDE, n_t)).astype(float)
    a = (_queen() + sparse.identity(SIDE * SIDE)).toarray() > 0
    ours = gi_star_cube(x, _queen(), time_window=tw)
    n, xbar, s = x.size, x.mean(), x.std()
    brute = np.empty_like(x)
    for i in range(x.shape[0]):
        for t in range(n_t):
            steps = range(max(t - tw, 0), t + 1)
            nb = np.flatnonzero(a[i])
            local = sum(x[j, u] for j in nb for u in steps)
            wsum = len(nb) * len(steps)
            brute[i, t] = (local - xbar * wsum) / (s * np.sqrt((n * wsum - wsum**2) / (n - 1)))
    np.testing.assert_allclose(ours, brute, rtol=1e-10)


def test_mann_kendall_matches_scipy_kendalltau_with_ties():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 4, (50, 12)).astype(float)  # many ties
    y[0] = np.arange(12)  # strict trend
    y[1] = 3.0  # constant
    tau, z, p = mann_kendall(y)
    t = np.arange(12)
    for k in range(len(y)):
        ref = stats.kendalltau(t, y[k], method="asymptotic")
        if k == 1:
            assert p[k] == 1.0 and tau[k] == 0.0
            continue
        assert tau[k] == pytest.approx(ref.statistic, abs=1e-12)
        assert p[k] == pytest.approx(ref.pvalue, rel=1e-9)
    assert tau[0] == 1.0 and z[0] > 4


def test_pattern_rules_on_hand_made_series():
    n = 10
    z = np.zeros((7, n))
    p = np.ones((7, n))
    def hot(row, steps, zval=3.0):
        z[row, steps] = zval
        p[row, steps] = 0.001
    hot(0, [9])                             # new
    hot(1, [7, 8, 9])                       # consecutive
    hot(2, list(range(10)))                 # persistent (no trend given)
    hot(3, [0, 1, 2, 3, 4, 5, 6, 7, 8])     # historical (not hot at the end)
    hot(4, [2, 5, 9])                       # sporadic
    hot(5, [2, 5, 9]); z[5, 0] = -3; p[5, 0] = 0.001  # oscillating
    hot(6, [9], zval=-3.0)                  # new cold spot
    tz = np.zeros(7)
    tp = np.ones(7)
    got = classify_patterns(z, p, tz, tp)
    assert list(got) == ["new hot spot", "consecutive hot spot", "persistent hot spot", "historical hot spot",
                         "sporadic hot spot", "oscillating hot spot", "new cold spot"]
    up = classify_patterns(z[2:3], p[2:3], np.array([3.0]), np.array([0.001]))
    down = classify_patterns(z[2:3], p[2:3], np.array([-3.0]), np.array([0.001]))
    assert up[0] == "intensifying hot spot" and down[0] == "diminishing hot spot"
    assert set(got) <= set(PATTERNS)


def _planted_cube(seed: int):
    """Poisson background (1 event per cell and step) plus an emerging and a fading 2x2 block."""
    rng = np.random.default_rng(seed)
    n_t = 12
    lam = np.full((SIDE * SIDE, n_t), 1.0)
    cell = lambda r, c: r * SIDE + c  # noqa: E731
    emerging = [cell(3, 3), cell(3, 4), cell(4, 3), cell(4, 4)]
    fading = [cell(10, 10), cell(10, 11), cell(11, 10), cell(11, 11)]
    lam[emerging, -3:] += np.array([3.0, 5.0, 7.0])
    lam[fading] += np.linspace(9.0, 2.5, n_t)
    return rng.poisson(lam), emerging, fading


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_planted_emerging_and_fading_spots_are_recovered(seed):
    counts, emerging, fading = _planted_cube(seed)
    z = gi_star_cube(counts, _queen(), time_window=1)
    p = stats.false_discovery_control(2 * stats.norm.sf(np.abs(z)).ravel(), method="bh").reshape(z.shape)
    _, tz, tp = mann_kendall(z)
    pat = classify_patterns(z, p, tz, tp, alpha=0.1)
    for i in emerging:
        assert pat[i] in ("new hot spot", "consecutive hot spot", "intensifying hot spot"), (i, pat[i])
    for i in fading:
        assert pat[i] in ("diminishing hot spot", "historical hot spot"), (i, pat[i])
    planted = set(emerging + fading)
    bg = np.array([pat[i] for i in range(len(pat)) if i not in planted])
    # neighbours of the planted blocks share their clusters; the rest is mostly no pattern
    assert (bg == "no pattern").mean() > 0.8


def test_space_time_counts_and_end_to_end_on_points():
    counts, emerging, _ = _planted_cube(21)
    grid = _grid()
    rng = np.random.default_rng(5)
    end = pd.Timestamp("2025-01-01", tz="America/Chicago")
    loc = np.repeat(np.arange(counts.size) // counts.shape[1], counts.ravel())
    step = np.repeat(np.tile(np.arange(counts.shape[1]), counts.shape[0]), counts.ravel())
    times = end - pd.to_timedelta((counts.shape[1] - step - rng.uniform(0.01, 0.99, step.size)) * 28, unit="D")
    b = shapely.bounds(grid.geometry.to_numpy()[loc])
    x = rng.uniform(b[:, 0] + 1, b[:, 2] - 1)
    y = rng.uniform(b[:, 1] + 1, b[:, 3] - 1)
    pts = gpd.GeoDataFrame({"occurred_at": times}, geometry=gpd.points_from_xy(x, y), crs=grid.crs)
    again, starts = space_time_counts(loc, pd.Series(times), len(grid), end=end)
    np.testing.assert_array_equal(again, counts)
    assert starts[0] == end - pd.Timedelta(days=28 * 12)
    res = emerging_hot_spots(pts, grid, id_column="cell_id", end=end, weights=lpw.lat2W(SIDE, SIDE, rook=False))
    np.testing.assert_array_equal(res.counts_, counts)
    got = res.table_.set_index("cell_id")["pattern"]
    assert got.iloc[emerging].isin(["new hot spot", "consecutive hot spot", "intensifying hot spot"]).all()
    shown = res.patterns()
    assert shown["pattern"].iloc[0].endswith("hot spot")
    # queen weights built from the polygons give the same answer as lat2W
    res_q = emerging_hot_spots(pts, grid, id_column="cell_id", end=end)
    np.testing.assert_allclose(res_q.z_, res.z_)


def test_mann_kendall_in_chunks_matches_scipy():
    y = np.random.default_rng(4).integers(0, 3, (2100, 8)).astype(float)
    tau, _, p = mann_kendall(y)
    for k in (0, 1500, 2099):
        ref = stats.kendalltau(np.arange(8), y[k], method="asymptotic")
        if np.isnan(ref.statistic):
            assert p[k] == 1.0
        else:
            assert tau[k] == pytest.approx(ref.statistic) and p[k] == pytest.approx(ref.pvalue)
