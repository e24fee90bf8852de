"""Truth recovery on the demo city: Cox hazard ratios cover the generating coefficients and the
Kaplan-Meier median interval covers the true median time to engagement."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from workbench import survival as S


@pytest.fixture(scope="module")
def table(synthetic_demo):
    return S.engagement_table(synthetic_demo.dataset)


def _truth(params: dict) -> dict[str, float]:
    out = {}
    pairs = [("service", "beta_service"), ("provider", "beta_provider"), ("responder_type", "beta_responder")]
    for var, key in pairs:
        out.update({f"{var}[{lv}]": b for lv, b in params[key].items()})
    out["age_per_decade"] = params["beta_age_per_decade"]
    out["on_scene_hours"] = 0.0  # not in the generating model
    out["prior_victimization"] = 0.0
    return out


def test_cox_intervals_cover_generating_coefficients(synthetic_demo, table):
    p = synthetic_demo.truth["params"]
    reference = {
        "service": "mental_health",
        "responder_type": "social_worker",
        "provider": [pv for provs in p["providers"].values() for pv in provs if pv not in p["beta_provider"]],
    }
    res = S.fit_cox(table, reference=reference, alpha=0.05)
    truth = _truth(p)
    s = res.summary.set_index("column")
    # every reference-coded coefficient of the truth is estimated (levels with beta 0 included)
    assert set(s.index) == {c for c in truth if c in s.index} and len(s) == 20
    true = np.array([truth.get(c, 0.0) for c in s.index])
    lo, hi = np.log(s["hr_lower"].to_numpy()), np.log(s["hr_upper"].to_numpy())
    covered = (lo <= true) & (true <= hi)
    assert covered.all(), list(s.index[~covered])
    assert res.failing == []  # the generating model is proportional hazards
    assert 0.55 < res.concordance < 0.7


def test_km_median_interval_covers_true_median(synthetic_demo, table):
    p = synthetic_demo.truth["params"]
    eta = synthetic_demo.engagement.set_index("referral_id").loc[table["referral_id"], "log_hazard"].to_numpy()
    k, lam = p["weibull_shape"], p["weibull_scale_days"]
    true_median = brentq(lambda t: np.mean(np.exp(-((t / lam) ** k) * np.exp(eta))) - 0.5, 1e-3, 1e4)
    m = S.kaplan_meier(table).medians.iloc[0]
    assert m["median_lower"] <= true_median <= m["median_upper"]
    assert abs(m["median"] - true_median) < 5


def test_revictimization_within_a_year_matches_realized_share(synthetic_demo):
    rv = S.revictimization_table(synthetic_demo.dataset)
    at = S.incidence_at(S.revictimization_incidence(rv), [365.25])
    one = at[at["cause"] == "revictimized"].iloc[0]
    realized = synthetic_demo.truth["realized"]["revictimization"]["share_within_365d"]
    assert one["lower"] <= realized <= one["upper"]
