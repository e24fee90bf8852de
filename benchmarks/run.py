#!/usr/bin/env python
"""Speed and memory figures for the workbench.

Prints one JSON line per benchmark and merges them by name into ``benchmarks/results.json``::

    {"name": ..., "seconds": <median wall time, s>, "seconds_min": ..., "seconds_max": ..., "runs": ...,
     "peak_mb": <peak RSS, MiB>, "n": <size of the work>, "n_unit": ...,
     "peer": <name or null>, "peer_seconds": <median>, "peer_seconds_min": ..., "peer_seconds_max": ...,
     "answers_match": <bool or null>, "check": {what was compared, tolerance, values},
     "ratio": <peer median / our median; null unless the answers matched>,
     "target_seconds": <target or null>, "meets_target": <bool or null>, "engine": ...,
     "environment": {"blas": [threadpoolctl], "OPENBLAS_CORETYPE": ..., "numba": ..., "loadavg": ...},
     "loadavg_after": [...], "measured_at": <UTC time>}

Rules (``benchmarks/harness.py``): a peer is written as a competent user of that library would write
it and computes the same answer, checked before a ratio is reported; ours and the peer alternate, at
least 3 runs each; a target is never written into a peer field. Each benchmark runs in a fresh child
process so its peak memory is its own (``ru_maxrss`` of the child plus, for the report, of the
kernels it started). The machine's load average is recorded before and after: on a loaded machine
figures are slow and noisy.

Usage::

    python benchmarks/run.py                 # everything
    python benchmarks/run.py --only synth_demo --only report_demo
    python benchmarks/run.py --repeats 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.json"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import environment, spread  # noqa: E402


# -- the benchmarks ------------------------------------------------------------------------------
# A timed benchmark returns the size of the work (n), or a dict with n and extra fields (peer,
# peer_seconds, ratio, ...); it is run `repeats` times and the median wall time is reported.
# A self-timed benchmark (self_timed=True) returns the full record, seconds included: used where the
# work has a peer run side by side or phases that are timed separately.
@dataclass(frozen=True)
class Bench:
    run: Callable[[Path], object]
    repeats: int = 1
    target_seconds: float | None = None
    unit: str = ""
    setup: Callable[[], None] | None = None
    self_timed: bool = False


def _synth(scale: str) -> Callable[[Path], int]:
    def run(workdir: Path) -> int:
        from workbench.data import Dataset
        from workbench.synth import write_city

        out = write_city(scale=scale, seed=20261125, out=workdir / f"city-{scale}")
        return int(len(Dataset.from_folder(out)["victimizations"]))

    return run


DEMO_PARAMS = ROOT / "parameters" / "demo.yaml"


def _demo_data() -> None:
    """Generate data/demo once, outside the timed region (the report then only reads it)."""
    from workbench.report import ensure_synthetic, load_params

    ensure_synthetic(load_params(DEMO_PARAMS))


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished children (the kernels)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _report_record(params: Path | str, out: Path) -> dict:
    """Run one full report and return its stage breakdown (seconds) beside the wall time.

    ``stages``: load (parameters, data, validation), snapshot, notebooks (all of them, several at
    once), summary (computed beside the notebooks), index, publish; ``notebooks``: per notebook the
    seconds executing and exporting; ``cpu_seconds``: CPU of the runner and its kernels (steadier
    than wall time on a shared machine); ``load_avg``: the 1-minute load average before and after.
    """
    import os

    from workbench.report import run_report

    load_before, cpu0 = os.getloadavg()[0], _cpu_seconds()
    result = run_report(params, out=out, progress=False)
    return {
        "n": len(result.notebooks),
        "jobs": getattr(result, "jobs", 1),
        "stages": getattr(result, "stages", {}),
        "notebooks": {nb.name: {"run": round(nb.duration_s, 2), "export": round(getattr(nb, "export_s", 0.0), 2)}
                      for nb in result.notebooks},
        "cpu_seconds": round(_cpu_seconds() - cpu0, 1),
        "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def _report_demo(workdir: Path) -> dict:
    return _report_record(DEMO_PARAMS, workdir / "report")


#: The city-scale synthetic city (about 320k people), generated once into data/city-bench.
CITY_DATA = ROOT / "data" / "city-bench"


def _city_params(folder: Path) -> Path:
    """A parameter file (in ``folder``, not in parameters/) for the full report on the city-scale city."""
    import yaml

    demo = yaml.safe_load(DEMO_PARAMS.read_text())
    path = folder / "city.yaml"
    path.write_text(yaml.safe_dump({
        "run_name": "city", "title": "City-scale synthetic city",
        "data": {"name": "city", "source": str(CITY_DATA), "timezone": "America/Chicago", "crs": "auto",
                 "synthetic": {"scale": "city", "seed": 20261125}, "tables": {}},
        "privacy": {"min_count": 11},
        "notebooks": demo["notebooks"],
        "execution": {"cell_timeout_s": 1200},
    }))
    return path


def _city_data() -> None:
    """Generate the city once, outside the timed region."""
    from workbench.report import ensure_synthetic, load_params

    with tempfile.TemporaryDirectory(prefix="bench-city-params-") as tmp:
        ensure_synthetic(load_params(_city_params(Path(tmp))))


def _report_city(workdir: Path) -> dict:
    return _report_record(_city_params(workdir), workdir / "report")


def _survival_city(workdir: Path) -> dict:
    """KM, Cox (with the PH check), Aalen-Johansen and re-victimization on the city-scale follow-ups."""
    from survival_bench import benchmark_survival  # benchmarks/survival_bench.py

    from workbench.synth import generate_city

    steps = benchmark_survival(generate_city("city", seed=20261125).dataset)
    n = int(steps.pop("referrals"))
    return {"seconds": sum(steps.values()), "n": n, **{k: round(v, 3) for k, v in steps.items()}}


def _fine_gray_demo(workdir: Path) -> dict:
    """Fine-Gray model of engagement (decline, re-victimization, loss competing) on the demo city."""
    from survival_bench import benchmark_fine_gray  # benchmarks/survival_bench.py
    from workbench.synth import generate_city

    steps = benchmark_fine_gray(generate_city("demo", seed=20261125).dataset)
    n = int(steps.pop("referrals"))
    return {"seconds": steps["fine_gray_s"], "n": n, **{k: round(v, 3) for k, v in steps.items()}}


def _self_timed(func: Callable[..., dict]) -> Callable[[Path], dict]:
    def run(workdir: Path) -> dict:
        record = dict(func(workdir))
        record.pop("name", None)
        record.pop("peak_mb", None)  # measured here, for the whole child process
        return record

    return run


def _spatial() -> dict[str, Bench]:
    import spatial_bench  # benchmarks/spatial_bench.py, beside this file (targets are in its records)

    return {name: Bench(_self_timed(func), unit="incidents", self_timed=True) for name, func in spatial_bench.ALL.items()}


def _network() -> dict[str, Bench]:
    import network_bench  # benchmarks/network_bench.py

    targets = {"network_build": 10.0, "network_exposure": 2.0, "hawkes_fit": 60.0, "risk_evaluation": 120.0}
    return {
        name: Bench(_self_timed(func), target_seconds=targets.get(name), unit="people", self_timed=True)
        for name, func in network_bench.BENCHMARKS.items()
    }


def _coverage() -> dict[str, Bench]:
    import hawkes_coverage  # benchmarks/hawkes_coverage.py: a coverage study, not a speed target

    return {name: Bench(_self_timed(func), unit="data sets", self_timed=True)
            for name, func in hawkes_coverage.ALL.items()}


def _privacy() -> dict[str, Bench]:
    import privacy_bench  # benchmarks/privacy_bench.py, beside this file

    return {
        "name_scan": Bench(_self_timed(privacy_bench.name_scan), target_seconds=5.0, unit="names", self_timed=True),
        "report_2m": Bench(_self_timed(privacy_bench.report_2m), unit="incidents", self_timed=True),
    }


def _now() -> dict[str, Bench]:
    import now_bench  # benchmarks/now_bench.py, beside this file

    out = {name: Bench(func, repeats=3, target_seconds=10.0, unit="incidents") for name, func in now_bench.ALL.items()}
    out.update({name: Bench(_self_timed(func), target_seconds=10.0, unit="incidents", self_timed=True)
                for name, func in now_bench.SELF_TIMED.items()})
    return out


def _data() -> dict[str, Bench]:
    import data_bench  # benchmarks/data_bench.py, beside this file

    targets = {"load_victim_suspect_demo": 10.0, "map_stateplane_demo": 15.0}
    return {name: Bench(_self_timed(func), target_seconds=targets.get(name), unit="rows", self_timed=True)
            for name, func in data_bench.ALL.items()}


BENCHMARKS: dict[str, Bench] = {
    "synth_tiny": Bench(_synth("tiny"), repeats=5, target_seconds=2.0, unit="victimizations"),
    "synth_demo": Bench(_synth("demo"), repeats=3, target_seconds=30.0, unit="victimizations"),
    "synth_city": Bench(_synth("city"), repeats=1, unit="victimizations"),
    "report_demo": Bench(_report_demo, repeats=1, target_seconds=20.0, unit="notebooks", setup=_demo_data),
    "report_city": Bench(_report_city, repeats=1, target_seconds=45.0, unit="notebooks", setup=_city_data),
    "survival_city": Bench(_survival_city, unit="referrals", self_timed=True),
    "fine_gray_demo": Bench(_fine_gray_demo, target_seconds=30.0, unit="referrals", self_timed=True),
    **_spatial(),
    **_network(),
    **_coverage(),
    **_privacy(),
    **_now(),
    **_data(),
}


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, kids) / 1024.0, 1)  # ru_maxrss is KiB on Linux


def _record(name: str, bench: Bench, times: list[float] | None, result: object, repeats: int, env: dict) -> dict:
    extra = dict(result) if isinstance(result, dict) else {"n": result}
    record = {"name": name, "seconds": None}
    if times:
        record.update(spread(times))
    record.update({k: extra.pop(k) for k in ("seconds", "seconds_min", "seconds_max") if k in extra})
    record.update({
        "runs": extra.pop("runs", repeats),
        "peak_mb": _peak_mb(),
        "n": extra.pop("n", None),
        "n_unit": bench.unit,
        "peer": extra.pop("peer", None),
        "peer_seconds": extra.pop("peer_seconds", None),
        "answers_match": extra.pop("answers_match", None),
        "ratio": extra.pop("ratio", None),
        "target_seconds": extra.pop("target_seconds", bench.target_seconds),
        "meets_target": extra.pop("meets_target", None),
    })
    record.update(extra)
    if record["peer"] is None or record["answers_match"] is not True:
        record["ratio"] = None  # a ratio is only reported for a peer whose answer was checked
    if record["meets_target"] is None and record["target_seconds"] is not None and record["seconds"] is not None:
        record["meets_target"] = record["seconds"] <= record["target_seconds"]
    record["environment"] = env
    record["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    record["measured_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return record


def _child(name: str, repeats: int) -> dict:
    bench = BENCHMARKS[name]
    import workbench.data  # noqa: F401  (import cost is not part of any benchmark)
    import workbench.synth  # noqa: F401

    if bench.setup:
        bench.setup()
    env = environment()
    if bench.self_timed:
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            return _record(name, bench, None, bench.run(Path(tmp)), 1, env)
    times, result = [], None
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            start = time.perf_counter()
            result = bench.run(Path(tmp))
            times.append(time.perf_counter() - start)
    return _record(name, bench, times, result, repeats, env)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="run only these")
    p.add_argument("--repeats", type=int, help="override the number of runs per benchmark")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child:
        print(json.dumps(_child(args.child, args.repeats or BENCHMARKS[args.child].repeats)))
        return 0

    results = []
    for name in args.only or list(BENCHMARKS):
        cmd = [sys.executable, __file__, "--child", name]
        if args.repeats:
            cmd += ["--repeats", str(args.repeats)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            line = {"name": name, "error": proc.stderr.strip().splitlines()[-1:]}
        else:
            line = json.loads(proc.stdout.strip().splitlines()[-1])
        print(json.dumps(line), flush=True)
        results.append(line)

    import fcntl

    with open(RESULTS.with_suffix(".lock"), "w") as lock:  # runs in parallel merge one at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
        merged = {r["name"]: r for r in previous}
        merged.update({r["name"]: r for r in results})
        tmp = RESULTS.with_suffix(".tmp")
        tmp.write_text(json.dumps(list(merged.values()), indent=2) + "\n")
        tmp.replace(RESULTS)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
