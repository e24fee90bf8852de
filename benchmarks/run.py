#!/usr/bin/env python
"""Speed and memory figures for the workbench.

Prints one JSON line per benchmark and writes them all to ``benchmarks/results.json``::

    {"name": ..., "seconds": <median wall time, s>, "peak_mb": <peak RSS, MiB>, "n": <size of the work>,
     "runs": <repeats>, "target_seconds": <target or null>, "meets_target": <bool or null>,
     "peer": <name or null>, "peer_seconds": ..., "ratio": ...}

Each benchmark runs in a fresh child process so its peak memory is its own (``ru_maxrss`` of the child
plus, for the report, of the kernels it started).

Usage::

    python benchmarks/run.py                 # everything
    python benchmarks/run.py --only synth_demo --only report_demo
    python benchmarks/run.py --repeats 3
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results.json"


# -- the benchmarks: each returns the size of the work (n) -------------------------------------
def _synth(scale: str):
    def run(workdir: Path) -> int:
        from workbench.synth import write_city
        from workbench.data import Dataset

        out = write_city(scale=scale, seed=20261125, out=workdir / f"city-{scale}")
        ds = Dataset.from_folder(out)
        return int(len(ds["victimizations"]))

    return run


def _report_demo(workdir: Path) -> int:
    from workbench.report import run_report

    result = run_report(ROOT / "parameters" / "demo.yaml", out=workdir / "report", progress=False)
    return int(len(result.notebooks)) if hasattr(result, "notebooks") else 1


BENCHMARKS = {
    # name: (function, default repeats, target seconds or None, what n counts)
    "synth_tiny": (_synth("tiny"), 5, 2.0, "victimizations"),
    "synth_demo": (_synth("demo"), 3, 30.0, "victimizations"),
    "synth_city": (_synth("city"), 1, None, "victimizations"),
    "report_demo": (_report_demo, 1, 120.0, "notebooks"),
}


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, kids) / 1024.0, 1)  # ru_maxrss is KiB on Linux


def _child(name: str, repeats: int) -> dict:
    func, _, target, unit = BENCHMARKS[name]
    times, n = [], 0
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            start = time.perf_counter()
            n = func(Path(tmp))
            times.append(time.perf_counter() - start)
    seconds = round(statistics.median(times), 3)
    return {
        "name": name,
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "n": n,
        "n_unit": unit,
        "runs": repeats,
        "target_seconds": target,
        "meets_target": None if target is None else seconds <= target,
        "peer": None,
        "peer_seconds": None,
        "ratio": None,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="run only these")
    p.add_argument("--repeats", type=int, help="override the number of runs per benchmark")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.child:
        print(json.dumps(_child(args.child, args.repeats or BENCHMARKS[args.child][1])))
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

    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    merged = {r["name"]: r for r in previous}
    merged.update({r["name"]: r for r in results})
    RESULTS.write_text(json.dumps(list(merged.values()), indent=2) + "\n")
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
