"""Knox space-time interaction test with Monte Carlo permutations (the Near Repeat Calculator test).

Every pair of events is placed in a spatial band (distance between them) and a temporal band (days
between them). The observed count of pairs in each band cell is compared with the counts obtained
after randomly permuting the event times over the event locations (which keeps both the spatial and
the temporal pattern and breaks only their interaction).

Bands are half-open ``[a, b)``: spatial edges ``(0, 100, 200)`` give ``[0, 100)``, ``[100, 200)`` and
the open band ``[200, inf)`` meters; with ``same_location=True`` pairs at distance ``<= same_location_m``
(0 by default: identical coordinates) form their own first band and the first finite band becomes
``(same_location_m, 100)``. Temporal edges work alike, in days.

Algorithm (never builds an n x n matrix)
----------------------------------------
1. Pairs closer than the last finite spatial edge come from ``cKDTree.query_pairs`` (with their spatial
   band). Their number per band is permutation-invariant.
2. Pair counts per temporal band over *all* pairs come from the sorted times with ``np.searchsorted``
   (O(n log n)); permuting times does not change the multiset of time differences, so these totals are
   permutation-invariant too.
3. Per permutation only the close pairs are re-timed (events relabelled in k-d tree order for cache
   locality). numpy engine: permutations are processed 8 at a time (day resolution; 4 or 2 for larger
   integers) as lanes of an ``(n, 8)`` int16 matrix whose 16-byte rows are gathered for all close pairs
   at once; only pairs closer in time than the last finite temporal edge are binned (``np.bincount``).
   numba engine (optional, :mod:`._knox_kernel`): a compiled SIMD kernel does 64 per pass.
4. Cells of the open spatial band and of the open temporal band follow by subtraction from the invariant
   totals, exactly (integer arithmetic).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from workbench.data.errors import DataError

from . import _knox_kernel, _knox_tiles
from ._inputs import SECONDS_PER_DAY, as_xy, get_times, resolve_points, times_to_units

#: Default spatial band edges, meters (NRC-style 100 m bands, last finite edge 600 m).
DEFAULT_SPATIAL_BANDS: tuple[float, ...] = (0, 100, 200, 300, 400, 500, 600)
#: Default temporal band edges, days (14-day bands to 70 days).
DEFAULT_TEMPORAL_BANDS: tuple[float, ...] = (0, 14, 28, 42, 56, 70)


@dataclass(frozen=True)
class _Bands:
    """Band edges and labels for one axis."""

    lo: np.ndarray  # lower edge per band (last band: last finite edge)
    hi: np.ndarray  # upper edge per band (inf for the open band)
    labels: list[str]


def _fmt(v: float) -> str:
    return f"{v:g}"


def _spatial_bands(edges: np.ndarray, same: bool, tol: float) -> _Bands:
    lo, hi, labels = [], [], []
    if same:
        lo.append(0.0)
        hi.append(tol)
        labels.append("same location" if tol == 0 else f"same location (<= {_fmt(tol)} m)")
    for k, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        lo.append(a)
        hi.append(b)
        left = "(" if (same and k == 0) else "["
        a_shown = tol if (same and k == 0) else a
        labels.append(f"{left}{_fmt(a_shown)}, {_fmt(b)}) m")
    lo.append(edges[-1])
    hi.append(np.inf)
    labels.append(f"[{_fmt(edges[-1])}, inf) m")
    return _Bands(np.asarray(lo, float), np.asarray(hi, float), labels)


def _temporal_bands(edges: np.ndarray) -> _Bands:
    lo = list(edges[:-1]) + [edges[-1]]
    hi = list(edges[1:]) + [np.inf]
    labels = [f"[{_fmt(a)}, {_fmt(b)}) d" for a, b in zip(edges[:-1], edges[1:])]
    labels.append(f"[{_fmt(edges[-1])}, inf) d")
    return _Bands(np.asarray(lo, float), np.asarray(hi, float), labels)


def _check_edges(edges: Any, name: str) -> np.ndarray:
    e = np.asarray(edges, dtype=float)
    if e.ndim != 1 or e.size < 2 or e[0] != 0 or not np.all(np.diff(e) > 0) or not np.isfinite(e).all():
        raise ValueError(f"{name} must be finite, strictly increasing edges starting at 0 (got {edges!r})")
    return e


def _lane_dtype(max_value: int) -> np.dtype:
    for dt in (np.int16, np.int32, np.int64):
        if max_value < np.iinfo(dt).max // 2:
            return np.dtype(dt)
    raise ValueError("time span too large")  # pragma: no cover


class KnoxTest:
    """Knox test of space-time interaction (near repeats) with Monte Carlo permutations.

    Parameters
    ----------
    spatial_bands : sequence of float, default (0, 100, ..., 600)
        Finite spatial band edges in meters, starting at 0. Bands are ``[a, b)``; pairs at or beyond
        the last edge form the open band ``[last, inf)``.
    temporal_bands : sequence of float, default (0, 14, 28, 42, 56, 70)
        Finite temporal band edges in days, starting at 0, half-open like the spatial ones; the last
        band is ``[last, inf)``.
    same_location : bool, default True
        Put pairs at distance ``<= same_location_m`` in a band of their own (the NRC's "same location").
    same_location_m : float, default 0
        Distance (meters) up to which two events count as the same location.
    permutations : int, default 999
        Number of Monte Carlo permutations of the event times.
    seed : int or numpy.random.Generator, optional
        Seed for ``numpy.random.default_rng``; permutation ``k`` is the ``k``-th call of
        ``rng.permutation(n)``, so a brute-force implementation with the same seed reproduces the table.
    time_resolution : {'day', 'second'}, default 'day'
        ``'day'``: time differences in whole local calendar days (as the NRC, which reads dates);
        ``'second'``: exact differences, compared with the day edges converted to seconds.
    max_pairs_per_block : int, default 1_000_000
        Close pairs x permutations processed at once per thread, to bound memory on large inputs.
    n_jobs : int or None, default -1
        Threads counting close pairs (-1: all cores, None or 1: one). Results do not depend on it:
        the permutations are drawn in order in the main thread and counts are integer sums.
    engine : {'auto', 'numba', 'numpy'}, default 'auto'
        ``'numba'``: compiled kernel, 64 permutations per pass over the pairs; ``'numpy'``:
        vectorized numpy, 8 per pass; ``'auto'``: numba when installed. Both give identical tables.
        (Events are relabelled in k-d tree order for cache locality either way.)
    tiles : {'auto', True, False}, default 'auto'
        Stream the close pairs in spatial tiles (:mod:`._knox_tiles`) instead of holding them all in
        memory (about 25 bytes a pair). ``'auto'``: tiles when a scheduler is given or when the close
        pairs, estimated from a sample, exceed ``max_pairs_in_memory``. Tiles give the same table,
        bit for bit.
    max_pairs_in_memory : int, default 60,000,000
        Above this estimated number of close pairs (about 1.5 GB), ``tiles='auto'`` streams tiles.
    tile_pairs : int, default 4,000,000
        Close pairs aimed at per tile (from a 99th-percentile neighbour count): bounds the memory of
        a tile (about 1 kB per pair with the permutation lanes, under 4 GB at the default).
    scheduler : str or distributed.Client, optional
        Dask distributed scheduler address (the batch runner's ``--scheduler``) or client: the tiles
        run as tasks on its workers (implies ``tiles``). Workers read the permuted times from a file
        in ``tmp_dir``, so they must share that file system (a LocalCluster, or one machine).
    tmp_dir : str, optional
        Folder for the permuted-times file of the tiled engine (``permutations x n x 2`` bytes for
        day resolution; default: the system temporary folder). The file is removed afterwards.

    Attributes
    ----------
    table_ : pandas.DataFrame
        One row per (spatial band, temporal band) cell: ``spatial_band``, ``temporal_band`` (labels),
        ``distance_from_m``, ``distance_to_m``, ``days_from``, ``days_to``, ``observed``, ``expected``
        (mean of the simulations), ``knox_ratio`` (observed / expected), ``sim_median``,
        ``median_ratio`` (observed / median), ``p_value`` ((#simulations >= observed + 1) /
        (permutations + 1)), ``sim_min``, ``sim_p05``, ``sim_p95``, ``sim_max``.
    simulated_ : numpy.ndarray of shape (permutations, n_spatial_bands, n_temporal_bands)
        Simulated counts (int64).
    observed_ : numpy.ndarray of shape (n_spatial_bands, n_temporal_bands)
    n_ : int
        Number of events.
    n_close_pairs_ : int
        Pairs closer than the last finite spatial edge.
    engine_ : str
        Engine used: ``'numba'`` or ``'numpy'``, plus ``' tiled'`` (and the number of tiles) when
        the pairs were streamed.

    Examples
    --------
    Near repeats among the shootings of the tiny synthetic city:

    >>> from workbench.synth import generate_city
    >>> from workbench.spatial import KnoxTest
    >>> ds = generate_city("tiny", seed=1).dataset  # doctest: +SKIP
    >>> knox = KnoxTest(permutations=99, seed=1, n_jobs=1).fit(ds)
    >>> knox.summary_ is knox.table_, knox.n_ == len(ds["incidents"])
    (True, True)
    >>> knox.ratio_matrix().shape  # spatial bands (same location, 6 bands, open) x temporal bands
    (8, 6)
    """

    def __init__(
        self,
        spatial_bands: Any = DEFAULT_SPATIAL_BANDS,
        temporal_bands: Any = DEFAULT_TEMPORAL_BANDS,
        *,
        same_location: bool = True,
        same_location_m: float = 0.0,
        permutations: int = 999,
        seed: int | np.random.Generator | None = None,
        time_resolution: str = "day",
        max_pairs_per_block: int = 1_000_000,
        n_jobs: int | None = -1,
        engine: str = "auto",
        tiles: bool | str = "auto",
        max_pairs_in_memory: int = 60_000_000,
        tile_pairs: int = 4_000_000,
        scheduler: Any = None,
        tmp_dir: str | None = None,
    ) -> None:
        self.spatial_bands = spatial_bands
        self.temporal_bands = temporal_bands
        self.same_location = same_location
        self.same_location_m = same_location_m
        self.permutations = permutations
        self.seed = seed
        self.time_resolution = time_resolution
        self.max_pairs_per_block = max_pairs_per_block
        self.n_jobs = n_jobs
        self.engine = engine
        self.tiles = tiles
        self.max_pairs_in_memory = max_pairs_in_memory
        self.tile_pairs = tile_pairs
        self.scheduler = scheduler
        self.tmp_dir = tmp_dir

    # -- fitting ----------------------------------------------------------------------------------
    def fit(self, points: Any, times: Any = None) -> "KnoxTest":
        """Compute the Knox table.

        Parameters
        ----------
        points : (n, 2) array, DataFrame with ``x``/``y``, GeoDataFrame of points (projected CRS),
            or a Dataset (its incidents)
            Event locations in meters.
        times : array-like or str, optional
            tz-aware event times (or numbers of days), or a column of ``points``
            (default ``'occurred_at'``).

        Returns
        -------
        KnoxTest
            ``self``, with ``table_`` and the other fitted attributes.
        """
        points = resolve_points(points)
        xy = as_xy(points)
        units = times_to_units(get_times(points, times), self.time_resolution)
        n = len(xy)
        if len(units) != n:
            raise DataError.single("incidents", "occurred_at", f"{len(units)} times for {n} locations")
        if n < 2:
            raise DataError.single("incidents", None, f"the Knox test needs at least 2 events, got {n}")
        if int(self.permutations) < 1:
            raise ValueError("permutations must be >= 1")
        se = _check_edges(self.spatial_bands, "spatial_bands")
        te = _check_edges(self.temporal_bands, "temporal_bands")
        tol = float(self.same_location_m)
        if self.same_location and not (0 <= tol < se[1]):
            raise ValueError("same_location_m must be >= 0 and below the first spatial edge")
        per_day = 1 if self.time_resolution == "day" else SECONDS_PER_DAY
        # integer temporal edges: dt < e  <=>  dt < ceil(e * per_day) for integer dt
        te_u = np.ceil(te * per_day).astype(np.int64)
        if np.any(np.diff(te_u) <= 0):
            raise ValueError("temporal band edges collapse at this time resolution")

        self._sbands = _spatial_bands(se, self.same_location, tol)
        self._tbands = _temporal_bands(te)
        n_s = len(self._sbands.labels)  # including the open band
        n_t = len(self._tbands.labels)

        if self.engine not in ("auto", "numba", "numpy"):
            raise ValueError("engine must be 'auto', 'numba' or 'numpy'")
        if self.engine == "numba" and not _knox_kernel.AVAILABLE:
            raise ImportError("engine='numba' needs numba (pip install numba)")
        if self.tiles not in ("auto", True, False):
            raise ValueError("tiles must be 'auto', True or False")
        self._numba = _knox_kernel.AVAILABLE and self.engine != "numpy"
        workers = (os.cpu_count() or 1) if self.n_jobs == -1 else max(1, int(self.n_jobs or 1))
        self._workers = workers
        self._te_u = te_u

        # 2. all-pairs counts per temporal band (permutation-invariant)
        ts = np.sort(units)
        cum = np.array(
            [
                int(np.sum(np.searchsorted(ts, ts + c, side="left") - np.arange(1, n + 1)))
                for c in te_u[1:]
            ],
            dtype=np.int64,
        )  # pairs with dt < c
        del ts
        n_pairs = n * (n - 1) // 2
        time_totals = np.diff(np.concatenate([[0], cum, [n_pairs]]))
        rel = units - units.min()
        lane = _lane_dtype(int(rel.max()) + 1)
        rel = rel.astype(lane)
        rng = self.seed if isinstance(self.seed, np.random.Generator) else np.random.default_rng(self.seed)

        warm = None
        if self._numba:  # load the compiled kernel from the disk cache while the pairs are searched
            idx = np.int32 if n < 2**31 - 1 else np.int64
            warm = threading.Thread(target=_knox_kernel.warm_up, args=(np.dtype(idx), lane), daemon=True)
            warm.start()
        try:
            self._fit_counts(xy, rel, rng, se, te_u, tol, n, n_s, n_t, workers, time_totals, n_pairs, warm)
        finally:
            if warm is not None:
                warm.join()
        return self

    def _fit_counts(self, xy, rel, rng, se, te_u, tol, n, n_s, n_t, workers, time_totals, n_pairs, warm) -> None:
        """Steps 1, 3 and 4 of the algorithm (in memory or in tiles) and the table."""
        tiled = self.tiles is True or self.scheduler is not None
        if self.tiles == "auto" and not tiled:
            tiled = _knox_tiles.estimate_close_pairs(xy, se[-1]) > int(self.max_pairs_in_memory)
        if tiled:
            if self.tiles is False:
                raise ValueError("a scheduler runs tiles: leave tiles='auto' or True")
            if warm is not None:
                warm.join()
            res = _knox_tiles.run_tiles(
                xy, rel, rng, int(self.permutations), se, self.same_location, tol, te_u, n_s - 1, n_t - 1,
                numba=self._numba, threads=workers, max_pairs_per_block=int(self.max_pairs_per_block),
                tile_pairs=int(self.tile_pairs), scheduler=self.scheduler, tmp_dir=self.tmp_dir,
            )
            close_totals, obs_close, sim_close = res.close_totals, res.observed, res.simulated
            self.engine_ = f"{'numba' if self._numba else 'numpy'} tiled ({res.n_tiles} tiles)"
        else:
            # 1. close pairs with their spatial band (permutation-invariant)
            i, j, self._sb, tree_order = _close_pairs(xy, se, self.same_location, tol)
            # relabel events in k-d tree order so the two rows of a pair sit close in memory
            self._order = tree_order
            inv = np.empty(n, dtype=i.dtype)
            inv[tree_order] = np.arange(n, dtype=i.dtype)
            self._i, self._j = inv[i], inv[j]
            del inv, i, j
            close_totals = np.bincount(self._sb, minlength=n_s - 1)[: n_s - 1].astype(np.int64)

            # 3. observed and simulated close x close counts
            if warm is not None:
                warm.join()
            self._pool = ThreadPoolExecutor(workers) if workers > 1 else None
            try:
                obs_close = self._close_counts(rel[self._order][:, None], n_s - 1, n_t - 1)[0]
                sim_close = self._simulate(rel, rng, n_s, n_t)
            finally:
                if self._pool is not None:
                    self._pool.shutdown()
                self._pool = None
            del self._i, self._j, self._sb, self._order
            self.engine_ = "numba" if self._numba else "numpy"

        # 4. fill the open bands by subtraction
        self.observed_ = _complete(obs_close[None], close_totals, time_totals)[0]
        self.simulated_ = _complete(sim_close, close_totals, time_totals)
        self.n_ = n
        self.n_close_pairs_ = int(close_totals.sum())
        self.n_pairs_ = n_pairs
        self.table_ = self._table()

    def _simulate(self, rel: np.ndarray, rng: np.random.Generator, n_s: int, n_t: int) -> np.ndarray:
        """Close-pair counts for each permutation, (permutations, close bands, finite temporal bands).

        With the compiled kernel, block ``k`` is counted in the background while block ``k + 1`` of
        permutations is drawn (the kernel releases the GIL).
        """
        perms = int(self.permutations)
        sim_close = np.empty((perms, n_s - 1, n_t - 1), dtype=np.int64)
        block = lane_block(rel.dtype, self._numba)
        pending: tuple[int, int, Any] | None = None
        for start, b, lanes in permuted_lanes(rel, self._order, perms, block, rng):
            if self._numba and len(self._i):
                wait = _knox_kernel.submit_count(
                    self._pool, self._i, self._j, self._sb, lanes, self._te_u, n_s - 1, n_t - 1, self._workers
                )
            else:
                counts = self._close_counts(lanes, n_s - 1, n_t - 1)
                wait = lambda counts=counts: counts  # noqa: E731
            if pending is not None:
                p_start, p_b, p_wait = pending
                sim_close[p_start : p_start + p_b] = p_wait()[:p_b]
            pending = (start, b, wait)
        if pending is not None:
            p_start, p_b, p_wait = pending
            sim_close[p_start : p_start + p_b] = p_wait()[:p_b]
        return sim_close

    def _close_counts(self, lanes: np.ndarray, n_sc: int, n_tc: int) -> np.ndarray:
        return count_pairs(
            self._i, self._j, self._sb, lanes, self._te_u, n_sc, n_tc, numba=self._numba,
            threads=self._workers, max_pairs_per_block=int(self.max_pairs_per_block), pool=self._pool,
        )

    # -- results ----------------------------------------------------------------------------------
    def _table(self) -> pd.DataFrame:
        sb, tb = self._sbands, self._tbands
        n_s, n_t = len(sb.labels), len(tb.labels)
        sims = self.simulated_.reshape(len(self.simulated_), -1).astype(float)
        obs = self.observed_.ravel()
        expected = sims.mean(axis=0)
        q = np.percentile(sims, [0, 5, 50, 95, 100], axis=0)
        ge = (self.simulated_.reshape(len(sims), -1) >= obs).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(expected > 0, obs / expected, np.nan)
            med_ratio = np.where(q[2] > 0, obs / q[2], np.nan)
        s_idx = np.repeat(np.arange(n_s), n_t)
        t_idx = np.tile(np.arange(n_t), n_s)
        return pd.DataFrame(
            {
                "spatial_band": pd.Categorical(np.asarray(sb.labels)[s_idx], categories=sb.labels, ordered=True),
                "temporal_band": pd.Categorical(np.asarray(tb.labels)[t_idx], categories=tb.labels, ordered=True),
                "distance_from_m": sb.lo[s_idx],
                "distance_to_m": sb.hi[s_idx],
                "days_from": tb.lo[t_idx],
                "days_to": tb.hi[t_idx],
                "observed": obs.astype(np.int64),
                "expected": expected,
                "knox_ratio": ratio,
                "sim_median": q[2],
                "median_ratio": med_ratio,
                "p_value": (ge + 1) / (len(sims) + 1),
                "sim_min": q[0],
                "sim_p05": q[1],
                "sim_p95": q[3],
                "sim_max": q[4],
            }
        )

    @property
    def summary_(self) -> pd.DataFrame:
        """The fitted table (``table_``): one row per band cell with the ratio, its simulation
        envelope (``sim_p05``, ``sim_p95``) and p-value, under the name every workbench estimator
        uses for its results table."""
        return self.table_

    def ratio_matrix(self, value: str = "knox_ratio") -> pd.DataFrame:
        """A column of ``table_`` as a spatial band x temporal band matrix (the NRC layout)."""
        return self.table_.pivot(index="spatial_band", columns="temporal_band", values=value)


def lane_block(lane: np.dtype, numba: bool) -> int:
    """Permutations per pass: one 16-byte row gather (numpy) or one 128-byte row (numba)."""
    return (128 if numba else 16) // np.dtype(lane).itemsize


def permuted_lanes(rel: np.ndarray, order: np.ndarray, perms: int, block: int, rng: np.random.Generator):
    """Yield ``(start, b, lanes)``: permuted times for permutations ``start .. start + b - 1``.

    ``lanes[e, k] = rel[perm_k[order[e]]]`` (events relabelled by ``order``) with ``perm_k`` the
    ``k``-th ``rng.permutation(n)``; ``lanes`` is ``(n, block)`` C-contiguous, unused lanes of the last
    block hold the observed times (discarded).
    """
    n = len(rel)
    own = rel[order]
    for start in range(0, perms, block):
        b = min(block, perms - start)
        cols = np.empty((block, n), dtype=rel.dtype)
        for k in range(b):
            cols[k] = rel[rng.permutation(n)[order]]
        cols[b:] = own
        yield start, b, np.ascontiguousarray(cols.T)


def count_pairs(
    i: np.ndarray,
    j: np.ndarray,
    sb: np.ndarray,
    lanes: np.ndarray,
    te_u: np.ndarray,
    n_sc: int,
    n_tc: int,
    *,
    numba: bool,
    threads: int = 1,
    max_pairs_per_block: int = 1_000_000,
    pool: ThreadPoolExecutor | None = None,
) -> np.ndarray:
    """Counts (lanes, close spatial bands, finite temporal bands) of the pairs ``(i, j)`` for times per lane.

    ``lanes`` is ``(n, b)`` with ``b * itemsize`` = 16 bytes (or ``b == 1``) for the numpy engine:
    each row is gathered as one complex128, numpy's fastest fancy-indexing path, so ``b`` permutations
    cost one gather; the numba engine takes 128-byte rows.
    """
    n, b = lanes.shape
    out = np.zeros(b * n_sc * n_tc, dtype=np.int64)
    if n_sc == 0 or len(i) == 0:
        return out.reshape(b, n_sc, n_tc)
    lanes = np.ascontiguousarray(lanes)
    if numba:
        return _knox_kernel.count_close(i, j, sb, lanes, te_u, n_sc, n_tc, threads, pool)
    row_bytes = lanes.dtype.itemsize * b
    view = {8: np.int64, 16: np.complex128}.get(row_bytes, np.dtype((np.void, row_bytes)))
    rows = lanes.view(view).ravel()
    t_max = int(te_u[-1])
    lut = None
    if t_max <= 1_000_000:  # temporal band of each dt < t_max by table look-up
        lut = (np.searchsorted(te_u, np.arange(t_max), side="right") - 1).astype(np.intp)
    m = len(i)
    step = max(1, min(int(max_pairs_per_block) // b, -(-m // max(1, threads))))

    def count(p0: int) -> np.ndarray:
        p1 = min(m, p0 + step)
        ti = rows[i[p0:p1]].view(lanes.dtype)
        tj = rows[j[p0:p1]].view(lanes.dtype)
        np.subtract(ti, tj, out=ti)
        np.abs(ti, out=ti)
        hit = np.flatnonzero(ti < t_max)
        dt = ti[hit]
        pair, lane_of = np.divmod(hit, b)
        s = sb[pair + p0].astype(np.intp)
        t = lut[dt] if lut is not None else np.searchsorted(te_u, dt, side="right") - 1
        return np.bincount((lane_of * n_sc + s) * n_tc + t, minlength=out.size)

    starts = range(0, m, step)
    if pool is None or len(starts) == 1:
        for p0 in starts:
            out += count(p0)
    else:  # numpy releases the GIL in gathers, ufuncs and nonzero
        for part in pool.map(count, starts):
            out += part
    return out.reshape(b, n_sc, n_tc)


def pair_bands(
    x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray, edges: np.ndarray, same: bool, tol: float
) -> tuple[np.ndarray, np.ndarray]:
    """``(close, band)`` of the pairs ``(a, b)``: distance below the last edge, and its spatial band."""
    d = np.hypot(x[a] - x[b], y[a] - y[b])
    sb = np.searchsorted(edges, d, side="right") - 1
    if same:
        sb = np.where(d <= tol, 0, sb + 1)
    return d < edges[-1], sb.astype(np.int8)


def query_radius(edges: np.ndarray) -> float:
    """k-d tree search radius: a hair more than the last edge (pairs are then filtered exactly)."""
    return float(edges[-1] * (1 + 1e-9) + 1e-9)


def _close_pairs(
    xy: np.ndarray, edges: np.ndarray, same: bool, tol: float, chunk: int = 4_000_000
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``i < j`` closer than ``edges[-1]``, their spatial band (int32, int32, int8), tree order.

    ``query_pairs`` is asked for a hair more than the last edge and the pairs are filtered with the
    same ``hypot`` distance the bands use, so no pair at the edge can be lost to round-off. Band
    assignment runs in chunks so memory stays near 9 bytes per close pair after the query.
    """
    tree = cKDTree(xy)
    pairs = tree.query_pairs(query_radius(edges), output_type="ndarray")
    m = len(pairs)
    idx = np.int32 if len(xy) < 2**31 - 1 else np.int64
    x, y = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
    i = np.empty(m, dtype=idx)
    j = np.empty(m, dtype=idx)
    keep = np.empty(m, dtype=bool)
    band = np.empty(m, dtype=np.int8)
    for c0 in range(0, m, chunk):
        a = pairs[c0 : c0 + chunk, 0].copy()
        b = pairs[c0 : c0 + chunk, 1].copy()
        keep[c0 : c0 + chunk], band[c0 : c0 + chunk] = pair_bands(x, y, a, b, edges, same, tol)
        i[c0 : c0 + chunk] = a
        j[c0 : c0 + chunk] = b
    del pairs
    if not keep.all():
        i, j, band = i[keep], j[keep], band[keep]
    return i, j, band, tree.indices


def _complete(close: np.ndarray, close_totals: np.ndarray, time_totals: np.ndarray) -> np.ndarray:
    """Add the open temporal column and the open spatial row by subtraction (exact integers)."""
    k, n_sc, n_tc = close.shape
    out = np.empty((k, n_sc + 1, n_tc + 1), dtype=np.int64)
    out[:, :n_sc, :n_tc] = close
    out[:, :n_sc, n_tc] = close_totals[None, :] - close.sum(axis=2)
    out[:, n_sc, :] = time_totals[None, :] - out[:, :n_sc, :].sum(axis=1)
    return out
