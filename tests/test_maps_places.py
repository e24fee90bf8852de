"""Places computations behind notebook 01 (workbench.sections.places) and its figures (workbench.plots.places)."""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from workbench.sections import places as pl
from workbench.plots import places as pp
from workbench.data.dataset import Dataset

MIN = 11


@pytest.fixture(scope="module")
def result(tiny_dataset):
    return pl.analyze_places(tiny_dataset, permutations=49, kde_cell_m=100)


@pytest.fixture(scope="module")
def no_population(tiny_dataset):
    areas = tiny_dataset["areas"].drop(columns=["population", "children"], errors="ignore")
    tables = {"areas": areas, "incidents": tiny_dataset["incidents"]}
    return Dataset(tables=tables, timezone=tiny_dataset.timezone, crs=tiny_dataset.crs, name="nopop")


def test_analyze_places_runs_everything(result, tiny_dataset):
    assert len(result.incidents) == len(tiny_dataset["incidents"])
    assert result.knox is not None and result.knox.permutations == 49
    assert result.kde.density_.sum() * result.kde.cell_area_ == pytest.approx(len(result.incidents))
    assert {"count", "label", "cls", "z"} <= set(result.gi.columns)
    small = (result.gi["count"] > 0) & (result.gi["count"] < MIN)
    assert (result.gi.loc[small, "label"] == f"<{MIN}").all()
    assert result.dose is not None and result.trauma is not None and result.trauma["index"].notna().any()


def test_period_filter(tiny_dataset):
    r = pl.analyze_places(tiny_dataset, "2024-06-01", "2025-01-01", permutations=9)
    t = r.incidents["occurred_at"].dt.tz_convert(tiny_dataset.timezone)
    assert len(r.incidents) and t.min() >= pd.Timestamp("2024-06-01", tz=tiny_dataset.timezone)
    assert t.max() < pd.Timestamp("2025-01-01", tz=tiny_dataset.timezone)


def test_knox_display_hides_few_pairs(result):
    shown = pl.knox_display(result.knox, MIN)
    t = result.knox.table_
    few = t[(t.observed < MIN) & (t.observed > 0)]
    for _, row in few.iterrows():
        assert np.isnan(shown.loc[row.spatial_band, row.temporal_band])
    ok = t[(t.observed >= MIN) & (t.expected > 0)]
    for _, row in ok.iterrows():
        assert shown.loc[row.spatial_band, row.temporal_band] == pytest.approx(row.knox_ratio)
    assert shown.attrs["p"].shape == shown.shape == shown.attrs["empty"].shape
    fig = pp.plot_knox_ratios(shown, min_count=MIN)  # p-values and empty cells from shown.attrs
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == shown.size and "n/s" in texts


def test_ranked_areas_by_trauma_index(result, tiny_dataset):
    ranked = pl.ranked_areas(result, tiny_dataset["areas"], MIN, top=5)
    assert len(ranked) == 5 and (ranked["measure"] == "trauma context index").all()
    assert ranked["value"].is_monotonic_decreasing and list(ranked["rank"]) == [1, 2, 3, 4, 5]
    assert all(lab == f"<{MIN}" or int(lab) >= MIN or lab == "0" for lab in ranked["incidents"])
    fig = pp.plot_ranked_areas(ranked)
    ticks = sorted(zip(fig.axes[0].get_yticks(), [t.get_text() for t in fig.axes[0].get_yticklabels()]), reverse=True)
    assert [lab for _, lab in ticks] == list(ranked["name"])  # rank 1 on top, by name


def test_without_population_says_so_and_ranks_by_area(no_population):
    r = pl.analyze_places(no_population, permutations=9)
    assert r.exposure is not None and r.dose is None and r.trauma is None
    assert any("no population" in n for n in r.notes)
    said = pl.readings(r, MIN)
    assert any("no population" in s for s in said["exposure"] + said["areas"])
    ranked = pl.ranked_areas(r, no_population["areas"], 2)
    assert (ranked["measure"] == "incidents per km²").all() and ranked["value"].is_monotonic_decreasing
    # an area with a suppressed count is never ranked by its rate
    ranked11 = pl.ranked_areas(r, no_population["areas"], MIN)
    assert all(lab != f"<{MIN}" for lab in ranked11["incidents"])


def test_readings_never_quote_a_hidden_band(result):
    hidden = dataclasses.replace(result)
    said = pl.readings(hidden, min_count=10_000)  # every band below the threshold
    assert any("too few to show" in s for s in said["knox"])
    assert not any("%" in s for s in said["knox"])
