"""Spatial benchmarks (Knox near-repeat test, kernel density, Gi*), called from ``benchmarks/run.py``.

Each function takes a work folder and returns one record (``run.py`` adds the environment and the
process's peak memory). Rules (``harness.py``): a peer computes the same answer as ours and the check
is recorded before any ratio; ours and the peer alternate, at least 3 runs each; the record keeps the
median, min and max, the Knox engine (numba kernel compiled or loaded from the disk cache) and, for
Knox, ``cpu_seconds`` (user + system time of all threads: on a shared machine it shows how much of
the wall time was waiting for a core).

Targets (issue 14): ``knox_philadelphia`` fit <= 1 s in a fresh process; ``knox_250k`` <= 30 s and
<= 2 GB; ``knox_1m`` (tiled, 999 permutations) <= 4 GB peak; ``knox_1m_cluster``: the same tables,
bit for bit, in one process and on LocalClusters of 1 and 2 workers, and the speedup.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import duel, knox_engine, peak_mb, spread  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PHILADELPHIA = ROOT.parent / "shared" / "data" / "philadelphia"
FEET = 0.3048

#: 6 spatial bands to 2,000 ft (609.6 m) and 5 temporal bands of 14 days (the NRC's usual layout).
SPATIAL_BANDS = tuple(np.linspace(0.0, 609.6, 7))
TEMPORAL_BANDS = (0, 14, 28, 42, 56, 70)

__all__ = ["ALL", "getis_philadelphia", "kde_100k", "knox_1m", "knox_1m_cluster", "knox_250k", "knox_philadelphia", "knox_vs_pointpats"]


def _cpu() -> float:
    """User + system CPU seconds of this process so far (all threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _philadelphia_points():
    from workbench.data import load_dataset

    params = ROOT / "parameters" / "philadelphia.yaml"
    if not PHILADELPHIA.is_dir() or not params.is_file():
        raise FileNotFoundError(f"Philadelphia data not found at {PHILADELPHIA}")
    return load_dataset(params).points("incidents")


def knox_philadelphia(workdir: Path | None = None, permutations: int = 999, repeats: int = 3) -> dict:
    """All Philadelphia shooting incidents, 6 x 5 bands, 999 permutations (target: fit <= 1 s in a
    fresh process, <= 1 GB). The first fit of the process is timed on its own (``seconds_first_fit``:
    it loads the compiled kernel from the disk cache), then ``repeats`` fits in all."""
    from workbench.spatial import KnoxTest

    pts = _philadelphia_points()
    times, cpus, tables = [], [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), _cpu()
        knox = KnoxTest(SPATIAL_BANDS, TEMPORAL_BANDS, permutations=permutations, seed=1).fit(pts)
        times.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
        tables.append(knox.simulated_)
        if len(times) == 1:
            engine = knox_engine(knox)
    first = knox.table_.query("distance_from_m > 0 or distance_to_m > 0").iloc[0]
    return {**spread(times), "runs": repeats, "seconds_first_fit": round(times[0], 4),
            "cpu_seconds_first_fit": round(cpus[0], 2), "cpu_seconds": round(float(np.median(cpus)), 2), "engine": engine, "n": len(pts),
            "close_pairs": int(knox.n_close_pairs_), "permutations": permutations,
            "same_table_every_run": all(np.array_equal(tables[0], t) for t in tables),
            "first_band_ratio": round(float(first.knox_ratio), 3), "target_seconds": 1.0, "target_mb": 1024,
            "meets_target": times[0] <= 1.0}


def knox_vs_pointpats(workdir: Path | None = None, permutations: int = 99, repeats: int = 3) -> dict:
    """One band (400 ft, 14 days), 99 permutations, alternately with ``pointpats.Knox`` on Philadelphia.

    Both get the same inputs: projected x, y (m) and whole local calendar days. pointpats counts pairs
    with distance <= delta and day difference <= tau; the matching half-open bands here are
    ``[0, 400 ft)`` (equal only at an exact tie, absent in these data: checked) and ``[0, 15)`` days.
    The answer checked: the observed Knox statistic (the simulated ones differ: other random streams).
    """
    from pointpats import Knox
    from scipy.spatial import cKDTree

    from workbench.spatial import KnoxTest
    from workbench.spatial._inputs import times_to_units

    pts = _philadelphia_points()
    xy = np.column_stack([pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()])
    days = times_to_units(pts["occurred_at"], "day").astype(float)
    delta = 400 * FEET
    tree = cKDTree(xy)
    ties = int(tree.query_pairs(delta + 1e-6, output_type="ndarray").shape[0]
               - tree.query_pairs(delta - 1e-6, output_type="ndarray").shape[0])
    engines = []

    def ours():
        k = KnoxTest((0.0, delta), (0, 15), same_location=False, permutations=permutations, seed=1).fit(xy, days)
        engines.append(knox_engine(k))
        return k

    def peer():
        np.random.seed(1)
        return Knox(xy, days[:, None], delta=delta, tau=14, permutations=permutations)

    def check(a, b) -> dict:
        stat, peer_stat = int(a.observed_[0, 0]), int(b.statistic_)
        return {"match": stat == peer_stat and ties == 0, "what": "observed Knox statistic (pairs within 400 ft "
                "and 14 days); no pair at exactly 400 ft", "statistic": stat, "peer_statistic": peer_stat,
                "pairs_at_exact_delta": ties, "p_value": float(a.table_["p_value"].iloc[0]),
                "peer_p_sim": float(b.p_sim)}

    rec = duel(ours, peer, check, peer_name=f"pointpats.Knox {_version('pointpats')}", repeats=repeats)
    return {**rec, "engine": engines[0], "n": len(xy), "permutations": permutations}


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
    """250,000 synthetic events (uniform, 15 km radius, 8 years), same bands, 999 permutations, one fit
    in a fresh process (target <= 30 s, <= 2 GB)."""
    from workbench.spatial import KnoxTest

    xy, days = synthetic_points(n)
    t0, c0 = time.perf_counter(), _cpu()
    knox = KnoxTest(SPATIAL_BANDS, TEMPORAL_BANDS, permutations=permutations, seed=1).fit(xy, days)
    sec, cpu = time.perf_counter() - t0, _cpu() - c0
    mb = peak_mb()
    return {"seconds": round(sec, 3), "runs": 1, "engine": knox_engine(knox), "cpu_seconds": round(cpu, 2), "n": n,
            "close_pairs": int(knox.n_close_pairs_), "permutations": permutations, "target_seconds": 30.0,
            "target_mb": 2048, "meets_target": sec <= 30.0 and mb <= 2048}


def _digest(knox) -> str:
    """sha256 of the observed and simulated tables (int64): equal digests, equal tables bit for bit."""
    import hashlib

    return hashlib.sha256(knox.observed_.tobytes() + knox.simulated_.tobytes()).hexdigest()


def knox_1m(workdir: Path | None = None, permutations: int = 999, n: int = 1_000_000,
            radius_m: float = 40_000.0) -> dict:
    """1,000,000 synthetic events over a large city (uniform in a 40 km radius disc, about 5,000 km²,
    8 years), 999 permutations, close pairs streamed in tiles, in this process (target: peak <= 4 GB).
    ``tables_sha256`` identifies the result for ``knox_1m_cluster``."""
    from workbench.spatial import KnoxTest

    xy, days = synthetic_points(n, radius_m=radius_m)
    t0, c0 = time.perf_counter(), _cpu()
    knox = KnoxTest(SPATIAL_BANDS, TEMPORAL_BANDS, permutations=permutations, seed=1, tiles=True,
                    tmp_dir=str(workdir) if workdir else None).fit(xy, days)
    sec, cpu = time.perf_counter() - t0, _cpu() - c0
    mb = peak_mb()
    return {"seconds": round(sec, 3), "runs": 1, "engine": knox_engine(knox), "cpu_seconds": round(cpu, 2), "n": n,
            "close_pairs": int(knox.n_close_pairs_), "permutations": permutations, "city_radius_m": radius_m,
            "tables_sha256": _digest(knox), "target_mb": 4096, "meets_target": mb <= 4096}


def knox_1m_cluster(workdir: Path | None = None, permutations: int = 99, n: int = 1_000_000,
                    radius_m: float = 40_000.0, single_from_results: bool = False) -> dict:
    """``knox_1m``'s data with its tiles run in this process, then on a Dask LocalCluster of 1 and of 2
    workers (one thread each): wall times, speedup, peak memory of each worker, and the equality of the
    three tables (sha256 of the int64 tables). 99 permutations by default (the tiles' pair search is
    the same as with 999; the counting part is a tenth) so that it fits a loaded 2-core machine."""
    from distributed import Client, LocalCluster

    from workbench.spatial import KnoxTest

    xy, days = synthetic_points(n, radius_m=radius_m)
    kw = dict(permutations=permutations, seed=1, tiles=True, tmp_dir=str(workdir) if workdir else None)
    out = {"n": n, "permutations": permutations, "city_radius_m": radius_m, "runs": 1, "target_mb": 4096}
    if single_from_results:  # knox_1m's record (same data and seed) holds the single-process tables' digest
        import json

        single = {r["name"]: r for r in json.loads((ROOT / "benchmarks" / "results.json").read_text())}["knox_1m"]
        if single.get("permutations") != permutations or single.get("n") != n:
            raise ValueError("knox_1m in results.json has other permutations or n")
        out.update({"seconds_single_process": single["seconds"], "tables_sha256": single["tables_sha256"],
                    "single_process_record": "knox_1m"})
    else:
        t0, c0 = time.perf_counter(), _cpu()
        single = KnoxTest(SPATIAL_BANDS, TEMPORAL_BANDS, **kw).fit(xy, days)
        out.update({"seconds_single_process": round(time.perf_counter() - t0, 3), "cpu_seconds_single_process":
                    round(_cpu() - c0, 2), "peak_mb_single_process": peak_mb(), "engine": knox_engine(single),
                    "close_pairs": int(single.n_close_pairs_), "tables_sha256": _digest(single)})
        del single
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          memory_limit=0) as cluster, Client(cluster) as client:
            t0 = time.perf_counter()
            knox = KnoxTest(SPATIAL_BANDS, TEMPORAL_BANDS, scheduler=client, **kw).fit(xy, days)
            out[f"seconds_cluster_{workers}"] = round(time.perf_counter() - t0, 3)
            out[f"peak_mb_workers_{workers}"] = sorted(round(v, 1) for v in client.run(
                lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024).values())
            out[f"tables_sha256_{workers}"] = _digest(knox)
            out["engine"] = knox_engine(knox)
            del knox
    out["seconds"] = out["seconds_cluster_2"]
    out["speedup_2_vs_1_workers"] = round(out["seconds_cluster_1"] / out["seconds_cluster_2"], 2)
    out["answers_match"] = out["tables_sha256_1"] == out["tables_sha256_2"] == out["tables_sha256"]
    out["meets_target"] = max(peak_mb(), *out["peak_mb_workers_1"], *out["peak_mb_workers_2"]) <= 4096
    return out


def kde_100k(workdir: Path | None = None, n: int = 100_000, repeats: int = 3) -> dict:
    """Quartic KDE of 100,000 points on a 500 x 500 grid, alternately with KDEpy's FFTKDE (biweight =
    quartic kernel, same support, same grid: ``bw = h / sqrt(7)``, KDEpy's bandwidth being the 1-D
    standard deviation of its kernel). Check: the surfaces (KDEpy's times n) agree within 1e-3 of the
    maximum density, cell by cell, and in total variation."""
    from KDEpy import FFTKDE

    from workbench.spatial import KernelDensity

    rng = np.random.default_rng(7)
    xy = rng.normal(0, 3000, (n, 2)) + [500_000.0, 4_400_000.0]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    cell = float((hi - lo).max() / 480)
    h = 10 * cell
    bounds = (lo[0] - h, lo[1] - h, lo[0] - h + 500 * cell, lo[1] - h + 500 * cell)
    kd0 = KernelDensity(bandwidth=h, cell_size=cell, bounds=bounds).fit(xy)
    grid = np.column_stack([np.repeat(kd0.x_, len(kd0.y_)), np.tile(kd0.y_, len(kd0.x_))])  # KDEpy's order

    def ours():
        return KernelDensity(bandwidth=h, cell_size=cell, bounds=bounds).fit(xy).density_

    def peer():
        z = FFTKDE(kernel="biweight", bw=h / np.sqrt(7), norm=2).fit(xy).evaluate(grid)
        return z.reshape(len(kd0.x_), len(kd0.y_)).T * n

    def check(a, b) -> dict:
        max_rel = float(np.abs(a - b).max() / a.max())
        l1_rel = float(np.abs(a - b).sum() / a.sum())
        return {"match": a.shape == b.shape and max_rel < 1e-3 and l1_rel < 1e-3,
                "what": "density per cell (incidents per m²), same grid", "tolerance": 1e-3,
                "max_abs_diff_over_max": max_rel, "l1_diff_over_l1": l1_rel}

    rec = duel(ours, peer, check, peer_name=f"KDEpy.FFTKDE {_version('KDEpy')} (biweight, same grid)",
               repeats=repeats)
    return {**rec, "n": n, "grid": list(kd0.density_.shape), "bandwidth_m": round(h, 1),
            "cell_m": round(cell, 2), "target_seconds": 3.0, "meets_target": rec["seconds"] <= 3.0}


def getis_philadelphia(workdir: Path | None = None, permutations: int = 999, repeats: int = 3) -> dict:
    """Gi* with 999 conditional permutations on Philadelphia's shootings counted in 250 m cells (queen
    weights), in a fresh process: no numba compilation (esda's crand is not called). Weights built
    once, outside the timing; ``seconds_first_call`` is the first call of the process."""
    from workbench.spatial import build_weights, getis_ord, grid_counts

    cells = grid_counts(_philadelphia_points(), cell_m=250.0)
    w = build_weights(cells, "queen")
    times, cpus = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), _cpu()
        out = getis_ord(cells, "count", w, permutations=permutations, seed=1)
        times.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
    return {**spread(times), "runs": repeats, "seconds_first_call": round(times[0], 4),
            "cpu_seconds_first_call": round(cpus[0], 2), "cpu_seconds": round(float(np.median(cpus)), 2), "n": len(cells),
            "permutations": permutations, "engine": "numpy (conditional_p_sim; esda's numba crand not called)",
            "hot_spots_99": int((out["cls"] == "hot spot 99%").sum())}


def knox_1m_cluster_999(workdir: Path | None = None) -> dict:
    """``knox_1m_cluster`` with 999 permutations, compared with ``knox_1m``'s single-process tables."""
    return knox_1m_cluster(workdir, permutations=999, single_from_results=True)


#: name -> function, for ``benchmarks/run.py``.
ALL = {f.__name__: f for f in (knox_philadelphia, knox_vs_pointpats, knox_250k, knox_1m, knox_1m_cluster,
                               knox_1m_cluster_999, kde_100k, getis_philadelphia)}


if __name__ == "__main__":  # python benchmarks/spatial_bench.py [name ...]
    import json

    for name in sys.argv[1:] or list(ALL):
        print(json.dumps(ALL[name]()), flush=True)
