"""One vocabulary for results: learned values end in ``_``, a ``summary_`` table, the settings apart,
old names kept working; warnings typed and passed on, never swallowed."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import workbench
from workbench import dosage
from workbench.survival.cox import robust_fit


@pytest.fixture(scope="module")
def ds(synthetic_tiny):
    return synthetic_tiny.dataset


def test_cox_result_speaks_lifelines(ds):
    from workbench.survival import engagement_table, fit_cox

    res = fit_cox(engagement_table(ds), covariates=["age"], check=False)
    assert res.summary_ is res.summary
    np.testing.assert_array_equal(res.params_.to_numpy(), res.summary["coef"].to_numpy())
    assert list(res.params_.index) == list(res.confidence_intervals_.index)
    assert (res.confidence_intervals_["lower"] <= res.params_).all()
    assert (res.params_ <= res.confidence_intervals_["upper"]).all()


def test_program_change_and_balance_aliases(ds):
    ids = ds["areas"]["area_id"].tolist()
    pc = dosage.program_change(ds, "2024-06-01", program_areas=ids[:8], n_boot=200)
    assert pc.areas_ is pc.areas and pc.groups_ is pc.groups and pc.did_ is pc.did
    row = pc.summary_.loc["did"]
    assert row["estimate"] == pc.did["estimate"] and row["lower"] <= row["estimate"] <= row["upper"]
    assert list(pc.confidence_intervals_.columns) == ["lower", "upper"]
    none = pc.with_groups([])  # nobody reached: no comparison, an empty table
    assert none.did is None and none.summary_.empty
    bal = dosage.balance(dosage.dose_counts(ds))
    assert bal.summary_ is bal.table and bal.table_ is bal.table
    assert bal.need_ is bal.need and bal.support_ is bal.support and bal.coef_ == bal.coef
    ci = bal.confidence_intervals_
    assert {"need_lower", "need_upper"} <= set(ci.columns) and len(ci) == len(bal.table)


def test_rolling_evaluation_settings_apart():
    from workbench.network.rolling import RollingEvaluation

    cut = pd.DatetimeIndex(["2024-01-01"], tz="UTC")
    e = pd.DataFrame()
    r = RollingEvaluation(e, e, e, e, e, e, cut, 365.0, 0.05)
    assert r.settings == {"cutoffs": cut, "horizon_days": 365.0, "top_share": 0.05}
    assert r.cutoffs is cut  # the old name stays


def test_exposure_and_knox_aliases(ds):
    from workbench.spatial import KnoxTest, exposure_zones

    ex = exposure_zones(ds)
    assert ex.zones_ is ex.zones and ex.areas_ is ex.areas and ex.places_ is ex.places
    assert "geometry" not in ex.summary_.columns and len(ex.summary_) == len(ex.zones)
    knox = KnoxTest(permutations=9, seed=0, n_jobs=1).fit(ds)
    assert knox.summary_ is knox.table_


class _Model:
    params_ = np.array([0.5])

    def fit(self):
        warnings.warn("a lifelines statistical caution", UserWarning)


def test_robust_fit_passes_other_warnings_on():
    """robust_fit records warnings to spot non-convergence; the others still reach the user."""
    with pytest.warns(UserWarning, match="statistical caution"):
        model, pen, note, reason = robust_fit(lambda p: _Model(), lambda m: m.fit())
    assert isinstance(model, _Model) and reason == "" and note == ""


def test_revictimization_risk_never_hides_a_failed_fit(ds, monkeypatch):
    """A fit that cannot converge gives no model and says why, with a workbench ConvergenceWarning."""
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError

    from workbench import outreach

    def fail(self, *a, **k):
        raise ConvergenceError("Convergence halted due to matrix inversion problems.")

    monkeypatch.setattr(CoxPHFitter, "fit", fail)
    with pytest.warns(workbench.ConvergenceWarning, match="re-victimization risk model"):
        risk = outreach.fit_revictimization_risk(ds, min_events=1)
    assert risk.model is None and "matrix inversion" in risk.reason


def test_trauma_index_failure_is_a_typed_warning(ds, monkeypatch):
    """A trauma index that cannot be computed leaves the doses, says why, and warns (typed)."""
    import workbench.spatial
    from workbench.data.errors import DataError
    from workbench.dosage.measures import add_trauma_index

    def no_component(*a, **k):
        raise DataError.single("areas", None, "none of the index components is present")

    monkeypatch.setattr(workbench.spatial, "trauma_index", no_component)
    areas = ds["areas"]
    doses = pd.DataFrame({"area_id": areas["area_id"], "shootings": 1.0, "resident_years": 100.0})
    with pytest.warns(workbench.StatisticalWarning, match="trauma index not computed"):
        out = add_trauma_index(doses, ds)
    assert out["trauma_index"].isna().all() and out.attrs["trauma_source"].startswith("not available")
