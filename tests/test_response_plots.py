"""workbench.plots.response: figures draw what the analyses return and hide small counts."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from workbench import outreach, response, survival  # noqa: E402
from workbench.plots import response as prp  # noqa: E402


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_km_plot_suppresses_small_at_risk_counts(synthetic_tiny):
    table = survival.engagement_table(synthetic_tiny.dataset)
    km = survival.kaplan_meier(table, by="responder_type")
    fig = prp.plot_km(km, min_count=11, xmax=90)
    texts = _texts(fig)
    assert "<11" in texts
    shown = [int(t) for t in texts if t.isdigit()]
    assert shown and min(shown) >= 11
    assert len(fig.axes[0].lines) >= km.medians.shape[0]
    plt.close(fig)


def test_other_plots(synthetic_tiny):
    ds = synthetic_tiny.dataset
    rd = response.prepare_response_data(ds)
    ps = response.infer_program_start(ds)
    trend = response.monthly_trends(rd, ps)
    figs = [
        prp.plot_trend(trend, "share_covered", "share", "coverage", share=True),
        prp.plot_time_on_scene(rd.responses),
        prp.plot_cumulative_incidence(survival.cumulative_incidence(survival.engagement_table(ds))),
        prp.plot_hazard_ratios(
            survival.fit_cox(survival.engagement_table(ds), ["responder_type"], check=False).summary),
        prp.plot_revictimization(survival.compare_revictimization(survival.revictimization_table(ds), ps),
                                 survival.LITERATURE),
        prp.plot_unserved(outreach.unserved_trend(ds, outreach.past_victims(ds, ps)), 11),
    ]
    assert any("program start" in t for t in _texts(figs[0]))
    assert len(figs[2].axes[0].lines) == len(survival.OUTCOMES)
    labels = [t.get_text() for t in figs[4].axes[0].get_legend().get_texts()]
    assert any("literature" in s for s in labels)
    for f in figs:
        plt.close(f)


def test_km_plot_with_more_groups_than_colours_draws_the_largest():
    import numpy as np
    import pandas as pd

    from workbench.plots.palette import MAX_QUALITATIVE
    from workbench.survival.km import KMResult

    n = MAX_QUALITATIVE + 3
    groups = [f"provider {i:02d}" for i in range(n)]
    t = np.array([0.0, 30.0, 60.0])
    curves = pd.DataFrame({"group": np.repeat(groups, 3), "time": np.tile(t, n),
                           "survival": np.tile([1.0, 0.7, 0.5], n), "lower": np.tile([1.0, 0.6, 0.4], n),
                           "upper": np.tile([1.0, 0.8, 0.6], n)})
    size = {g: 100 + i for i, g in enumerate(groups)}  # the last groups are the largest
    at_risk = pd.DataFrame({"group": np.repeat(groups, 3), "time": np.tile(t, n),
                            "at_risk": np.concatenate([[size[g], size[g] // 2, size[g] // 4] for g in groups])})
    km = KMResult(curves=curves, at_risk=at_risk, medians=pd.DataFrame(), logrank=None, by="provider", alpha=0.05)
    fig = prp.plot_km(km, min_count=11)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert len(labels) == MAX_QUALITATIVE
    assert "provider 00" not in labels and f"provider {n - 1:02d}" in labels
    assert f"largest {MAX_QUALITATIVE} of {n} groups" in fig.axes[0].get_title(loc="left")
    plt.close(fig)
