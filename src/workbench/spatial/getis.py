"""Getis-Ord Gi* hot and cold spots on areas or grid cells (esda.G_Local with star=True).

Weights come from libpysal: queen contiguity for polygons, k-nearest neighbours or a distance band
on centroids (grid cells). Binary weights with self-weight 1 (Gi*), so
``z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n W_i - W_i^2) / (n - 1)))`` with ``W_i = sum_j w_ij``
and ``S^2 = mean(x^2) - xbar^2`` (Ord & Getis 1995).

Permutation inference (``p_sim``) is esda's conditional randomization, computed here with numpy
(:func:`conditional_p_sim`): the same permuted neighbour ids as esda's numpy path (legacy
``RandomState(seed).choice`` per permutation), the same statistic and esda's default ("directed")
pseudo p-value. esda switches to numba when it is importable and then compiles its kernels in every
new process (tens of seconds); numba is a dependency here (for the Knox kernel), so esda's ``crand``
is never called. ``tests/test_spatial_hotspots.py`` checks that ``p_sim`` equals esda's numpy path.

Classes follow the usual 90/95/99% confidence bins on the two-sided p-value of ``z`` (or the
permutation p-value), optionally after Benjamini-Hochberg FDR adjustment
(``scipy.stats.false_discovery_control``).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from esda import G_Local
from libpysal import weights as lpw
from scipy import stats

from workbench.data.errors import DataError


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


class GetisOrd:
    """Getis-Ord Gi* per area or cell, with hot/cold classes (an estimator: settings, then ``fit``).

    Parameters
    ----------
    permutations : int, default 999
        Conditional permutations for ``p_sim_`` (0: none).
    seed : int, optional
        Seed for the permutations.
    fdr : bool, default True
        Classify on Benjamini-Hochberg adjusted p-values.
    p_source : {'analytic', 'permutation'}
        Which p-value the classes use.

    Attributes
    ----------
    gi_ : ndarray
        G* statistic per area.
    z_ : ndarray
        Standardized G* (a z-score; positive: high values cluster).
    p_ : ndarray
        Two-sided normal p-value of ``z_``.
    p_sim_ : ndarray
        esda's directed pseudo p-value of the conditional permutations (NaN without permutations).
    p_fdr_ : ndarray
        The p-value the classes use (BH-adjusted when ``fdr``).
    cls_ : ndarray of str
        ``'hot spot 99%'`` ... ``'cold spot 90%'`` or ``'not significant'``.
    summary_ : DataFrame
        ``value``, ``gi``, ``z``, ``p_value``, ``p_sim``, ``p_fdr``, ``cls`` per area (index of
        ``values`` when it is a Series).
    n_ : int
        Number of areas.

    Examples
    --------
    A 5 x 5 grid of cells with a cluster of high counts in one corner:

    >>> import numpy as np
    >>> from libpysal.weights import lat2W
    >>> from workbench.spatial import GetisOrd
    >>> counts = np.zeros(25)
    >>> counts[[0, 1, 5, 6]] = 10
    >>> gi = GetisOrd(permutations=99, seed=1).fit(counts, lat2W(5, 5, rook=False))
    >>> bool(gi.z_[0] > 2), str(gi.cls_[0]), str(gi.cls_[24])
    (True, 'hot spot 99%', 'not significant')
    >>> list(gi.summary_.columns)
    ['value', 'gi', 'z', 'p_value', 'p_sim', 'p_fdr', 'cls']
    """

    def __init__(self, permutations: int = 999, seed: int | None = None, fdr: bool = True,
                 p_source: str = "analytic") -> None:
        self.permutations = permutations
        self.seed = seed
        self.fdr = fdr
        self.p_source = p_source

    def fit(self, values: Any, weights: Any) -> "GetisOrd":
        """Compute Gi* for ``values`` on binary ``weights`` (a libpysal W; self-weight 1 added).

        Parameters
        ----------
        values : (n,) array-like or Series
            Counts or rates per area, finite.
        weights : libpysal W
            Spatial weights of the same ``n`` areas (see :func:`build_weights`).

        Returns
        -------
        GetisOrd
            ``self``, fitted.
        """
        if self.p_source not in ("analytic", "permutation"):
            raise ValueError("p_source must be 'analytic' or 'permutation'")
        if self.p_source == "permutation" and not self.permutations:
            raise ValueError("p_source='permutation' needs permutations > 0")
        index = values.index if isinstance(values, pd.Series) else None
        y = np.asarray(values, dtype=float)
        if not np.isfinite(y).all():
            raise ValueError(f"values must be finite: {int((~np.isfinite(y)).sum())} are not")
        # analytic part from esda (numpy only); permutations: ours, never esda's numba crand
        g = G_Local(y, weights, transform="B", permutations=0, star=True, keep_simulations=False, n_jobs=1)
        self.gi_ = np.asarray(g.Gs, float)
        self.z_ = np.asarray(g.Zs, float)
        self.p_ = 2 * stats.norm.sf(np.abs(self.z_))
        if self.permutations:
            self.p_sim_ = conditional_p_sim(y, g.w.sparse, self.gi_, int(self.permutations), self.seed)
        else:
            self.p_sim_ = np.full(len(y), np.nan)
        base = self.p_ if self.p_source == "analytic" else self.p_sim_
        self.p_fdr_ = stats.false_discovery_control(np.nan_to_num(base, nan=1.0), method="bh") if self.fdr else base
        self.cls_ = classify(self.z_, self.p_fdr_)
        self.n_ = len(y)
        self.summary_ = pd.DataFrame({"value": y, "gi": self.gi_, "z": self.z_, "p_value": self.p_,
                                      "p_sim": self.p_sim_, "p_fdr": self.p_fdr_, "cls": self.cls_}, index=index)
        return self


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
    """Getis-Ord Gi* per area or cell, with hot/cold classes (a table from :class:`GetisOrd`).

    Parameters
    ----------
    geoms : GeoDataFrame
        Areas or grid cells (see :func:`workbench.spatial.grid_counts`) with the value column.
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
        ``p_sim`` (esda's directed pseudo p-value, NaN without permutations), ``p_fdr`` (BH-adjusted
        p used for classes, or the raw one when ``fdr=False``), ``cls``.

    Examples
    --------
    Shootings of the tiny synthetic city counted on 500 m cells:

    >>> from workbench.synth import generate_city
    >>> from workbench.spatial import getis_ord, grid_counts
    >>> ds = generate_city("tiny", seed=1).dataset  # doctest: +SKIP
    >>> cells = grid_counts(ds.points("incidents"), cell_m=500.0)
    >>> gi = getis_ord(cells, "count", "knn", k=8, permutations=0, id_column="cell_id")
    >>> list(gi.columns)
    ['cell_id', 'value', 'gi', 'z', 'p_value', 'p_sim', 'p_fdr', 'cls']
    >>> bool(gi.loc[gi["cls"].str.startswith("hot"), "z"].gt(0).all())
    True
    """
    if column not in geoms.columns:
        raise DataError.single("areas", column, "column is missing")
    y = pd.to_numeric(geoms[column], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(y)
    if bad.any():
        ids = geoms[id_column].to_numpy() if id_column else np.arange(len(y))
        raise DataError.single("areas", column, "non-numeric or missing value", ids=list(ids[bad][:5]), n_rows=int(bad.sum()))
    if p_source not in ("analytic", "permutation"):
        raise ValueError("p_source must be 'analytic' or 'permutation'")
    w = weights if not isinstance(weights, str) else build_weights(geoms, weights, k=k, distance=distance)
    est = GetisOrd(permutations=permutations, seed=seed, fdr=fdr, p_source=p_source).fit(y, w)
    out = est.summary_.copy()
    if id_column:
        out.insert(0, id_column, geoms[id_column].to_numpy())
    out.index = geoms.index
    return out


def conditional_p_sim(
    y: np.ndarray, weights: Any, observed: np.ndarray, permutations: int, seed: int | None = None,
    chunk_values: int = 20_000_000,
) -> np.ndarray:
    """Gi* pseudo p-values by conditional randomization, as esda's ``crand`` numpy path computes them.

    For each area ``i`` the values of its ``k_i`` neighbours are replaced by values drawn without
    replacement from the other ``n - 1`` areas (the same ids for every area: row ``p`` of
    ``RandomState(seed).choice(n - 1, max k, replace=False)`` drawn ``permutations`` times, shifted past
    ``i``), and ``G*_i = (sum_j w_ij y_j + w_ii y_i) / sum(y)`` is recomputed. The p-value is esda's
    default ("directed"): ``(min(#sim >= obs, #sim < obs) + 1) / (permutations + 1)``.

    Parameters
    ----------
    y : (n,) array
        Values.
    weights : scipy sparse matrix
        Gi* weights with the self-weight on the diagonal (``G_Local(...).w.sparse``).
    observed : (n,) array
        Observed ``G*_i`` (``G_Local(...).Gs``).
    permutations : int
    seed : int, optional
        As esda's ``seed`` (None: a random one).
    chunk_values : int
        Simulated neighbour values held at once (memory: 8 bytes each).

    Returns
    -------
    numpy.ndarray
        ``p_sim`` per area (float32 values, as esda stores them, returned as float64).
    """
    from scipy import sparse

    y = np.asarray(y, float)
    n = len(y)
    adj = sparse.csr_matrix(weights, copy=True)
    self_w = adj.diagonal().astype(float)
    adj.setdiag(0)
    adj.eliminate_zeros()
    card = np.diff(adj.indptr)
    k_max = max(1, int(card.max()))
    if seed is None:
        seed = int(np.random.default_rng().integers(12345, 12345000))
    rs = np.random.RandomState(seed)
    ids = np.stack([rs.choice(n - 1, size=k_max, replace=False) for _ in range(permutations)])  # (P, k)
    # neighbour weights per area, padded with 0 (islands: one draw with weight 0 and no self-weight, as esda)
    wmat = np.zeros((n, k_max))
    col = np.arange(adj.nnz) - np.repeat(adj.indptr[:-1], card)
    wmat[np.repeat(np.arange(n), card), col] = adj.data
    island = card == 0
    self_w = np.where(island, 0.0, self_w)
    scaling = y.sum()
    p_sim = np.empty(n, dtype=np.float32)
    step = max(1, chunk_values // (permutations * k_max))
    below = y[ids]  # value of "other" id q for an area i > q ...
    above = y[np.minimum(ids + 1, n - 1)]  # ... and for i <= q (the ids skip area i itself)
    for a in range(0, n, step):
        rows = np.arange(a, min(n, a + step))
        vals = np.where(ids[None] >= rows[:, None, None], above[None], below[None])
        sims = (np.einsum("rpk,rk->rp", vals, wmat[rows]) + (self_w[rows] * y[rows])[:, None]) / scaling
        larger = (sims >= observed[rows, None]).sum(axis=1)
        low = (permutations - larger) < larger
        larger[low] = permutations - larger[low]
        p_sim[rows] = (larger + 1.0) / (permutations + 1.0)
    return p_sim.astype(float)

