"""Distances on pages in the reader's unit (``data.distance_unit``): exposure zone radius, risk
window, map cell width, brief and Now block texts go through :func:`format_distance`."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from workbench.data import Dataset
from workbench.data.units import format_distance


def _result(unit: str):
    from workbench.sections.places import PlacesResult

    table = pd.DataFrame({"distance_to_m": [121.92, np.inf], "days_to": [14.0, np.inf], "expected": [10.0, 1.0],
                          "observed": [40, 1], "knox_ratio": [1.4, 1.0], "p_value": [0.01, 0.5]})
    return PlacesResult(incidents=None, knox=SimpleNamespace(table_=table),
                        window=SimpleNamespace(raised=True, radius_m=121.92, days=14.0),
                        exposure=SimpleNamespace(radius_m=121.92, days=7.0),
                        dose=pd.DataFrame({"resident_exposures": [1.0], "population": [10.0], "repeat_exposed": [0]}),
                        params={"distance_unit": unit})


def test_places_readings_in_feet_and_meters():
    from workbench.sections.places import readings

    ft = " ".join(sum(readings(_result("ft"), 11).values(), []))
    assert "within 400 ft and 14 days" in ft and "up to about 400 ft" in ft and "zones of 400 ft" in ft
    assert " m " not in ft
    m = " ".join(sum(readings(_result("m"), 11).values(), []))
    assert "within 120 m and 14 days" in m and "zones of 120 m" in m


def test_map_cell_width_and_zone_legend_in_feet(tiny_dataset):
    from workbench.maps import places_map

    pts = tiny_dataset.points("incidents")
    html = places_map(pts, cell_m=152.4, distance_unit="ft").get_root().render()
    assert "Incidents per 500 ft cell" in html
    html = places_map(pts, cell_m=150, distance_unit="m").get_root().render()
    assert "Incidents per 150 m cell" in html


def test_brief_distances_in_feet(tiny_dataset):
    from workbench.sections.brief import brief
    from workbench.sections.now import now_shootings

    ds = Dataset(tables=tiny_dataset.tables, timezone=tiny_dataset.timezone, crs=tiny_dataset.crs,
                 distance_unit="ft")
    day = now_shootings(ds)["occurred_at"].max().normalize() - pd.Timedelta(days=6)
    b = brief(ds, day, days=7, zone_radius_m=121.92, reach_m=243.84)
    text = " ".join(b.readings + b.notes)
    assert "(400 ft)" in text and " m)" not in text
    if len(b.areas):
        assert "Services within 800 ft" in b.areas.columns
    assert format_distance(121.92, "ft") == "400 ft"


def test_density_title_and_now_risk_window_in_feet(tiny_dataset):
    import matplotlib

    matplotlib.use("Agg")
    from workbench import plots
    from workbench.sections import overview

    grid = overview.density_grid(tiny_dataset, min_count=11)
    fig = plots.plot_density(grid, tiny_dataset["areas"], distance_unit="ft")
    title = fig.axes[0].get_title(loc="left")
    assert title.endswith(f"(smoothing {format_distance(grid.bandwidth_m, 'ft')})") and "ft)" in title


def test_now_block_risk_window_in_feet(tiny_dataset, monkeypatch):
    from workbench import spatial
    from workbench.sections.now import data_end, near_repeat_item, now_shootings

    ds = Dataset(tables=tiny_dataset.tables, timezone=tiny_dataset.timezone, crs=tiny_dataset.crs,
                 distance_unit="ft")
    monkeypatch.setattr(spatial, "risk_window", lambda knox: SimpleNamespace(raised=True, radius_m=121.92, days=14.0))
    monkeypatch.setattr(spatial, "near_repeat_windows", lambda recent, window: pd.DataFrame(columns=["end"]))
    shots = now_shootings(ds)
    item = near_repeat_item(ds, shots, data_end(ds), long_days=28, history_days=730, min_count=11,
                            spatial_bands_m=(0, 100, 200), temporal_bands_days=(0, 14, 28), permutations=9, seed=1)
    assert "the risk of another within 400 ft stays raised" in item.readings[0]


def test_summary_exposure_note_in_feet(tiny_dataset):
    from workbench.sections.summary import summarize

    ds = Dataset(tables=tiny_dataset.tables, timezone=tiny_dataset.timezone, crs=tiny_dataset.crs,
                 distance_unit="ft")
    assert "within 1,300 ft of a shooting" in summarize(ds, months=6).number("people_exposed").note
    assert "within 400 m of a shooting" in summarize(tiny_dataset, months=6).number("people_exposed").note
