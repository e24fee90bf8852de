"""The benchmark harness's rules, shared by the benchmark modules beside it.

- :func:`duel` times ours and a peer *alternately* (ours, peer, ours, peer, ...; at least 3 runs
  each), checks on every run that the peer computed the same answer (the ``check`` function says how:
  equal counts, equal edges and weights, surfaces within a stated tolerance) and reports the ratio
  ``peer median / our median`` only when every check passed (``ratio`` is ``None`` otherwise).
- :func:`environment` records what a figure depends on: the BLAS kernel in use (threadpoolctl;
  ``OPENBLAS_CORETYPE`` slows numpy on these machines), the numba version, the CPU count and the load
  average before and after (a loaded machine gives slow, noisy figures).
- Targets live in ``target_*`` fields only, never in a peer field.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["duel", "environment", "knox_engine", "peak_mb", "spread", "timed"]


def peak_mb() -> float:
    """Peak resident memory of this process so far, MiB (``ru_maxrss``)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024, 1)


def spread(times: list[float], prefix: str = "seconds") -> dict:
    """``{prefix: median, prefix_min, prefix_max}`` of wall times, s."""
    return {prefix: round(statistics.median(times), 4), f"{prefix}_min": round(min(times), 4),
            f"{prefix}_max": round(max(times), 4)}


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = func()
    return time.perf_counter() - t0, out


def duel(
    ours: Callable[[], Any],
    peer: Callable[[], Any],
    check: Callable[[Any, Any], dict],
    *,
    peer_name: str,
    repeats: int = 3,
) -> dict:
    """Time ``ours`` and ``peer`` alternately ``repeats`` times each and check their answers.

    ``check(ours_answer, peer_answer)`` returns a dict with at least ``match`` (bool); the rest is kept
    as the record's ``check`` (what was compared and the tolerance).
    """
    repeats = max(3, int(repeats))
    t_ours, t_peer, checks = [], [], []
    for _ in range(repeats):
        s, a = timed(ours)
        t_ours.append(s)
        s, b = timed(peer)
        t_peer.append(s)
        checks.append(check(a, b))
        del a, b
    match = all(bool(c["match"]) for c in checks)
    rec = {**spread(t_ours), "runs": repeats, "peer": peer_name, **spread(t_peer, "peer_seconds"),
           "answers_match": match, "check": checks[-1] if match else next(c for c in checks if not c["match"])}
    ours_med, peer_med = statistics.median(t_ours), statistics.median(t_peer)
    rec["ratio"] = round(peer_med / ours_med, 2) if match and ours_med > 0 else None
    return rec


def _blas() -> list[dict]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover
        return []
    keep = ("user_api", "internal_api", "version", "architecture", "num_threads", "filepath")
    return [{k: lib.get(k) for k in keep} for lib in threadpool_info() if lib.get("user_api") == "blas"]


def environment() -> dict:
    """What the figures depend on: BLAS kernel, OpenBLAS variables, numba, cores, load average."""
    import numpy as np

    try:
        import numba

        numba_version = numba.__version__
    except ImportError:  # pragma: no cover
        numba_version = None
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba_version,
        "cpu_count": os.cpu_count(),
        "blas": _blas(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


def knox_engine(knox: Any) -> str:
    """The Knox engine a fit used, and for numba whether its kernel came from the on-disk cache."""
    engine = getattr(knox, "engine_", "?")
    if engine.startswith("numba"):
        from workbench.spatial import _knox_kernel

        stats = _knox_kernel._count_close.stats
        if sum(stats.cache_misses.values()):
            engine += ", kernel compiled in this process"
        elif sum(stats.cache_hits.values()):
            engine += ", kernel loaded from the disk cache"
    return engine
