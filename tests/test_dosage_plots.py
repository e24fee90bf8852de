"""The police-vs-support quadrant chart uses its space (issue 12 section 4).

Axes fit the data (a threshold far from every area is left off, a few extreme areas are drawn
at the edge with a note), and the areas the page names carry their names (aggregates only).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from workbench import dosage  # noqa: E402
from workbench.plots import dosage as pdz  # noqa: E402


def _counts(n: int = 30, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pop = np.full(n, 5000.0)
    shoot = rng.integers(20, 60, n).astype(float)
    hours = (0.1 + 40 * shoot / pop) * pop * rng.uniform(0.9, 1.1, n)
    visits = shoot * np.tile([0.3, 1.0, 1.0, 2.5, 1.0], n // 5)
    return pd.DataFrame({"area_id": [f"A{i:02d}" for i in range(n)], "period": "all", "population": pop,
                         "resident_years": pop, "shootings": shoot, "patrol_hours": hours, "victims": shoot,
                         "coresponder_visits": visits, "police_contacts": np.nan})


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def test_ratio_axis_fits_the_data_and_clips_a_far_outlier():
    v = np.array([0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 0.95, 1.05, 60.0])
    lo, hi, above, below = pdz.ratio_axis(v, refs=(1.5, 1 / 1.5))
    assert above.tolist() == [False] * 8 + [True] and not below.any()
    assert lo < 1 / 1.5 and 1.5 < hi < 2.0  # thresholds near the data come in, 60 does not stretch the axis
    lo, hi, above, _ = pdz.ratio_axis(v[:-1], refs=(4.0, 0.25))
    assert not above.any() and 0.6 < lo < 0.8 and 1.3 < hi < 1.6  # thresholds far from every area stay off
    lo, hi, above, _ = pdz.ratio_axis(np.array([0.5, 0.7, 1.0, 1.4, 2.0, 7.0]))
    assert not above.any() and hi > 7.0  # a spread-out tail is data, not an outlier


def test_quadrant_axes_fit_the_areas_and_name_the_named_ones():
    counts = _counts()
    counts.loc[3, "patrol_hours"] *= 80  # one area far out
    bal = dosage.balance(counts, n_draws=400)
    t = bal.table
    labels = {"A03": "Far Out Park", "A10": "Middle Ward", "A11": r"Cost $\undefinedcmd$ Row"}  # names are text
    fig = pdz.plot_quadrant(bal, 11, labels=labels)
    ax = fig.axes[0]
    x0, x1 = ax.get_xlim()
    inner = t.loc[t["area_id"] != "A03", "police_ratio"]
    assert x0 <= inner.min() and inner.max() <= x1 < t.loc[3, "police_ratio"] / 3
    assert x1 / x0 < 8  # the bulk fills the width
    y0, y1 = ax.get_ylim()
    sr = t["support_ratio"]
    assert y0 <= sr.min() and sr.max() <= y1 and y1 / y0 < 2.0 * sr.max() / sr.min()
    texts = _texts(fig)
    assert "Far Out Park" in texts and "Middle Ward" in texts and r"Cost $\undefinedcmd$ Row" in texts
    fig.savefig(__import__("io").BytesIO(), format="png")  # no mathtext parse of a name
    assert not any(a in " ".join(texts) for a in t["area_id"])  # ids are not names: no other area named
    note = next(s for s in texts if "extreme police ratio" in s)
    assert note.startswith("1 area with an extreme police ratio (up to") and "right edge" in note
    edge = [c for c in ax.collections if hasattr(c, "get_offsets") and len(c.get_offsets()) == 1
            and np.isclose(c.get_offsets()[0][0], x1 / 1.06, rtol=1e-6)]
    assert len(edge) == 1  # the far area: drawn (as a triangle) inside the right edge


def test_flat_support_is_a_strip_without_empty_quadrants():
    counts = _counts()
    counts["coresponder_visits"] = counts["victims"] * 2.0  # the same support per victim everywhere
    bal = dosage.balance(counts, n_draws=400)
    fig = pdz.plot_quadrant(bal, 11)
    ax = fig.axes[0]
    assert fig.get_size_inches()[1] < 4 and "citywide rate everywhere" in ax.get_title(loc="left")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1"]
    assert not any(np.allclose(line.get_ydata(), 0.67) for line in ax.lines)  # no support threshold line


@pytest.mark.parametrize("seed", [20261125, 1, 3])
def test_quadrant_on_the_tiny_city_names_the_page_s_areas(seed):
    from workbench.sections.dosage import add_balance, dosage_section
    from workbench.synth import generate_city

    ds = generate_city("tiny", seed=seed).dataset
    sec = dosage_section(ds, min_count=11)
    item = add_balance(sec, seed=0)
    fig = pdz.plot_quadrant(sec.balance, 11, labels=item.figure["labels"])
    ax = fig.axes[0]
    x = sec.balance.table["police_ratio"]
    x0, x1 = ax.get_xlim()
    assert x0 <= x.min() and x.max() <= x1 and x1 / x0 < 1.4 * x.max() / x.min()  # fits, small margins
    names = set(item.figure["labels"].values())
    assert names == {t for t in _texts(fig) if t in names} and len(names) == len(sec.item("top").table)
