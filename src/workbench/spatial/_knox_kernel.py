"""Optional compiled kernel for the Knox permutations (numba), with the same semantics as the numpy path.

When numba is importable, :func:`count_close` counts, for a block of permutations at once (64 with
int16 day numbers), the close pairs per (permutation, spatial band, temporal band) in one pass over
the pairs, in chunks run by plain threads (the kernel releases the GIL), each with its own
SIMD-friendly cumulative histogram. No ``parallel=True``: compiling it costs many seconds. The kernel
is compiled once per machine and cached on disk (``cache=True``: numba's ``__pycache__`` beside this file,
or ``NUMBA_CACHE_DIR``); a fresh process loads it in a fraction of a second. Without numba, :data:`AVAILABLE` is False and
:class:`~workbench.spatial.knox.KnoxTest` uses its vectorized numpy path; both give identical integers
(tested).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

try:  # pragma: no cover - depends on the environment
    import numba

    AVAILABLE = True
except ImportError:  # pragma: no cover
    numba = None
    AVAILABLE = False


if AVAILABLE:

    @numba.njit(nogil=True, cache=True)
    def _count_close(i, j, sb, lanes, te, n_sc, n_tc):  # pragma: no cover - compiled
        """Cumulative counts ``(n_sc, n_tc, b)``: close pairs with time difference below ``te[t + 1]``.

        The inner loops over the ``b`` lanes are branch-free so LLVM vectorizes them (SIMD); the
        per-thread int16 accumulators are flushed to int64 every 16,384 pairs (no overflow).
        """
        b = lanes.shape[1]
        out = np.zeros((n_sc, n_tc, b), np.int64)
        acc = np.zeros((n_sc, n_tc, b), np.int16)
        d = np.empty(b, lanes.dtype)
        filled = 0
        for p in range(i.shape[0]):
            ra = lanes[i[p]]
            rz = lanes[j[p]]
            s = sb[p]
            for k in range(b):
                x = ra[k] - rz[k]
                d[k] = x if x >= 0 else -x
            for t in range(n_tc):
                e = te[t + 1]
                row = acc[s, t]
                for k in range(b):
                    row[k] += d[k] < e
            filled += 1
            if filled == 16384:
                out += acc
                acc[:] = 0
                filled = 0
        out += acc
        return out


def warm_up(index_dtype: np.dtype, lane_dtype: np.dtype) -> None:
    """Load (or, the first time on a machine, compile) the kernel for these dtypes on a tiny input.

    :class:`~workbench.spatial.knox.KnoxTest` runs it in a thread while it searches the close pairs,
    so loading the compiled kernel from the disk cache overlaps with that work.
    """
    if not AVAILABLE:  # pragma: no cover
        return
    i = np.zeros(1, dtype=index_dtype)
    lanes = np.zeros((1, 128 // np.dtype(lane_dtype).itemsize), dtype=lane_dtype)
    _count_close(i, i, np.zeros(1, dtype=np.int8), lanes, np.zeros(2, dtype=lane_dtype), 1, 1)


def precompile() -> None:
    """Compile the kernel for every index and lane type a Knox test uses, into the disk cache.

    ``make install`` runs it once, so that the first Knox test in any later process only loads the
    compiled kernel (about 0.3 s) instead of compiling it (tens of seconds).
    """
    for index in (np.int32, np.int64):
        for lane in (np.int16, np.int32, np.int64):
            warm_up(np.dtype(index), np.dtype(lane))


def submit_count(
    pool: ThreadPoolExecutor | None,
    i: np.ndarray,
    j: np.ndarray,
    sb: np.ndarray,
    lanes: np.ndarray,
    te: np.ndarray,
    n_sc: int,
    n_tc: int,
    threads: int,
) -> Callable[[], np.ndarray]:
    """Start counting the close pairs of one block of lanes; returns a function that waits for the result.

    The compiled kernel releases the GIL, so with a ``pool`` the slices run in the background while the
    caller draws the next block of permutations. Arguments as in :func:`count_close`.
    """
    if not AVAILABLE:  # pragma: no cover
        raise RuntimeError("numba is not installed")
    te = te.astype(lanes.dtype)
    threads = max(1, int(threads)) if len(i) > 200_000 else 1
    edges = np.linspace(0, len(i), threads + 1).astype(np.int64)

    def part(k: int) -> np.ndarray:
        a, b = edges[k], edges[k + 1]
        return _count_close(i[a:b], j[a:b], sb[a:b], lanes, te, n_sc, n_tc)  # (s, t, lane), cumulative

    if pool is None:
        parts = [part(k) for k in range(threads)]
        return lambda: _finish(parts)
    futures = [pool.submit(part, k) for k in range(threads)]
    return lambda: _finish([f.result() for f in futures])


def _finish(parts: list[np.ndarray]) -> np.ndarray:
    cum = parts[0] if len(parts) == 1 else np.sum(parts, axis=0)
    bands = np.diff(cum, axis=1, prepend=0)  # d < te[0] = 0 never happens
    return np.ascontiguousarray(bands.transpose(2, 0, 1))


def count_close(
    i: np.ndarray,
    j: np.ndarray,
    sb: np.ndarray,
    lanes: np.ndarray,
    te: np.ndarray,
    n_sc: int,
    n_tc: int,
    threads: int,
    pool: ThreadPoolExecutor | None = None,
) -> np.ndarray:
    """Close-pair counts ``(b, n_sc, n_tc)`` for the ``b`` time columns of ``lanes``.

    Parameters
    ----------
    i, j : int arrays
        Pair members (rows of ``lanes``).
    sb : int8 array
        Spatial band of each pair (close bands only).
    lanes : (n, b) integer array
        Event times per permutation (column).
    te : int64 array of length ``n_tc + 1``
        Integer temporal edges (``te[0] == 0``; differences ``>= te[n_tc]`` are not counted).
    threads : int
        Threads, each counting a slice of the pairs.
    pool : ThreadPoolExecutor, optional
        Threads to use (default: a pool made for this call when ``threads > 1``).
    """
    if pool is None and threads > 1 and len(i) > 200_000:
        with ThreadPoolExecutor(threads) as own:
            return submit_count(own, i, j, sb, lanes, te, n_sc, n_tc, threads)()
    return submit_count(pool, i, j, sb, lanes, te, n_sc, n_tc, threads)()
