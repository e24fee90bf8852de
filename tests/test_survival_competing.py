"""Aalen-Johansen cumulative incidence: time-0 events, ties, and agreement with a hand-written
estimator and with lifelines where lifelines is right (no ties, no zero times); the censoring rule
shared by every analysis; loss to follow-up when the records carry only final outcomes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from workbench import survival as S


def hand_aalen_johansen(t, e, cause):
    """Textbook Aalen-Johansen, one distinct time at a time (all events at a time share S(t-))."""
    surv, f, out = 1.0, 0.0, {}
    for u in sorted(set(t) | {0.0}):
        n = sum(1 for x in t if x >= u)
        d = sum(1 for x, k in zip(t, e) if x == u and k > 0)
        dk = sum(1 for x, k in zip(t, e) if x == u and k == cause)
        if n:
            f += surv * dk / n
            surv *= 1 - d / n
        out[u] = f
    return out


def one_third_at_zero(n=300, seed=0):
    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(20, n), 0)  # whole days: many ties, and zeros
    t[: n // 3] = 0.0  # a third engage at the moment of referral
    e = rng.choice([1, 2, 0], n, p=[0.6, 0.25, 0.15])
    e[: n // 3] = 1
    return t, e


def test_matches_hand_written_with_ties_and_zero_times():
    t, e = one_third_at_zero()
    r = S.aalen_johansen(t, e, 2)
    for k in (1, 2):
        ref = hand_aalen_johansen(t.tolist(), e.tolist(), k)
        np.testing.assert_allclose(r["cif"][k - 1], [ref[u] for u in r["time"]], atol=1e-12)
    # a third engaged at time 0, and nobody is lost from the count at the end without censoring
    assert r["cif"][0][0] == pytest.approx(np.mean((t == 0) & (e == 1)))


def one_third_table(n=300, seed=1):
    """A third of the referrals engage at the moment of referral; the rest at continuous times."""
    rng = np.random.default_rng(seed)
    t = rng.exponential(20, n)
    e = rng.choice([1, 2, 0], n, p=[0.45, 0.35, 0.2])
    t[: n // 3], e[: n // 3] = 0.0, 1
    return t, e


def test_time_zero_events_are_counted_where_lifelines_drops_them():
    from lifelines import AalenJohansenFitter

    t, e = one_third_table()
    tab = pd.DataFrame({"outcome_days": t, "outcome": np.array(["censored", "engaged", "declined"])[e]})
    c = S.cumulative_incidence(tab, causes=["engaged", "declined"])
    final = float(c.loc[c["cause"] == "engaged", "cif"].iloc[-1])
    assert final == pytest.approx(hand_aalen_johansen(t.tolist(), e.tolist(), 1)[max(t)], abs=1e-12)
    lifelines_final = float(AalenJohansenFitter().fit(t, e, event_of_interest=1).cumulative_density_.iloc[-1, 0])
    # lifelines (0.30) drops the 100 time-0 engagements: a third of the referrals
    assert lifelines_final == pytest.approx(final - 1 / 3, abs=1e-9)


def test_agrees_with_lifelines_without_ties_or_zero_times():
    from lifelines import AalenJohansenFitter

    rng = np.random.default_rng(5)
    t = rng.exponential(10, 400) + 0.01
    e = rng.choice([0, 1, 2], 400, p=[0.3, 0.4, 0.3])
    r = S.aalen_johansen(t, e, 2)
    for k in (1, 2):
        lj = AalenJohansenFitter().fit(t, e, event_of_interest=k)
        ref = lj.cumulative_density_.iloc[:, 0]
        np.testing.assert_allclose(r["cif"][k - 1], ref.reindex(r["time"]).to_numpy(), atol=1e-12)
        ci = lj.confidence_interval_
        lo = np.minimum(ci.iloc[:, 0], ci.iloc[:, 1]).reindex(r["time"]).to_numpy()
        ok = np.isfinite(lo) & (r["cif"][k - 1] > 0) & (r["at_risk"] > 1)
        np.testing.assert_allclose(r["lower"][k - 1][ok], lo[ok], rtol=1e-6)


def test_incidence_is_readable_after_the_last_event_when_nobody_is_left():
    tab = pd.DataFrame({"outcome_days": [0.0, 3.0, 10.0, 30.0], "outcome": ["engaged", "declined", "engaged", "lost"]})
    at = S.incidence_at(S.cumulative_incidence(tab, causes=["engaged", "declined", "lost"]), [60, 120])
    assert at["cif"].notna().all() and at.groupby("time")["cif"].sum().tolist() == pytest.approx([1.0, 1.0])
    tab.loc[3, "outcome"] = "censored"  # someone still followed at the end: beyond it is unknown
    at = S.incidence_at(S.cumulative_incidence(tab, causes=["engaged", "declined"]), [60])
    assert at["cif"].isna().all() and at["beyond_followup"].all()


def test_one_censoring_rule_for_every_analysis(synthetic_tiny):
    ds = synthetic_tiny.dataset
    comp = S.engagement_table(ds)
    assert comp.attrs["censoring"] == "competing" and comp.attrs["causes"] == S.OUTCOMES
    np.testing.assert_array_equal(comp["days"], comp["outcome_days"])
    np.testing.assert_array_equal(comp["engaged"], comp["outcome"] == "engaged")
    # the KM of engagement is the cause-specific view: its events are the Aalen-Johansen engaged events
    km = S.kaplan_meier(comp)
    cif = S.cumulative_incidence(comp)
    assert km.medians["events"].iloc[0] == (comp["outcome"] == "engaged").sum()
    assert set(cif["cause"]) == set(S.OUTCOMES)
    adm = S.engagement_table(ds, censoring="administrative")
    assert set(adm["outcome"]) <= {"engaged", "declined", "censored"}
    assert set(S.cumulative_incidence(adm)["cause"]) == {"engaged", "declined"}
    # re-victimized people stay at risk of engaging under the administrative rule only
    rev = comp["outcome"].eq("revictimized").to_numpy()
    assert rev.any() and (adm.loc[rev, "days"].to_numpy() >= comp.loc[rev, "days"].to_numpy()).all()
    assert "re-victimization" in S.censoring_text(comp) and "shot again" in S.censoring_text(adm)
    with pytest.raises(ValueError, match="censoring"):
        S.engagement_table(ds, censoring="sometimes")


def test_final_outcomes_only_are_not_turned_into_lost(synthetic_tiny):
    ds = synthetic_tiny.dataset
    fu = ds["followups"].sort_values("attempted_at").groupby("referral_id").tail(1)  # the final record only
    final_ds = dataclasses.replace(ds, tables={**ds.tables, "followups": fu})
    tab = S.engagement_table(final_ds)
    assert tab.attrs["followup_records"] == "final"
    assert "only final outcomes" in S.censoring_text(tab)
    # only a final 'unreachable' record is a loss; nobody is lost at lost_after_days after the referral
    unreach = set(fu.loc[fu["outcome"] == "unreachable", "referral_id"])
    assert set(tab.loc[tab["outcome"] == "lost", "referral_id"]) <= unreach
    at = S.incidence_at(S.cumulative_incidence(tab), [60, 120])
    assert at["cif"].notna().all()


def test_loss_can_be_turned_off_and_follows_the_last_attempt(synthetic_tiny):
    ds = synthetic_tiny.dataset
    off = S.engagement_table(ds, lost_after_days=None)
    assert not (off["outcome"] == "lost").any() and "Nobody is counted lost" in S.censoring_text(off)
    tab = S.engagement_table(ds)
    assert tab.attrs["followup_records"] == "attempts"
    # a lost referral had no attempt of any kind in the lost_after_days before its loss date
    fu = ds["followups"].merge(tab[["referral_id", "referred_at", "outcome", "outcome_days"]], on="referral_id")
    lost = fu[fu["outcome_y"] == "lost"] if "outcome_y" in fu else fu[fu["outcome"] == "lost"]
    days = (lost["attempted_at"] - lost["referred_at"]).dt.total_seconds() / 86400
    assert (days <= lost["outcome_days"] - 30 + 1e-6).all()
