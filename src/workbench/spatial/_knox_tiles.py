"""Knox close pairs streamed in spatial tiles: memory bounded whatever the number of close pairs.

The in-memory engine of :class:`~workbench.spatial.knox.KnoxTest` keeps every close pair (about 25
bytes a pair with its temporaries). Here the pairs are never all held at once:

1. Events are put in vertical strips of width a hair above the last spatial edge ``r`` (so only pairs
   within a strip or between neighbouring strips can be close) and sorted by strip, then by ``y``.
2. A strip is cut into runs of consecutive events (``L``) small enough that their close pairs stay
   near ``tile_pairs`` (from the 99th percentile of the neighbour counts of a sample). A *tile* counts
   the pairs ``L x L``, ``L x`` (later events of the strip within ``r`` in ``y``) and ``L x`` (the next
   strip's events within ``r`` in ``y``): every close pair falls in exactly one tile.
3. The permuted times are drawn once, in the same order as the in-memory engine (permutation ``k`` is
   the ``k``-th ``rng.permutation(n)``), and written to a file as ``(blocks, n, lanes)``; a tile reads
   only its rows. Its pairs get their spatial band from the same ``hypot`` as the in-memory engine.
4. Tiles return integer counts, summed in any order: the result is the in-memory table bit for bit,
   whether the tiles run in this process or as tasks on a Dask cluster (``scheduler``).

Memory: the main process holds ``O(n)`` arrays (about 200 bytes an event with one block of lanes);
a tile about ``tile_pairs x 40`` bytes of pairs plus its rows of lanes.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class Tile:
    """Rows (in tile order) of one tile: ``L = [a0, l1)``, later rows of the strip ``[l1, a1)``, and the
    next strip's rows ``[b0, b1)``."""

    a0: int
    l1: int
    a1: int
    b0: int
    b1: int


@dataclass(frozen=True)
class TileResult:
    """Summed counts of all tiles."""

    close_totals: np.ndarray  # (n_sc,)
    observed: np.ndarray  # (n_sc, n_tc)
    simulated: np.ndarray  # (permutations, n_sc, n_tc)
    n_tiles: int


def estimate_close_pairs(xy: np.ndarray, radius: float, sample: int = 2000, seed: int = 0) -> float:
    """Close pairs (distance below ``radius``) estimated from the neighbour counts of a sample."""
    n = len(xy)
    if n <= sample:
        return float(len(cKDTree(xy).query_pairs(radius, output_type="ndarray")))
    idx = np.random.default_rng(seed).choice(n, sample, replace=False)
    counts = cKDTree(xy).query_ball_point(xy[idx], radius, return_length=True) - 1
    return float(counts.mean()) * n / 2


def plan_tiles(xy: np.ndarray, radius: float, tile_pairs: int, sample: int = 2000) -> tuple[np.ndarray, list[Tile]]:
    """Tile order of the events and the tiles (see the module docstring).

    Returns
    -------
    order : int array
        Event index per row in tile order (strip, then ``y``).
    tiles : list of Tile
    """
    from .knox import query_radius

    rq = query_radius(np.array([radius]))
    x, y = xy[:, 0], xy[:, 1]
    n = len(xy)
    strip = np.floor((x - x.min()) / rq).astype(np.int64)
    order = np.lexsort((y, strip))
    strip, ys = strip[order], y[order]
    # events per run: close pairs of a run near tile_pairs at the 99th percentile of neighbour counts
    idx = np.random.default_rng(0).choice(n, min(n, sample), replace=False)
    counts = cKDTree(xy).query_ball_point(xy[idx], rq, return_length=True) - 1
    high = max(1.0, float(np.quantile(counts, 0.99)))
    run = max(1, int(tile_pairs / high))
    starts = np.flatnonzero(np.r_[True, strip[1:] != strip[:-1]])
    ends = np.r_[starts[1:], n]
    first = {int(strip[s]): (int(s), int(e)) for s, e in zip(starts, ends)}
    tiles = []
    for s0, s1 in zip(starts, ends):
        s0, s1 = int(s0), int(s1)
        nxt = first.get(int(strip[s0]) + 1)
        for c0 in range(s0, s1, run):
            c1 = min(s1, c0 + run)
            lo, hi = ys[c0], ys[c1 - 1]
            a1 = c1 + int(np.searchsorted(ys[c1:s1], hi + rq, side="right"))
            if nxt is None:
                b0 = b1 = 0
            else:
                b0 = nxt[0] + int(np.searchsorted(ys[nxt[0] : nxt[1]], lo - rq, side="left"))
                b1 = nxt[0] + int(np.searchsorted(ys[nxt[0] : nxt[1]], hi + rq, side="right"))
            tiles.append(Tile(c0, c1, a1, b0, b1))
    return order, tiles


def tile_pairs_of(x: np.ndarray, y: np.ndarray, n_l: int, n_a: int, edges: np.ndarray, same: bool, tol: float):
    """Close pairs ``(i, j, band)`` of one tile in local rows: ``[0, n_l)`` is ``L``, ``[n_l, n_a)`` the
    rest of the strip, ``[n_a, len(x))`` the next strip's rows."""
    from .knox import pair_bands, query_radius

    rq = query_radius(edges)
    xy = np.column_stack([x, y])
    t_l = cKDTree(xy[:n_l])
    parts = [t_l.query_pairs(rq, output_type="ndarray").astype(np.int64).reshape(-1, 2)]
    for lo, hi in ((n_l, n_a), (n_a, len(x))):
        if hi > lo:
            sdm = t_l.sparse_distance_matrix(cKDTree(xy[lo:hi]), rq, output_type="ndarray")
            parts.append(np.column_stack([sdm["i"].astype(np.int64), sdm["j"].astype(np.int64) + lo]))
    pairs = np.concatenate(parts)
    i = np.ascontiguousarray(pairs[:, 0]).astype(np.int32)
    j = np.ascontiguousarray(pairs[:, 1]).astype(np.int32)
    close, band = pair_bands(x, y, i, j, edges, same, tol)
    return i[close], j[close], band[close]


def count_tile(
    tile: Tile,
    x: np.ndarray,
    y: np.ndarray,
    rel: np.ndarray,
    lanes_path: str,
    n: int,
    block: int,
    perms: int,
    edges: np.ndarray,
    same: bool,
    tol: float,
    te_u: np.ndarray,
    n_sc: int,
    n_tc: int,
    numba: bool,
    threads: int = 1,
    max_pairs_per_block: int = 1_000_000,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of one tile: ``(close_totals, observed, simulated)``. ``x, y, rel`` are the tile's local
    rows (``[a0, a1)`` then ``[b0, b1)``); permuted times are read from ``lanes_path``. Runs in this
    process or as a Dask task."""
    from .knox import count_pairs

    n_l, n_a = tile.l1 - tile.a0, tile.a1 - tile.a0
    i, j, sb = tile_pairs_of(x, y, n_l, n_a, edges, same, tol)
    close_totals = np.bincount(sb, minlength=n_sc)[:n_sc].astype(np.int64)
    sim = np.zeros((perms, n_sc, n_tc), dtype=np.int64)
    if len(i) == 0:
        return close_totals, np.zeros((n_sc, n_tc), np.int64), sim
    pool = ThreadPoolExecutor(threads) if threads > 1 else None
    try:
        kw = dict(numba=numba, threads=threads, max_pairs_per_block=max_pairs_per_block, pool=pool)
        obs = count_pairs(i, j, sb, rel[:, None], te_u, n_sc, n_tc, **kw)[0]
        itemsize = rel.dtype.itemsize
        with open(lanes_path, "rb") as f:
            for k, start in enumerate(range(0, perms, block)):
                b = min(block, perms - start)
                rows = []
                for r0, r1 in ((tile.a0, tile.a1), (tile.b0, tile.b1)):
                    if r1 > r0:
                        f.seek(((k * n) + r0) * block * itemsize)
                        rows.append(np.fromfile(f, dtype=rel.dtype, count=(r1 - r0) * block).reshape(-1, block))
                lanes = np.concatenate(rows) if len(rows) > 1 else rows[0]
                sim[start : start + b] = count_pairs(i, j, sb, lanes, te_u, n_sc, n_tc, **kw)[:b]
    finally:
        if pool is not None:
            pool.shutdown()
    return close_totals, obs, sim


def run_tiles(
    xy: np.ndarray,
    rel: np.ndarray,
    rng: np.random.Generator,
    perms: int,
    edges: np.ndarray,
    same: bool,
    tol: float,
    te_u: np.ndarray,
    n_sc: int,
    n_tc: int,
    *,
    numba: bool,
    threads: int,
    max_pairs_per_block: int,
    tile_pairs: int,
    scheduler: Any = None,
    tmp_dir: str | None = None,
) -> TileResult:
    """Observed and simulated close-pair counts, tile by tile (here or on a Dask cluster)."""
    from .knox import lane_block, permuted_lanes

    n = len(xy)
    order, tiles = plan_tiles(xy, float(edges[-1]), tile_pairs)
    x = np.ascontiguousarray(xy[order, 0])
    y = np.ascontiguousarray(xy[order, 1])
    rel_t = rel[order]
    block = lane_block(rel.dtype, numba)
    fd, path = tempfile.mkstemp(prefix="knox-lanes-", suffix=".bin", dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as f:
            for _, _, lanes in permuted_lanes(rel, order, perms, block, rng):
                lanes.tofile(f)
        del lanes

        def args(t: Tile) -> tuple:
            rows = np.r_[t.a0 : t.a1, t.b0 : t.b1]
            return (t, x[rows], y[rows], rel_t[rows], path, n, block, perms, edges, same, tol, te_u, n_sc, n_tc,
                    numba)

        close_totals = np.zeros(n_sc, np.int64)
        observed = np.zeros((n_sc, n_tc), np.int64)
        simulated = np.zeros((perms, n_sc, n_tc), np.int64)

        done = [0]

        def add(part: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
            done[0] += 1
            close_totals.__iadd__(part[0])
            observed.__iadd__(part[1])
            simulated.__iadd__(part[2])

        if scheduler is None:
            for t in tiles:
                add(count_tile(*args(t), threads=threads, max_pairs_per_block=max_pairs_per_block))
        else:
            _on_cluster(scheduler, tiles, args, add, max_pairs_per_block)
        if done[0] != len(tiles):  # pragma: no cover - a lost task must never pass silently
            raise RuntimeError(f"Knox tiles: {done[0]} of {len(tiles)} tiles counted")
    finally:
        os.unlink(path)
    return TileResult(close_totals, observed, simulated, len(tiles))


def _on_cluster(scheduler: Any, tiles: list[Tile], args, add, max_pairs_per_block: int) -> None:
    """Run the tiles as tasks (at most a few per worker in flight, so the inputs never pile up)."""
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler, set_as_default=False)
    try:
        in_flight = max(2, 2 * sum(client.nthreads().values()))
        todo = iter(tiles)

        def submit(t: Tile):
            return client.submit(count_tile, *args(t), threads=1, max_pairs_per_block=max_pairs_per_block,
                                 pure=False)

        running = as_completed([submit(t) for t in itertools.islice(todo, in_flight)])
        for fut in running:
            add(fut.result())
            fut.release()
            nxt = next(todo, None)
            if nxt is not None:
                running.add(submit(nxt))
    finally:
        if client is not scheduler:
            client.close()
