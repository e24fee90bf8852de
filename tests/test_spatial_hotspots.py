"""Kernel density (mass, direct sum, per resident, top cells) and Getis-Ord Gi* (esda, direct formula)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from esda import G_Local
from libpysal.weights import W

from workbench.spatial import KernelDensity, getis_ord, grid_counts, hot_spots, kde_grid, kernel_weights

CRS = "EPSG:32618"


def direct_density(kd: KernelDensity, xy: np.ndarray) -> np.ndarray:
    """Continuous kernel summed over points at every cell center (the definition)."""
    X, Y = np.meshgrid(kd.x_, kd.y_)
    r2 = (X[..., None] - xy[:, 0]) ** 2 + (Y[..., None] - xy[:, 1]) ** 2
    h = kd.bandwidth
    if kd.kernel == "quartic":
        k = np.where(r2 < h * h, 3 / (np.pi * h * h) * (1 - r2 / (h * h)) ** 2, 0.0)
    else:
        k = np.exp(-r2 / (2 * h * h)) / (2 * np.pi * h * h)
    return k.sum(axis=-1)


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_kde_integrates_to_n_and_matches_direct_sum(kernel):
    rng = np.random.default_rng(0)
    xy = rng.normal(0, 300, (60, 2))
    kd = KernelDensity(bandwidth=150, cell_size=10, kernel=kernel).fit(xy)
    assert kd.density_.sum() * kd.cell_area_ == pytest.approx(60, rel=1e-9)
    assert kd.edge_mass_ == 0
    direct = direct_density(kd, xy)
    assert np.abs(kd.density_ - direct).max() <= 0.01 * direct.max()
    frame = kde_grid(xy, bandwidth=150, cell_size=10, kernel=kernel)
    assert frame["expected"].sum() == pytest.approx(60)


def test_kde_points_on_cell_centers_are_exact():
    # a point exactly on a cell center is binned to that cell alone: the surface is the
    # (renormalized) discrete kernel itself
    kd = KernelDensity(bandwidth=40, cell_size=10, kernel="quartic", bounds=(0, 0, 200, 200)).fit(np.array([[105.0, 95.0]]))
    w = kernel_weights("quartic", 40, 10)
    m = w.shape[0] // 2
    np.testing.assert_allclose(kd.density_[9 - m : 9 + m + 1, 10 - m : 10 + m + 1] * 100, w, atol=1e-12)


def test_kde_weights_and_bounded_edge_mass():
    xy = np.array([[10.0, 10.0], [500.0, 500.0]])
    kd = KernelDensity(bandwidth=100, cell_size=10, bounds=(0, 0, 1000, 1000)).fit(xy, weights=[2.0, 1.0])
    assert kd.n_ == 3
    assert 0.1 < kd.edge_mass_ < 0.6  # most of the corner point's mass falls off the box
    with pytest.raises(ValueError):
        KernelDensity(kernel="epanechnikov").fit(xy)


def _two_squares(pop=(1000, 4000)):
    return gpd.GeoDataFrame(
        {"area_id": ["A", "B"], "population": list(pop)},
        geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
        crs=CRS,
    )


def test_kde_per_resident_areal():
    rng = np.random.default_rng(1)
    xy = rng.uniform(200, 1800, (200, 2)) * [1, 0.5]
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1] + 250), crs=CRS)
    kd = KernelDensity(bandwidth=100, cell_size=50).fit(gdf)
    per = kd.per_resident(_two_squares().to_crs("EPSG:4326"))  # reprojected to the points' CRS
    row = per[(per.area_id == "B")].iloc[0]
    assert row["residents_per_m2"] == pytest.approx(4000 / 1e6)
    assert row["per_1000_residents"] == pytest.approx(row["density"] / (4000 / 1e6) * 1000)
    assert per.loc[per.area_id.isna(), "per_1000_residents"].isna().all()


def test_hot_spots_top_share():
    frame = pd.DataFrame({"density": np.arange(100, dtype=float), "expected": np.arange(100, dtype=float)})
    hot = hot_spots(frame, top=0.1)
    assert len(hot) == 10  # 99 positive cells, ceil(9.9)
    assert hot["density"].tolist() == list(range(99, 89, -1))
    assert hot["rank"].tolist() == list(range(1, 11))
    assert hot["cumulative_share"].iloc[-1] == pytest.approx(sum(range(90, 100)) / sum(range(100)))


# -- Getis-Ord Gi* ----------------------------------------------------------------------------------
def _lattice(values: np.ndarray) -> gpd.GeoDataFrame:
    n = values.shape[0]
    r, c = np.divmod(np.arange(n * n), n)
    geom = shapely.box(c * 100.0, r * 100.0, c * 100.0 + 100, r * 100.0 + 100)
    return gpd.GeoDataFrame({"id": [f"c{k}" for k in range(n * n)], "v": values.ravel(), "r": r, "c": c}, geometry=geom, crs=CRS)


def direct_gi_star(x: np.ndarray, r: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Ord & Getis (1995) Gi* with binary queen weights and self-weight 1, by the textbook formula."""
    n = len(x)
    w = ((np.abs(r[:, None] - r[None, :]) <= 1) & (np.abs(c[:, None] - c[None, :]) <= 1)).astype(float)
    xbar = x.mean()
    s = np.sqrt((x**2).mean() - xbar**2)
    wi = w.sum(axis=1)
    return (w @ x - xbar * wi) / (s * np.sqrt((n * wi - wi**2) / (n - 1)))


def test_getis_ord_matches_direct_formula_and_esda():
    rng = np.random.default_rng(3)
    vals = rng.poisson(3, (7, 7)).astype(float)
    vals[1:3, 1:3] += 12  # planted hot spot
    g = _lattice(vals)
    out = getis_ord(g, "v", "queen", permutations=99, seed=1, id_column="id")
    np.testing.assert_allclose(out["z"], direct_gi_star(g.v.to_numpy(), g.r.to_numpy(), g.c.to_numpy()), rtol=1e-10)
    # esda itself, called directly with the same weights
    from workbench.spatial import build_weights

    ref = G_Local(g.v.to_numpy(), build_weights(g, "queen"), transform="B", star=True, permutations=0)
    np.testing.assert_allclose(out["z"], ref.Zs)
    assert out.loc[out.id == "c8", "cls"].item().startswith("hot spot")  # row 1, col 1
    assert set(out["cls"]) <= {"not significant"} | {f"{k} spot {c}%" for k in ("hot", "cold") for c in (90, 95, 99)}
    assert out["p_sim"].between(0, 1).all()


def test_getis_ord_classes_and_fdr():
    from workbench.spatial.getis import classify

    z = np.array([3.0, 2.0, 1.7, 0.5, -2.7])
    p = np.array([0.002, 0.04, 0.09, 0.6, 0.007])
    assert classify(z, p).tolist() == ["hot spot 99%", "hot spot 95%", "hot spot 90%", "not significant", "cold spot 99%"]
    vals = np.zeros((6, 6))
    vals[0, 0] = 5
    g = _lattice(vals + np.arange(36).reshape(6, 6) % 3)
    raw = getis_ord(g, "v", "knn", k=4, permutations=0, fdr=False)
    adj = getis_ord(g, "v", "knn", k=4, permutations=0, fdr=True)
    assert (adj["p_fdr"] >= raw["p_fdr"] - 1e-15).all()


def test_grid_counts_and_gi_on_cells():
    rng = np.random.default_rng(4)
    xy = np.vstack([rng.uniform(0, 2000, (400, 2)), rng.normal(500, 60, (150, 2))])
    cells = grid_counts(gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS), cell_m=250)
    assert cells["count"].sum() == len(xy)
    assert cells.crs == CRS
    out = getis_ord(cells, "count", "distance", distance=260, permutations=0, id_column="cell_id")
    top = out.sort_values("z").iloc[-1]
    assert top["cls"] == "hot spot 99%"
    cx, cy = cells.set_index("cell_id").loc[top["cell_id"], ["col", "row"]]
    assert abs(cx * 250 + 125 - 500) <= 375 and abs(cy * 250 + 125 - 500) <= 375


def test_getis_ord_bad_values():
    from workbench.data.errors import DataError

    g = _lattice(np.ones((3, 3)))
    g.loc[2, "v"] = np.nan
    with pytest.raises(DataError, match="1 row"):
        getis_ord(g, "v", id_column="id")


def test_getis_ord_accepts_libpysal_weights():
    from workbench.spatial import build_weights

    g = _lattice(np.arange(25, dtype=float).reshape(5, 5) % 7)
    w = build_weights(g, "queen")
    assert isinstance(w, W)
    by_name = getis_ord(g, "v", "queen", permutations=0)
    by_object = getis_ord(g, "v", w, permutations=0)
    pd.testing.assert_frame_equal(by_name, by_object)


_ESDA_NUMPY_PATH = """
import sys, json, warnings
sys.modules["numba"] = None  # esda falls back to its numpy path (as without numba installed)
import numpy as np
from esda import G_Local
from libpysal.weights import W
args = json.load(sys.stdin)
w = W({int(k): v for k, v in args["neighbors"].items()})
warnings.simplefilter("ignore")
g = G_Local(np.array(args["y"]), w, transform="B", star=True, permutations=args["perms"], seed=args["seed"],
            keep_simulations=False, n_jobs=1)
print(json.dumps(np.asarray(g.p_sim, float).tolist()))
"""


@pytest.mark.parametrize("method", ["queen", "knn"])
def test_getis_ord_p_sim_equals_esda_numpy_path(method):
    """Our permutation inference gives esda's p_sim exactly (esda run in a process without numba),
    and no numba compilation happens here: the whole call takes well under a second."""
    import json
    import subprocess
    import sys
    import time

    from workbench.spatial import build_weights

    rng = np.random.default_rng(5)
    vals = rng.poisson(2, (9, 9)).astype(float)
    vals[2:4, 5:7] += 9
    g = _lattice(vals)
    w = build_weights(g, method, k=5)
    t0 = time.perf_counter()
    out = getis_ord(g, "v", w, permutations=199, seed=42)
    assert time.perf_counter() - t0 < 5  # esda's numba crand would compile for tens of seconds
    payload = {"y": g.v.tolist(), "neighbors": {str(k): [int(j) for j in v] for k, v in w.neighbors.items()},
               "perms": 199, "seed": 42}
    ref = subprocess.run([sys.executable, "-c", _ESDA_NUMPY_PATH], input=json.dumps(payload), capture_output=True,
                         text=True, check=True)
    np.testing.assert_array_equal(out["p_sim"].to_numpy(), np.array(json.loads(ref.stdout)))
