"""Knox table presentation: the open x open cell (total minus the rest) is shown without a p-value or a star
(workbench.sections.places.knox_display; the engine's table_ is left to spatial.knox)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np

from workbench.sections.places import knox_display
from workbench.spatial import KnoxTest


def _knox():
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 3000, (400, 2))
    days = rng.uniform(0, 365, 400)
    return KnoxTest(spatial_bands=[0, 100, 400], temporal_bands=[0, 7, 28], same_location=False,
                    permutations=99, seed=1).fit(xy, days)


def test_open_open_cell_has_no_p_value_and_no_star():
    from workbench.plots.places import plot_knox_ratios

    knox = _knox()
    t = knox.table_
    oo = np.isinf(t["distance_to_m"]) & np.isinf(t["days_to"])
    assert oo.sum() == 1
    assert np.isfinite(t.loc[oo, "knox_ratio"]).all()  # the ratio is still shown
    shown = knox_display(knox, min_count=1)
    p = shown.attrs["p"]
    assert np.isnan(p.iloc[-1, -1]) and np.isfinite(p.iloc[:-1, :-1].to_numpy(float)).all()
    # with every other cell significant, the open x open cell still gets no star
    p0 = p * 0.0
    fig = plot_knox_ratios(shown, p0, min_count=1)
    texts = [x.get_text() for x in fig.axes[0].texts]
    assert texts[-1] == f"{shown.iloc[-1, -1]:.2f}"  # the last cell drawn is open x open, no star
    assert any(x.endswith("*") for x in texts[:-1])
