#!/usr/bin/env python
"""Print the README's performance table from ``benchmarks/results.json`` (only its figures).

Usage: ``python benchmarks/table.py [name ...]`` (default: the benchmarks of issue 14).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"
DEFAULT = ["knox_philadelphia", "knox_250k", "knox_1m", "knox_vs_pointpats", "kde_100k", "getis_philadelphia",
           "network_build", "network_exposure"]


def _s(v: float | None) -> str:
    if v is None:
        return "–"
    return f"{v:.3g} s" if v < 10 else f"{v:.0f} s"


def row(r: dict) -> str:
    ours = _s(r.get("seconds"))
    if r.get("seconds_min") is not None and r.get("runs", 1) > 1:
        ours += f" ({_s(r['seconds_min'])}–{_s(r['seconds_max'])}, {r['runs']} runs)"
    if r.get("seconds_first_fit") is not None:
        ours += f"; first fit of a fresh process {_s(r['seconds_first_fit'])}"
    if r.get("seconds_cluster_1") is not None:
        ours += (f"; LocalCluster 1 worker {_s(r['seconds_cluster_1'])}, 2 workers {_s(r['seconds_cluster_2'])} "
                 f"(speedup {r['speedup_2_vs_1_workers']}×)")
    mem = f"{r['peak_mb'] / 1024:.2f} GB" if r.get("peak_mb") else "–"
    if r.get("peak_mb_workers_2"):
        mem += f" (workers ≤ {max(r['peak_mb_workers_1'] + r['peak_mb_workers_2']) / 1024:.2f} GB)"
    peer = "–"
    if r.get("peer"):
        peer = f"{r['peer']}: {_s(r.get('peer_seconds'))}"
    ratio = f"{r['ratio']}×" if r.get("ratio") is not None else "–"
    match = {True: "yes", False: "**no**", None: "–"}[r.get("answers_match")]
    target = {True: "met", False: "**missed**", None: "–"}[r.get("meets_target")]
    load = r.get("environment", {}).get("loadavg", ["?"])[0]
    cpu = r.get("cpu_seconds_first_fit", r.get("cpu_seconds_first_call", r.get("cpu_seconds")))
    cpu = "–" if cpu is None else f"{cpu:g} s"
    engine = r.get("engine", "–")
    return f"| `{r['name']}` | {r.get('n')} | {ours} | {mem} | {peer} | {ratio} | {match} | {target} | {cpu} | {engine} | {load} |"


def main(names: list[str]) -> None:
    results = {r["name"]: r for r in json.loads(RESULTS.read_text())}
    print("| benchmark | n | ours (median, min–max) | peak memory | peer (median) | ratio | same answer | target "
          "| CPU (first run) | engine | load avg |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in names or DEFAULT:
        if name in results and "error" not in results[name]:
            print(row(results[name]))


if __name__ == "__main__":
    main(sys.argv[1:])
