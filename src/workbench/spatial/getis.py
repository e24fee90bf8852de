"""Getis-Ord Gi* hot and cold spots on areas or grid cells (esda.G_Local with star=True).

Weights come from libpysal: queen contiguity for polygons, k-nearest neighbours or a distance band
on centroids (grid cells). Binary weights with self-weight 1 (Gi*), so
``z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n W_i - W_i^2) / (n - 1)))`` with ``W_i = sum_j w_ij``
and ``S^2 = mean(x^2) - xbar^2`` (Ord & Getis 1995).

Classes follow the usual 90/95/99% confidence bins on the two-sided p-value of ``z`` (or the
permutation p-value), optionally after Benjamini-Hochberg FDR adjustment
(``scipy.stats.false_discovery_control``).
"""

from __future__ import annotations

import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from esda import G_Local
from libpysal import weights as lpw
from scipy import stats

from workbench.data.errors import DataError

from ._inputs import as_xy, check_projected

#: Confidence levels for the classes, highest first.
CONFIDENCE = (0.99, 0.95, 0.90)


def build_weights(geoms: gpd.GeoDataFrame, method: str = "queen", k: int = 8, distance: float | None = None):
    """libpysal weights for areas or cells.

    Parameters
    ----------
    geoms : GeoDataFrame
        Polygons (``queen``) or anything with centroids (``knn``, ``distance``), projected CRS for
        ``distance``.
    method : {'queen', 'knn', 'distance'}
    k : int
        Neighbours for ``knn``.
    distance : float
        Band in meters for ``distance`` (binary: neighbours closer than or at ``distance``).
    """
    if method == "queen":
        return lpw.Queen.from_dataframe(geoms, use_index=False, silence_warnings=True)
    coords = np.column_stack([geoms.geometry.centroid.x, geoms.geometry.centroid.y])
    if method == "knn":
        return lpw.KNN.from_array(coords, k=k)
    if method == "distance":
        if distance is None:
            raise ValueError("method='distance' needs distance (meters)")
        return lpw.DistanceBand.from_array(coords, threshold=distance, binary=True, silence_warnings=True)
    raise ValueError(f"method must be 'queen', 'knn' or 'distance', got {method!r}")


def classify(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """'hot spot 99%' ... 'cold spot 90%' or 'not significant' from z and a (two-sided) p."""
    out = np.full(len(z), "not significant", dtype=object)
    for conf in sorted(CONFIDENCE):  # lowest first, overwritten by higher confidence
        sig = p < 1 - conf + 1e-12
        out[sig & (z > 0)] = f"hot spot {conf:.0%}"
        out[sig & (z < 0)] = f"cold spot {conf:.0%}"
    return out


def getis_ord(
    geoms: gpd.GeoDataFrame,
    column: str,
    weights: Any = "queen",
    *,
    k: int = 8,
    distance: float | None = None,
    permutations: int = 999,
    seed: int | None = None,
    fdr: bool = True,
    p_source: str = "analytic",
    id_column: str | None = None,
) -> pd.DataFrame:
    """Getis-Ord Gi* per area or cell, with hot/cold classes.

    Parameters
    ----------
    geoms : GeoDataFrame
        Areas or grid cells (see :func:`grid_counts`) with the value column.
    column : str
        Values (counts or rates).
    weights : {'queen', 'knn', 'distance'} or libpysal W
        Spatial weights (binary; the self-weight 1 is added for Gi*).
    k, distance : see :func:`build_weights`.
    permutations : int, default 999
        Conditional permutations for ``p_sim`` (0: none).
    seed : int, optional
        Seed for the permutations.
    fdr : bool, default True
        Classify on Benjamini-Hochberg adjusted p-values (``p_fdr``).
    p_source : {'analytic', 'permutation'}
        Which p-value the classes use.
    id_column : str, optional
        Id column copied to the output.

    Returns
    -------
    DataFrame
        ``id`` (when given), ``value``, ``gi`` (G statistic), ``z``, ``p_value`` (two-sided, normal),
        ``p_sim`` (esda's folded pseudo p-value, NaN without permutations), ``p_fdr`` (BH-adjusted
        p used for classes, or the raw one when ``fdr=False``), ``cls``.
    """
    if column not in geoms.columns:
        raise DataError.single("areas", column, "column is missing")
    y = pd.to_numeric(geoms[column], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(y)
    if bad.any():
        ids = geoms[id_column].to_numpy() if id_column else np.arange(len(y))
        raise DataError.single("areas", column, "non-numeric or missing value", ids=list(ids[bad][:5]), n_rows=int(bad.sum()))
    w = weights if not isinstance(weights, str) else build_weights(geoms, weights, k=k, distance=distance)
    with warnings.catch_warnings():  # esda announces a future change of its (directed) p_sim
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="esda")
        g = G_Local(
            y, w, transform="B", permutations=permutations, star=True, seed=seed, keep_simulations=False, n_jobs=1
        )
    z = np.asarray(g.Zs, float)
    p = 2 * stats.norm.sf(np.abs(z))
    p_sim = np.asarray(g.p_sim, float) if permutations else np.full(len(y), np.nan)
    if p_source not in ("analytic", "permutation"):
        raise ValueError("p_source must be 'analytic' or 'permutation'")
    base = p if p_source == "analytic" else p_sim
    if p_source == "permutation" and not permutations:
        raise ValueError("p_source='permutation' needs permutations > 0")
    p_cls = stats.false_discovery_control(np.nan_to_num(base, nan=1.0), method="bh") if fdr else base
    out = pd.DataFrame({"value": y, "gi": np.asarray(g.Gs, float), "z": z, "p_value": p, "p_sim": p_sim, "p_fdr": p_cls})
    out["cls"] = classify(z, p_cls)
    if id_column:
        out.insert(0, id_column, geoms[id_column].to_numpy())
    out.index = geoms.index
    return out


def grid_counts(
    points: Any, cell_size: float = 250.0, bounds: tuple[float, float, float, float] | None = None, crs: Any = None
) -> gpd.GeoDataFrame:
    """Square grid cells with point counts, for Gi* on cells.

    Parameters
    ----------
    points : (n, 2) array, DataFrame with ``x``/``y``, or GeoDataFrame (projected CRS)
    cell_size : float
        Cell side, meters.
    bounds : (xmin, ymin, xmax, ymax), optional
        Default: the points' bounding box.
    crs : optional
        CRS of the cells (default: that of ``points`` when a GeoDataFrame).

    Returns
    -------
    GeoDataFrame
        ``cell_id`` (``"r<row>c<col>"``), ``row``, ``col``, ``count``, square polygons.
    """
    xy = as_xy(points)
    if isinstance(points, gpd.GeoDataFrame):
        check_projected(points, "incidents")
        crs = crs or points.crs
    lo = xy.min(axis=0) if bounds is None else np.asarray(bounds[:2], float)
    hi = xy.max(axis=0) if bounds is None else np.asarray(bounds[2:], float)
    nx, ny = (np.floor((hi - lo) / cell_size).astype(int) + 1).tolist()
    col = np.floor((xy[:, 0] - lo[0]) / cell_size).astype(int)
    row = np.floor((xy[:, 1] - lo[1]) / cell_size).astype(int)
    ok = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
    counts = np.bincount(row[ok] * nx + col[ok], minlength=nx * ny)
    rows, cols = np.divmod(np.arange(nx * ny), nx)
    x0 = lo[0] + cols * cell_size
    y0 = lo[1] + rows * cell_size
    geom = shapely.box(x0, y0, x0 + cell_size, y0 + cell_size)
    ids = np.char.add(np.char.add("r", rows.astype(str)), np.char.add("c", cols.astype(str)))
    return gpd.GeoDataFrame({"cell_id": ids, "row": rows, "col": cols, "count": counts}, geometry=geom, crs=crs)
