"""Knox near-repeat test: exact agreement with a brute-force all-pairs implementation, behaviour on
simulated processes with and without near repeats, risk windows, and input errors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from workbench.data.errors import DataError
from workbench.spatial import KnoxTest, near_repeat_windows, risk_window
from workbench.spatial._knox_kernel import AVAILABLE as NUMBA

TZ = "America/New_York"
ENGINES = [
    "numpy",
    pytest.param("numba", marks=pytest.mark.skipif(not NUMBA, reason="numba not installed")),
]


# -- brute force: every pair, every permutation, no tricks ----------------------------------------
def brute_knox(xy, t_units, s_edges, t_edges_units, same, tol, permutations, seed):
    """Observed and simulated Knox counts over all n(n-1)/2 pairs (O(n^2) per permutation)."""
    n = len(xy)
    a, b = np.triu_indices(n, 1)
    d = np.sqrt((xy[a, 0] - xy[b, 0]) ** 2 + (xy[a, 1] - xy[b, 1]) ** 2)
    n_s = len(s_edges) + int(same)  # finite bands (+ same location) + open band
    n_t = len(t_edges_units)
    sb = np.empty(len(d), dtype=int)
    for k in range(len(d)):  # deliberately plain
        if same and d[k] <= tol:
            sb[k] = 0
            continue
        band = int(same)
        for e in s_edges[1:]:
            if d[k] >= e:
                band += 1
        sb[k] = band
    assert sb.max() <= n_s - 1

    def table(t):
        dt = np.abs(t[a] - t[b])
        tb = np.zeros(len(dt), dtype=int)
        for e in t_edges_units[1:]:
            tb += dt >= e
        out = np.zeros((n_s, n_t), dtype=np.int64)
        np.add.at(out, (sb, tb), 1)
        return out

    rng = np.random.default_rng(seed)
    observed = table(t_units)
    sims = np.array([table(t_units[rng.permutation(n)]) for _ in range(permutations)])
    return observed, sims


def _city(n, seed, extent=3000.0, days=365):
    rng = np.random.default_rng(seed)
    xy = np.round(rng.uniform(0, extent, (n, 2)), -1)  # 10 m grid: ties, zero distances, edge hits
    base = pd.Timestamp("2024-01-01", tz=TZ)
    t = base + pd.to_timedelta(rng.uniform(0, days, n), unit="D")
    return xy, pd.Series(t)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("same", [True, False])
def test_knox_equals_brute_force_days(same, engine):
    xy, t = _city(260, seed=11)
    s_edges = [0, 100, 200, 300]
    t_edges = [0, 7, 14, 30]
    knox = KnoxTest(s_edges, t_edges, same_location=same, permutations=40, seed=7, engine=engine).fit(xy, t)
    days = (t.dt.tz_localize(None).dt.normalize() - pd.Timestamp("1970-01-01")).dt.days.to_numpy()
    obs, sims = brute_knox(xy, days, np.array(s_edges, float), np.array(t_edges), same, 0.0, 40, 7)
    np.testing.assert_array_equal(knox.observed_, obs)
    np.testing.assert_array_equal(knox.simulated_, sims)
    table = knox.table_
    flat_obs = obs.ravel()
    np.testing.assert_array_equal(table["observed"].to_numpy(), flat_obs)
    np.testing.assert_allclose(table["expected"].to_numpy(), sims.reshape(40, -1).mean(axis=0))
    p = ((sims.reshape(40, -1) >= flat_obs).sum(axis=0) + 1) / 41
    np.testing.assert_allclose(table["p_value"].to_numpy(), p)
    np.testing.assert_allclose(table["sim_median"].to_numpy(), np.median(sims.reshape(40, -1), axis=0))
    assert table["observed"].sum() == 260 * 259 // 2
    assert len(table) == (len(s_edges) + same) * len(t_edges)


@pytest.mark.parametrize("engine", ENGINES)
def test_knox_equals_brute_force_seconds_and_tolerance(engine):
    xy, t = _city(200, seed=3, extent=1500)
    s_edges = [0, 55.5, 120, 250]
    t_edges = [0, 0.5, 3.25, 10]
    knox = KnoxTest(
        s_edges,
        t_edges,
        same_location=True,
        same_location_m=15,
        permutations=25,
        seed=1,
        time_resolution="second",
        engine=engine,
    ).fit(pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "occurred_at": t}))
    secs = (t.dt.tz_convert("UTC").dt.tz_localize(None) - pd.Timestamp("1970-01-01")).dt.total_seconds()
    secs = np.round(secs.to_numpy()).astype(np.int64)
    t_units = np.ceil(np.array(t_edges) * 86400).astype(np.int64)
    obs, sims = brute_knox(xy, secs, np.array(s_edges, float), t_units, True, 15.0, 25, 1)
    np.testing.assert_array_equal(knox.observed_, obs)
    np.testing.assert_array_equal(knox.simulated_, sims)


def test_knox_threads_and_engines_do_not_change_results():
    xy, t = _city(300, seed=5)
    one = KnoxTest(permutations=70, seed=2, n_jobs=1, max_pairs_per_block=64, engine="numpy").fit(xy, t)
    two = KnoxTest(permutations=70, seed=2, n_jobs=2, max_pairs_per_block=64, engine="numpy").fit(xy, t)
    np.testing.assert_array_equal(one.simulated_, two.simulated_)
    pd.testing.assert_frame_equal(one.table_, two.table_)
    if NUMBA:
        fast = KnoxTest(permutations=70, seed=2, n_jobs=2, engine="numba").fit(xy, t)
        pd.testing.assert_frame_equal(one.table_, fast.table_)


def _near_repeat_process(seed, offspring):
    """Poisson parents on 6 km x 6 km x 730 days; each parent with probability 0.6 has one offspring
    within 100 m and 7 days (when ``offspring``)."""
    rng = np.random.default_rng(seed)
    n = 700
    xy = rng.uniform(0, 6000, (n, 2))
    days = rng.uniform(0, 730, n)
    if offspring:
        has = rng.random(n) < 0.6
        k = int(has.sum())
        r = 100 * np.sqrt(rng.random(k))
        ang = rng.uniform(0, 2 * np.pi, k)
        child = xy[has] + np.column_stack([r * np.cos(ang), r * np.sin(ang)])
        xy = np.vstack([xy, child])
        days = np.concatenate([days, days[has] + rng.uniform(0, 7, k)])
    return xy, days


SIM_BANDS = dict(spatial_bands=[0, 100, 200, 400, 800], temporal_bands=[0, 7, 14, 28, 56], same_location=False)


def test_knox_detects_near_repeats_only_in_their_bands():
    xy, days = _near_repeat_process(21, offspring=True)
    knox = KnoxTest(**SIM_BANDS, permutations=199, seed=4, time_resolution="second").fit(xy, days)
    t = knox.table_
    target = t[(t.distance_to_m == 100) & (t.days_to == 7)].iloc[0]
    assert target.knox_ratio > 3 and target.p_value <= 0.01
    others = t[~((t.distance_to_m == 100) & (t.days_to == 7))]
    assert not ((others.knox_ratio > 1.5) & (others.p_value < 0.01)).any()

    window = risk_window(knox, ratio_threshold=1.5, alpha=0.05)
    assert window.raised and window.radius_m == 100 and window.days == 7


def test_knox_poisson_control_shows_nothing():
    xy, days = _near_repeat_process(22, offspring=False)
    knox = KnoxTest(**SIM_BANDS, permutations=199, seed=4, time_resolution="second").fit(xy, days)
    t = knox.table_
    assert not ((t.knox_ratio > 1.5) & (t.p_value < 0.01)).any()
    sd = knox.simulated_.reshape(len(knox.simulated_), -1).std(axis=0)
    assert (np.abs(t.observed - t.expected) <= 4 * sd + 1).all()  # within test error everywhere
    assert not risk_window(knox, ratio_threshold=1.5, alpha=0.01).raised


def test_near_repeat_windows_frame():
    xy, days = _near_repeat_process(21, offspring=True)
    knox = KnoxTest(**SIM_BANDS, permutations=99, seed=4, time_resolution="second").fit(xy, days)
    times = pd.Series(pd.Timestamp("2023-01-01", tz=TZ) + pd.to_timedelta(days, unit="D"))
    inc = pd.DataFrame({"incident_id": [f"i{k}" for k in range(len(xy))], "x": xy[:, 0], "y": xy[:, 1], "occurred_at": times})
    out = near_repeat_windows(inc, knox, ratio_threshold=1.5, since="2024-12-01")
    assert list(out.columns) == ["incident_id", "x", "y", "radius_m", "start", "end"]
    assert len(out) == int((times >= pd.Timestamp("2024-12-01", tz=TZ)).sum()) > 0
    assert (out.radius_m == 100).all()
    assert ((out.end - out.start) == pd.Timedelta(days=7)).all()
    assert out.start.is_monotonic_increasing


def test_knox_ratio_matrix_and_geodataframe_input():
    xy, t = _city(150, seed=9)
    gdf = gpd.GeoDataFrame({"occurred_at": t}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32618")
    knox = KnoxTest(permutations=19, seed=0).fit(gdf)
    m = knox.ratio_matrix()
    assert m.shape == (8, 6)  # same location + 6 finite + open, 5 finite + open
    assert list(m.index)[0] == "same location" and list(m.columns)[-1] == "[70, inf) d"


def test_knox_input_errors():
    xy, t = _city(20, seed=1)
    with pytest.raises(DataError, match="time zone"):
        KnoxTest(permutations=9).fit(xy, t.dt.tz_localize(None))
    with pytest.raises(DataError, match="at least 2"):
        KnoxTest(permutations=9).fit(xy[:1], t[:1])
    geo = gpd.GeoDataFrame({"occurred_at": t}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:4326")
    with pytest.raises(DataError, match="geographic"):
        KnoxTest(permutations=9).fit(geo)
    bad = xy.copy()
    bad[3, 0] = np.nan
    with pytest.raises(DataError, match="non-finite"):
        KnoxTest(permutations=9).fit(bad, t)
    with pytest.raises(ValueError):
        KnoxTest(spatial_bands=[10, 20], permutations=9).fit(xy, t)
    with pytest.raises(ValueError, match="engine"):
        KnoxTest(permutations=9, engine="fortran").fit(xy, t)


# -- tiled engine (bounded memory, Dask) ----------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_knox_tiles_equal_brute_force_and_in_memory(engine):
    """Many small tiles (a few pairs each) give the brute-force table bit for bit."""
    xy, t = _city(260, seed=11)
    s_edges, t_edges = (0, 100, 250, 400), (0, 7, 21, 45)
    kw = dict(same_location=True, permutations=30, seed=5, engine=engine)
    tiled = KnoxTest(s_edges, t_edges, tiles=True, tile_pairs=20, **kw).fit(xy, t)
    assert tiled.engine_.startswith(f"{engine} tiled") and int(tiled.engine_.split("(")[1].split()[0]) > 20
    mem = KnoxTest(s_edges, t_edges, tiles=False, **kw).fit(xy, t)
    assert mem.engine_ == engine
    days = t.dt.tz_convert(TZ).dt.tz_localize(None).dt.normalize()
    units = ((days - days.min()).dt.days).to_numpy()
    obs, sims = brute_knox(xy, units, np.array(s_edges, float), np.array(t_edges), True, 0.0, 30, 5)
    np.testing.assert_array_equal(tiled.observed_, obs)
    np.testing.assert_array_equal(tiled.simulated_, sims)
    pd.testing.assert_frame_equal(tiled.table_, mem.table_)


def test_knox_tiles_auto_switch_and_errors():
    xy, t = _city(200, seed=3)
    auto = KnoxTest(permutations=9, seed=1, max_pairs_in_memory=10).fit(xy, t)
    assert "tiled" in auto.engine_
    assert "tiled" not in KnoxTest(permutations=9, seed=1).fit(xy, t).engine_
    with pytest.raises(ValueError, match="tiles"):
        KnoxTest(permutations=9, tiles="always").fit(xy, t)


def test_knox_tiles_on_a_dask_cluster_equal_the_single_process_run(tmp_path):
    distributed = pytest.importorskip("distributed")
    xy, t = _city(400, seed=8)
    kw = dict(permutations=40, seed=9, tile_pairs=200)
    single = KnoxTest(tiles=True, **kw).fit(xy, t)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        on_cluster = KnoxTest(scheduler=client, tmp_dir=str(tmp_path), **kw).fit(xy, t)
    np.testing.assert_array_equal(single.simulated_, on_cluster.simulated_)
    pd.testing.assert_frame_equal(single.table_, on_cluster.table_)
    assert list(tmp_path.iterdir()) == []  # the permuted-times file is removed


_FRESH_FIT = """
import numpy as np
from workbench.spatial import KnoxTest, _knox_kernel
rng = np.random.default_rng(1)
knox = KnoxTest(permutations=70, seed=1, engine="numba").fit(rng.uniform(0, 2000, (400, 2)), rng.integers(0, 300, 400))
s = _knox_kernel._count_close.stats
print(knox.engine_, sum(s.cache_hits.values()), sum(s.cache_misses.values()))
"""


@pytest.mark.skipif(not NUMBA, reason="numba not installed")
def test_knox_kernel_is_cached_on_disk_for_fresh_processes():
    """The default install's compiled kernel is compiled at most once: a second fresh process loads it."""
    import subprocess
    import sys

    for _ in range(2):  # the first process may compile (new machine or changed source), the second must not
        out = subprocess.run([sys.executable, "-c", _FRESH_FIT], capture_output=True, text=True, check=True)
    engine, hits, misses = out.stdout.split()
    assert engine == "numba" and int(hits) >= 1 and int(misses) == 0
