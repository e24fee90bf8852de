"""Spatial benchmarks (Knox near-repeat test, kernel density), called from ``benchmarks/run.py``.

Each function takes a work folder and returns one record::

    {"name": ..., "seconds": <wall time of the timed work, s>, "peak_mb": <peak RSS of this process, MiB>,
     "n": <events>, "peer": <name or None>, "peer_seconds": ..., "ratio": <peer / ours or None>, ...}

Knox records also carry ``cpu_seconds`` (user + system time of all threads during the fit): on a
shared machine it shows how much of the wall time was waiting for a core.

Data loading and set-up are not timed. ``peak_mb`` is the process's peak resident memory
(``ru_maxrss``): run each benchmark in a fresh process (``run.py`` does) for it to be the benchmark's own.

Targets (issue 3): ``knox_philadelphia`` <= 5 s and <= 1 GB; ``knox_vs_pointpats`` >= 20x faster than
``pointpats.Knox`` with the same statistic; ``knox_250k`` <= 60 s and <= 4 GB; ``kde_100k`` <= 3 s.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PHILADELPHIA = ROOT.parent / "shared" / "data" / "philadelphia"
FEET = 0.3048

#: 6 spatial bands to 2,000 ft (609.6 m) and 5 temporal bands of 14 days (the NRC's usual layout).
SPATIAL_BANDS = tuple(np.linspace(0.0, 609.6, 7))
TEMPORAL_BANDS = (0, 14, 28, 42, 56, 70)

__all__ = ["ALL", "kde_100k", "knox_250k", "knox_philadelphia", "knox_vs_pointpats"]


def _peak_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _cpu() -> float:
    """User + system CPU seconds of this process so far (all threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _record(name: str, seconds: float, n: int, peer: str | None = None, peer_seconds: float | None = None,
            **extra) -> dict:
    return {"name": name, "seconds": round(seconds, 3), "peak_mb": round(_peak_mb(), 1), "n": int(n),
            "peer": peer, "peer_seconds": None if peer_seconds is None else round(peer_seconds, 3),
            "ratio": None if not peer_seconds else round(peer_seconds / seconds, 1), **extra}


def _philadelphia_points():
    from workbench.data import load_dataset

    params = ROOT / "parameters" / "philadelphia.yaml"
    if not PHILADELPHIA.is_dir() or not params.is_file():
        raise FileNotFoundError(f"Philadelphia data not found at {PHILADELPHIA}")
    return load_dataset(params).points("incidents")


def knox_philadelphia(workdir: Path | None = None, permutations: int = 999) -> dict:
    """All Philadelphia shooting incidents, 6 x 5 bands, 999 permutations (target <= 5 s, <= 1 GB)."""
    from workbench.spatial import KnoxTest

    pts = _philadelphia_points()
    t0, c0 = time.perf_counter(), _cpu()
    knox = KnoxTest(SPATIAL_BANDS, TEMPORAL_BANDS, permutations=permutations, seed=1).fit(pts)
    sec, cpu = time.perf_counter() - t0, _cpu() - c0
    first = knox.table_.query("distance_from_m > 0 or distance_to_m > 0").iloc[0]
    return _record("knox_philadelphia", sec, len(pts), cpu_seconds=round(cpu, 2), close_pairs=int(knox.n_close_pairs_),
                   permutations=permutations, first_band_ratio=round(float(first.knox_ratio), 3),
                   target_seconds=5.0, target_mb=1024)


def knox_vs_pointpats(workdir: Path | None = None, permutations: int = 99) -> dict:
    """One band (400 ft, 14 days), 99 permutations, side by side with ``pointpats.Knox`` on Philadelphia.

    Both get the same inputs: projected x, y (m) and whole local calendar days. pointpats counts pairs
    with distance <= delta and day difference <= tau; the matching half-open bands here are
    ``[0, 400 ft)`` (equal only at an exact tie, absent in these data: checked) and ``[0, 15)`` days.
    """
    from pointpats import Knox

    from workbench.spatial import KnoxTest
    from workbench.spatial._inputs import times_to_units

    pts = _philadelphia_points()
    xy = np.column_stack([pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()])
    days = times_to_units(pts["occurred_at"], "day").astype(float)
    delta = 400 * FEET

    t0 = time.perf_counter()
    ours = KnoxTest((0.0, delta), (0, 15), same_location=False, permutations=permutations, seed=1).fit(xy, days)
    sec = time.perf_counter() - t0
    t0 = time.perf_counter()
    np.random.seed(1)
    peer = Knox(xy, days[:, None], delta=delta, tau=14, permutations=permutations)
    peer_sec = time.perf_counter() - t0

    ours_stat = int(ours.observed_[0, 0])
    peer_stat = int(peer.statistic_)
    from scipy.spatial import cKDTree

    ties = int(cKDTree(xy).query_pairs(delta + 1e-6, output_type="ndarray").shape[0]
               - cKDTree(xy).query_pairs(delta - 1e-6, output_type="ndarray").shape[0])
    return _record("knox_vs_pointpats", sec, len(xy), peer=f"pointpats.Knox {_version('pointpats')}",
                   peer_seconds=peer_sec, statistic=ours_stat, peer_statistic=peer_stat,
                   same_statistic=ours_stat == peer_stat, pairs_at_exact_delta=ties,
                   p_value=float(ours.table_["p_value"].iloc[0]), peer_p_sim=float(peer.p_sim),
                   permutations=permutations, target_ratio=20.0)


def _version(dist: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "?"


def synthetic_points(n: int = 250_000, seed: int = 20261125, radius_m: float = 15_000.0, years: float = 8.0):
    """``n`` uniform events in a disc of ``radius_m`` over ``years`` (projected x, y in m; day numbers)."""
    rng = np.random.default_rng(seed)
    r = radius_m * np.sqrt(rng.random(n))
    a = rng.random(n) * 2 * np.pi
    xy = np.column_stack([r * np.cos(a), r * np.sin(a)]) + [500_000.0, 4_400_000.0]
    days = np.floor(rng.random(n) * 365.25 * years)
    return xy, days


def knox_250k(workdir: Path | None = None, permutations: int = 999, n: int = 250_000) -> dict:
    """250,000 synthetic events (uniform, 15 km radius, 8 years), same bands, 999 permutations
    (target <= 60 s, <= 4 GB)."""
    from workbench.spatial import KnoxTest

    xy, days = synthetic_points(n)
    t0, c0 = time.perf_counter(), _cpu()
    knox = KnoxTest(SPATIAL_BANDS, TEMPORAL_BANDS, permutations=permutations, seed=1).fit(xy, days)
    sec, cpu = time.perf_counter() - t0, _cpu() - c0
    return _record("knox_250k", sec, n, cpu_seconds=round(cpu, 2), close_pairs=int(knox.n_close_pairs_), permutations=permutations,
                   target_seconds=60.0, target_mb=4096)


def kde_100k(workdir: Path | None = None, n: int = 100_000) -> dict:
    """Quartic KDE of 100,000 points on a 500 x 500 grid (target <= 3 s); peer: scipy.stats.gaussian_kde
    evaluated on a 50 x 50 grid of the same extent, scaled to the 250,000 cells."""
    from workbench.spatial import KernelDensity

    rng = np.random.default_rng(7)
    xy = rng.normal(0, 3000, (n, 2)) + [500_000.0, 4_400_000.0]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    cell = float((hi - lo).max() / 500)
    t0 = time.perf_counter()
    kd = KernelDensity(bandwidth=10 * cell, cell_size=cell, bounds=(lo[0], lo[1], lo[0] + 500 * cell,
                                                                   lo[1] + 500 * cell)).fit(xy)
    sec = time.perf_counter() - t0
    from scipy.stats import gaussian_kde

    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 50), np.linspace(lo[1], hi[1], 50))
    t0 = time.perf_counter()
    gaussian_kde(xy.T)(np.vstack([gx.ravel(), gy.ravel()]))
    peer_sec = (time.perf_counter() - t0) * (kd.density_.size / gx.size)
    return _record("kde_100k", sec, n, peer="scipy.stats.gaussian_kde (direct sum, scaled from 50x50)",
                   peer_seconds=peer_sec, grid=list(kd.density_.shape), target_seconds=3.0)


#: name -> function, for ``benchmarks/run.py``.
ALL = {f.__name__: f for f in (knox_philadelphia, knox_vs_pointpats, knox_250k, kde_100k)}


if __name__ == "__main__":  # python benchmarks/spatial_bench.py [name ...]
    import json

    for name in sys.argv[1:] or list(ALL):
        print(json.dumps(ALL[name]()), flush=True)
