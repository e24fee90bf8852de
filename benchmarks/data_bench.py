"""Data benchmarks (raw exports through ``workbench map`` and the loader), called from ``benchmarks/run.py``.

Each function takes a work folder and returns one record
``{"name", "seconds", "peak_mb", "n", ...}``; generating the synthetic city and writing the export
are not timed.

- ``load_victim_suspect_demo``: the demo city's victims written one row per victim x suspect, loaded
  through the mapping ``workbench map`` proposes (dedupe, pseudonymous ids per victim, people and
  victimizations from one file, flags and data end). Target: 10 s.
- ``map_stateplane_demo``: ``propose_mapping`` on the demo city's incidents written in state plane
  feet with thousands separators and separate date/time columns (20,000-row sample, the CRS guess
  over every NAD83 feet zone). Target: 15 s.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

__all__ = ["ALL", "load_victim_suspect_demo", "map_stateplane_demo"]


def _peak_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _exports(workdir: Path, shape: str) -> Path:
    from workbench.synth import generate_city
    from workbench.synth.exports import write_exports

    return write_exports(generate_city("demo").dataset, Path(workdir) / "exports", shapes=(shape,))[shape]


def load_victim_suspect_demo(workdir: Path) -> dict:
    from workbench.data import load_dataset
    from workbench.data.propose import propose_mapping, render_yaml

    path = _exports(workdir, "victim_suspect")
    params = Path(workdir) / "vs.yaml"
    params.write_text(render_yaml(propose_mapping(path), source=str(path.parent)))
    t0 = time.perf_counter()
    ds = load_dataset(params)
    seconds = time.perf_counter() - t0
    rows = sum(1 for _ in path.open()) - 1
    return {"name": "load_victim_suspect_demo", "seconds": round(seconds, 3), "peak_mb": round(_peak_mb(), 1),
            "n": rows, "incidents": len(ds["incidents"]), "victimizations": len(ds["victimizations"])}


def map_stateplane_demo(workdir: Path) -> dict:
    from workbench.data.propose import propose_mapping

    path = _exports(workdir, "stateplane_ft")
    t0 = time.perf_counter()
    p = propose_mapping(path)
    seconds = time.perf_counter() - t0
    rows = sum(1 for _ in path.open()) - 1
    return {"name": "map_stateplane_demo", "seconds": round(seconds, 3), "peak_mb": round(_peak_mb(), 1),
            "n": min(rows, 20_000), "source_crs": p.data["tables"]["incidents"].get("source_crs")}


ALL = {f.__name__: f for f in (load_victim_suspect_demo, map_stateplane_demo)}
