"""Benchmarks of the Now block and Emerging Hot Spot Analysis (run through benchmarks/run.py)."""

from __future__ import annotations

from pathlib import Path


def emerging_cells(workdir: Path) -> int:
    """Emerging Hot Spot Analysis of 100,000 events on a 70 x 70 grid of 250 m cells, 60 steps."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from workbench.spatial import emerging_hot_spots, grid_counts

    rng = np.random.default_rng(1)
    n = 100_000
    xy = rng.uniform(0, 70 * 250.0 - 1e-6, (n, 2))
    end = pd.Timestamp("2025-01-01", tz="America/Chicago")
    t = end - pd.to_timedelta(rng.uniform(0, 60 * 28, n), unit="D")
    pts = gpd.GeoDataFrame({"occurred_at": t}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32616")
    cells = grid_counts(pts, cell_m=250.0, bounds=(0.0, 0.0, 70 * 250.0 - 1, 70 * 250.0 - 1))
    emerging_hot_spots(pts, cells, id_column="cell_id", end=end, n_steps=60)
    return n


def now_block_demo(workdir: Path) -> int:
    """The Now block on the demo city (Knox 999 permutations, emerging, gaps, dose)."""
    from workbench.sections import now_block
    from workbench.synth import generate_city

    ds = generate_city("demo", seed=20261125).dataset
    import time

    t0 = time.perf_counter()
    now_block(ds)
    return {"seconds": time.perf_counter() - t0, "n": int(len(ds["incidents"]))}


ALL = {"emerging_cells": emerging_cells}
SELF_TIMED = {"now_block_demo": now_block_demo}
