"""Choosing the policy map's cell width: the finest at which most incidents stay visible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.spatial import cell_counts, cell_size_table, choose_cell_size


@pytest.fixture(scope="module")
def points() -> pd.DataFrame:
    """300 incidents in three tight clusters (sd 150 m) plus 100 scattered over 10 km."""
    rng = np.random.default_rng(5)
    centres = np.array([[1000.0, 1000.0], [6000.0, 2000.0], [3000.0, 8000.0]])
    clustered = np.repeat(centres, 100, axis=0) + rng.normal(0, 150, (300, 2))
    scattered = rng.uniform(0, 10_000, (100, 2))
    xy = np.vstack([clustered, scattered])
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]})


def test_table_counts_agree_with_cell_counts(points):
    t = cell_size_table(points, (250.0, 1000.0), min_count=11, crs="EPSG:32616")
    assert list(t["cell_m"]) == [250.0, 1000.0]
    for _, row in t.iterrows():
        g = cell_counts(points, cell_m=row["cell_m"], crs="EPSG:32616")
        assert row["cells"] == len(g)
        assert row["cells_shown"] == int((g["count"] >= 11).sum())
        assert row["share_shown"] == pytest.approx(g.loc[g["count"] >= 11, "count"].sum() / 400)
    # coarser cells show more of the incidents
    assert t["share_shown"].is_monotonic_increasing


def test_choice_is_the_finest_width_meeting_the_share(points):
    t = cell_size_table(points, min_count=11, crs="EPSG:32616")
    w = choose_cell_size(points, min_count=11, min_share_shown=0.6, crs="EPSG:32616")
    ok = t[t["share_shown"] >= 0.6]
    assert w == ok["cell_m"].min()
    # the clusters (75% of incidents) are visible; the scatter never reaches 11 per cell
    assert 0.6 <= t.set_index("cell_m").loc[w, "share_shown"] < 0.9
    # an unreachable share falls back to the widest candidate
    assert choose_cell_size(points, (250.0, 500.0), min_count=200, crs="EPSG:32616") == 500.0
    # a higher threshold never asks for finer cells
    assert choose_cell_size(points, min_count=40, min_share_shown=0.6, crs="EPSG:32616") >= w


def test_bad_arguments():
    xy = np.zeros((3, 2))
    with pytest.raises(ValueError, match="min_share_shown"):
        choose_cell_size(xy, min_share_shown=0)
    with pytest.raises(ValueError, match="candidates"):
        choose_cell_size(xy, candidates=())


def test_count_legend_classes_are_whole_numbers_that_do_not_overlap():
    from workbench.maps import class_colors

    counts = np.array([11, 11, 12, 13, 16, 20, 27, 56, np.nan])
    colors, items = class_colors(counts)
    labels = [label for _, label in items]
    assert all("." not in s for s in labels)
    # every shown count falls in exactly one labelled class, and the classes cover 11..56
    ranges = [tuple(int(x) for x in s.split(" to ")) if " to " in s else (int(s), int(s)) for s in labels]
    covered = [n for lo, hi in ranges for n in range(lo, hi + 1)]
    assert len(covered) == len(set(covered)) and min(covered) == 11 and max(covered) == 56
    for value, color in zip(counts[:-1], colors[:-1]):
        (label,) = [s for (c, s), (lo, hi) in zip(items, ranges) if lo <= value <= hi]
        assert dict(items)[color] == label
    # rates keep decimals
    _, rate_items = class_colors(np.array([0.5, 1.25, 2.75, 3.5]))
    assert any("." in s for _, s in rate_items)
