"""Fairness audit: rates and ratios against hand computations, flags, unreliable groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench._warnings import StatisticalWarning
from workbench.fairness import age_group, audit_table, disparity_flags, fairness_audit, group_counts


def _table() -> pd.DataFrame:
    # group a: 40 people, 10 selected, 8 victims of whom 6 selected
    # group b: 60 people, 2 selected, 6 victims of whom 1 selected
    a_sel = np.r_[np.ones(10, bool), np.zeros(30, bool)]
    a_out = np.r_[np.ones(6, bool), np.zeros(4, bool), np.ones(2, bool), np.zeros(28, bool)]
    b_sel = np.r_[np.ones(2, bool), np.zeros(58, bool)]
    b_out = np.r_[True, False, np.ones(5, bool), np.zeros(53, bool)]
    return pd.DataFrame({
        "race_ethnicity": ["a"] * 40 + ["b"] * 60,
        "sex": ["male"] * 100,
        "selected": np.r_[a_sel, b_sel],
        "outcome": np.r_[a_out, b_out],
        "probability": np.r_[np.full(40, 0.25), np.full(60, 0.05)],
    })


def test_rates_match_hand_computation():
    audit = fairness_audit(_table(), ["race_ethnicity"], min_n=30, min_events=3)
    a = audit.set_index("group")
    assert list(a.index) == ["a", "b", "all"]
    assert a.loc["a", ["n", "n_selected", "n_outcome", "tp", "fp"]].tolist() == [40, 10, 8, 6, 4]
    assert a.loc["b", ["n", "n_selected", "n_outcome", "tp", "fp"]].tolist() == [60, 2, 6, 1, 1]
    assert a.loc["a", "selection_rate"] == pytest.approx(10 / 40)
    assert a.loc["a", "capture_rate"] == pytest.approx(6 / 8)
    assert a.loc["a", "false_positive_rate"] == pytest.approx(4 / 32)
    assert a.loc["b", "capture_rate"] == pytest.approx(1 / 6)
    assert a.loc["b", "false_positive_rate"] == pytest.approx(1 / 54)
    assert a.loc["all", "selection_rate"] == pytest.approx(12 / 100)
    assert a.loc["all", "capture_rate"] == pytest.approx(7 / 14)
    # calibration: observed / mean predicted
    assert a.loc["a", "calibration"] == pytest.approx((8 / 40) / 0.25)
    assert a.loc["b", "calibration"] == pytest.approx((6 / 60) / 0.05)
    assert a.loc["all", "mean_predicted"] == pytest.approx((40 * 0.25 + 60 * 0.05) / 100)
    # ratios against the overall rate
    assert a.loc["a", "selection_rate_ratio"] == pytest.approx(0.25 / 0.12)
    assert a.loc["b", "capture_rate_ratio"] == pytest.approx((1 / 6) / 0.5)
    assert a.loc["all", "selection_rate_ratio"] == pytest.approx(1.0)


def test_disparity_flags_when_seeded_and_not_otherwise():
    rng = np.random.default_rng(0)
    n = 2000
    df = pd.DataFrame({"sex": rng.choice(["male", "female"], n), "outcome": rng.random(n) < 0.1})
    # fair list: selected at random -> nothing flagged on selection rate
    df["selected"] = rng.random(n) < 0.2
    fair = fairness_audit(df, ["sex"], predicted=None)
    assert not fair.set_index("group").loc[["male", "female"], "selection_rate_ratio"].sub(1).abs().gt(0.2).any()
    assert "selection_rate" not in ",".join(fair["flags"])
    # seeded disparity: only men are ever selected
    df["selected"] = (df["sex"] == "male") & (rng.random(n) < 0.4)
    unfair = fairness_audit(df, ["sex"], predicted=None)
    f = unfair.set_index("group")
    assert f.loc["female", "flagged"] and "selection_rate" in f.loc["female", "flags"]
    assert f.loc["female", "selection_rate_ratio"] == 0.0
    flags = disparity_flags(unfair)
    assert {"female", "male"} <= set(flags["group"])
    assert set(flags["metric"]) >= {"selection_rate", "capture_rate", "false_positive_rate"}
    # a wider bound accepts what the four-fifths rule flags for men (ratio about 2)
    wide = fairness_audit(df, ["sex"], predicted=None, bound=(0.0, 10.0))
    assert not wide.set_index("group").loc["male", "flagged"]


def test_small_groups_are_unreliable_not_ranked():
    df = _table()
    df.loc[:4, "race_ethnicity"] = "tiny"  # 5 people
    audit = fairness_audit(df, ["race_ethnicity"], min_n=30, min_events=5).set_index("group")
    assert not audit.loc["tiny", "reliable"]
    assert np.isnan(audit.loc["tiny", "selection_rate_ratio"])
    assert not audit.loc["tiny", "flagged"]
    assert audit.loc["tiny", "selection_rate"] == pytest.approx(1.0)  # rate shown, not ranked


def test_reference_group_and_summed_counts():
    df = _table()
    audit = fairness_audit(df, ["race_ethnicity"], reference={"race_ethnicity": "a"}, min_events=5)
    b = audit.set_index("group").loc["b"]
    assert b["selection_rate_ratio"] == pytest.approx((2 / 60) / (10 / 40))
    # counts from two cutoffs add: doubling the table leaves rates unchanged, counts doubled
    c = group_counts(df, ["race_ethnicity"])
    with pytest.warns(StatisticalWarning, match="person-cutoffs"):
        twice = audit_table(pd.concat([c, c]), min_events=5).set_index("group")
    once = audit_table(c, min_events=5).set_index("group")
    assert twice.loc["a", "n"] == 80
    assert twice.loc["a", "capture_rate"] == pytest.approx(once.loc["a", "capture_rate"])
    with pytest.raises(ValueError):
        audit_table(c, bound=(1.2, 0.8))


def test_age_groups():
    got = age_group(pd.Series([12, 18, 24.9, 25, 34, 35, 80, np.nan])).tolist()
    assert got == ["under 18", "18-24", "18-24", "25-34", "25-34", "35 and over", "35 and over",
                   "unknown"]


def _pooled(n_cutoffs: int, seed: int = 0) -> pd.DataFrame:
    """Person-cutoff rows: 400 people of groups a/b ranked at every cutoff plus 2 people of
    group "pair" ranked at every cutoff and always selected."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_cutoffs):
        ids = np.r_[np.arange(400), [900, 901]].astype(str)
        group = np.r_[np.where(np.arange(400) < 250, "a", "b"), ["pair", "pair"]]
        sel = np.r_[rng.random(400) < 0.1, [True, True]]
        out = np.r_[rng.random(400) < 0.05, [c % 3 == 0, False]]
        rows.append(pd.DataFrame({"person_id": ids, "race_ethnicity": group, "selected": sel,
                                  "outcome": out, "cutoff": c}))
    return pd.concat(rows, ignore_index=True)


def test_reliability_counts_distinct_people_not_person_cutoffs():
    df = _pooled(36)
    counts = group_counts(df, ["race_ethnicity"], predicted=None, person="person_id")
    pair = counts.set_index("group").loc["pair"]
    assert pair["n"] == 72 and pair["n_people"] == 2 and pair["n_selected_people"] == 2
    audit = audit_table(counts, min_n=30).set_index("group")
    assert not audit.loc["pair", "reliable"] and not audit.loc["pair", "flagged"]
    assert audit.loc["a", "reliable"] and audit.loc["a", "n_people"] == 250
    # summed per-cutoff counts with the distinct people of the pooled lists: same verdict
    per_cut = pd.concat([group_counts(d, ["race_ethnicity"], predicted=None) for _, d in df.groupby("cutoff")])
    people = counts[["attribute", "group", "n_people", "n_selected_people", "n_outcome_people",
                     "n_negative_people"]]
    pooled = audit_table(per_cut, min_n=30, people=people).set_index("group")
    assert not pooled.loc["pair", "reliable"]
    assert pooled.loc["a", "n"] == 250 * 36
    # without distinct people the two-person group of 72 person-cutoffs passed and was flagged
    with pytest.warns(StatisticalWarning):
        old = audit_table(per_cut, min_n=30).set_index("group")
    assert old.loc["pair", "reliable"] and old.loc["pair", "flagged"]


def test_numerators_must_be_supported():
    """A group with one flag out of 40 is not judged; a large group never flagged although
    dozens of flags were expected is."""
    rng = np.random.default_rng(1)
    n = 3000
    g = np.where(np.arange(n) < 40, "small", np.where(np.arange(n) < 1000, "never", "rest"))
    sel = (g == "rest") & (rng.random(n) < 0.15)
    sel[0] = True  # one flag in the small group
    df = pd.DataFrame({"race_ethnicity": g, "selected": sel, "outcome": rng.random(n) < 0.05})
    a = fairness_audit(df, ["race_ethnicity"], predicted=None, min_n=30).set_index("group")
    assert a.loc["small", "reliable"] and np.isnan(a.loc["small", "selection_rate_ratio"])
    assert np.isnan(a.loc["small", "precision_ratio"])
    assert a.loc["never", "selection_rate_ratio"] == 0.0 and "selection_rate" in a.loc["never", "flags"]


def test_precision_and_rates_match_a_pandas_recomputation():
    from sklearn.metrics import precision_score, recall_score

    df = _pooled(5, seed=3).loc[lambda d: d["cutoff"] == 2]
    a = fairness_audit(df, ["race_ethnicity"], predicted=None, min_n=1, min_events=1,
                       min_selected=1).set_index("group")
    for name, d in df.groupby("race_ethnicity"):
        y, s = d["outcome"].to_numpy(), d["selected"].to_numpy()
        if s.any():
            assert a.loc[name, "precision"] == pytest.approx(precision_score(y, s))
            assert a.loc[name, "precision"] == pytest.approx(d.loc[d["selected"], "outcome"].mean())
        if y.any():
            assert a.loc[name, "capture_rate"] == pytest.approx(recall_score(y, s))
        assert a.loc[name, "false_positive_rate"] == pytest.approx((s & ~y).sum() / (~y).sum())
    overall = df.loc[df["selected"], "outcome"].mean()
    assert a.loc["a", "precision_ratio"] == pytest.approx(a.loc["a", "precision"] / overall)


def test_capture_of_all_victims_beside_ranked_capture():
    df = _table()
    a = fairness_audit(df, ["race_ethnicity"], min_events=3, n_victims=20).set_index("group")
    assert a.loc["all", "n_victims_unranked"] == 20 - 14
    assert a.loc["all", "capture_rate_all_victims"] == pytest.approx(7 / 20)
    assert a.loc["all", "capture_rate"] == pytest.approx(7 / 14)
    assert np.isnan(a.loc["a", "n_victims_unranked"])
