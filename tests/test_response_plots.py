"""workbench.plots.response: figures draw what the analyses return and hide small counts."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from workbench import outreach, response, survival  # noqa: E402
from workbench.plots import response as prp  # noqa: E402

SEED = 20261125


@pytest.fixture(scope="module")
def city():
    from workbench.synth import generate_city

    return generate_city("tiny", SEED)


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_km_plot_suppresses_small_at_risk_counts(city):
    table = survival.engagement_table(city.dataset)
    km = survival.kaplan_meier(table, by="responder_type")
    fig = prp.plot_km(km, min_count=11, xmax=90)
    texts = _texts(fig)
    assert "<11" in texts
    shown = [int(t) for t in texts if t.isdigit()]
    assert shown and min(shown) >= 11
    assert len(fig.axes[0].lines) >= km.medians.shape[0]
    plt.close(fig)


def test_other_plots(city):
    ds = city.dataset
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
