"""Overview computations (workbench.sections.overview), plots, atomic publication and the kernel."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pandas as pd
import pytest

from workbench import plots
from workbench.sections import overview
from workbench.report.kernel import KERNEL_NAME, kernel_environment, kernel_spec_dir
from workbench.report.publish import clean_stale, publish, staging_dir


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    from conftest import build_small_city
    from workbench.data.dataset import Dataset

    return Dataset.from_folder(build_small_city(tmp_path_factory.mktemp("small") / "city"))


def test_monthly_counts_match_raw_incidents(small):
    m = overview.monthly_counts(small)
    inc = small["incidents"]
    assert m["month"].tolist() == [f"2024-{k:02d}" for k in range(1, 13)]
    assert int(m["total"].sum()) == len(inc)
    kinds = ["fatal_shooting", "nonfatal_shooting", "shots_fired"]
    assert list(m.columns) == ["month", *kinds, "total"]
    assert (m[kinds].sum(axis=1) == m["total"]).all()
    march = inc["occurred_at"].dt.strftime("%Y-%m") == "2024-03"
    assert int(m.loc[m["month"] == "2024-03", "fatal_shooting"].iloc[0]) == int(
        (march & (inc["kind"] == "fatal_shooting")).sum())


def test_monthly_counts_period_bounds_local_time_and_empty_months(small):
    m = overview.monthly_counts(small, start="2023-11-01", end="2024-02-01")
    assert m["month"].tolist() == ["2023-11", "2023-12", "2024-01"]
    assert m["total"].tolist()[:2] == [0, 0]
    t = small["incidents"]["occurred_at"]
    assert m["total"].iloc[2] == int(((t >= pd.Timestamp("2024-01-01", tz="America/Chicago"))
                                      & (t < pd.Timestamp("2024-02-01", tz="America/Chicago"))).sum())


def test_area_rates_per_1000_and_per_km2(small):
    r = overview.area_rates(small, min_count=11)
    assert r.attrs["rate_unit"] == "per 1,000 residents"
    assert int(r["incidents"].sum()) + r.attrs["outside_areas"] == len(small["incidents"])
    np.testing.assert_allclose(r["rate"], r["incidents"] / r["population"] * 1000)
    assert r["suppressed"].tolist() == ((r["incidents"] > 0) & (r["incidents"] < 11)).tolist()
    # ~0.01 degree squares at 41.9 N: about 0.83 km x 1.11 km
    assert r["area_km2"].between(0.85, 0.99).all()
    small_nopop = type(small)(dict(small.tables), small.timezone, small.crs)
    small_nopop.tables["areas"] = small["areas"].drop(columns="population")
    r2 = overview.area_rates(small_nopop)
    assert r2.attrs["rate_unit"] == "per km²"
    np.testing.assert_allclose(r2["rate"], r2["incidents"] / r2["area_km2"])


def test_density_grid_integrates_to_incident_count_and_hides_sparse_cells(small):
    g = overview.density_grid(small, cell_m=100, bandwidth_m=300, min_count=1)
    total = np.nansum(g.density) * (g.cell_m / 1000) ** 2
    assert total == pytest.approx(len(small["incidents"]), rel=0.15)  # some mass leaks out
    strict = overview.density_grid(small, cell_m=100, bandwidth_m=300, min_count=50)
    assert np.isnan(strict.density).sum() > np.isnan(g.density).sum() and strict.n_suppressed > 0
    # the densest cell is in the south-west quarter, where 60% of incidents were put
    iy, ix = np.unravel_index(np.nanargmax(g.density), g.density.shape)
    assert iy < g.density.shape[0] * 0.6 and ix < g.density.shape[1] * 0.6


def test_readings_respect_suppression(small):
    m = overview.monthly_counts(small)
    r = overview.area_rates(small)
    text = " ".join(overview.readings(m, r, 11))
    assert "400 incidents" in text
    few = m.copy()
    few.loc[:, "fatal_shooting"] = 0
    few.loc[0, "fatal_shooting"] = 3
    few["total"] = few[["fatal_shooting", "nonfatal_shooting", "shots_fired"]].sum(axis=1)
    text = " ".join(overview.readings(few, None, 11))
    assert "<11 fatal shooting" in text and "**" not in text  # total withheld: no subtraction
    assert overview.readings(m.iloc[0:0], None, 11) == ["There are no incidents in the chosen period."]


def test_quality_table_and_table_overview(small):
    q = overview.quality_table(small)
    assert {"table", "column", "rows", "nulls", "share_null"} <= set(q.columns)
    assert q.loc[(q["table"] == "incidents") & (q["column"] == "incident_id"), "rows"].iloc[0] == 400
    t = overview.table_overview(small)
    assert t.set_index("table").loc["responses", "present"] == False  # noqa: E712


def test_plots_return_figures(small):
    import matplotlib

    matplotlib.use("Agg")
    page = overview.overview_section(small, 11)
    with pytest.raises(ValueError, match="hidden"):  # raw counts: the chart would show what the table hides
        plots.plot_monthly(overview.monthly_counts(small), 11)
    for fig in (plots.plot_monthly(page.monthly, 11), plots.plot_area_rates(page.rates),
                plots.plot_density(page.density, page.outlines)):
        assert fig.axes
        matplotlib.pyplot.close(fig)


def test_publish_replaces_and_clean_stale_restores(tmp_path):
    target = tmp_path / "r"
    s1 = staging_dir(target)
    (s1 / "index.html").write_text("one")
    publish(s1, target)
    s2 = staging_dir(target)
    (s2 / "index.html").write_text("two")
    publish(s2, target)
    assert (target / "index.html").read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]
    # a run killed between "rename old aside" and "rename new in" (pid 999999 is not alive)
    target.rename(tmp_path / ".r.old-999999-abc")
    (tmp_path / ".r.tmp-999999-def").mkdir()
    (tmp_path / f".r.tmp-{os.getpid()}-0a1").mkdir()  # a live run's staging: kept
    clean_stale(target)
    assert (target / "index.html").read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f".r.tmp-{os.getpid()}-0a1", "r"]


def test_kernel_environment_puts_this_prefix_first(monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", "/elsewhere")
    with kernel_environment() as name:
        assert name == KERNEL_NAME
        first = os.environ["JUPYTER_PATH"].split(os.pathsep)[0]
        assert first == os.path.join(sys.prefix, "share", "jupyter")
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        assert os.path.realpath(spec.argv[0]) == os.path.realpath(sys.executable)
    assert os.environ["JUPYTER_PATH"] == "/elsewhere"
    assert json.loads((kernel_spec_dir() / "kernel.json").read_text())["display_name"]
