"""workbench.dosage: smoothing against direct computations, counts, balance, program change, tracks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import dosage
from workbench.data.dataset import Dataset
from workbench.sections import dosage as page
from workbench.synth import generate_city

SEED = 20261125


@pytest.fixture(scope="module")
def tiny():
    return generate_city("tiny", SEED)


# -- smoothing ------------------------------------------------------------------------------
def test_eb_rates_match_a_direct_computation():
    y = np.array([0.0, 1, 15, 2, 12, 4])
    e = np.array([100.0, 300, 400, 150, 900, 50])
    r = dosage.eb_rates(y, e, index=list("abcdef"))
    m = y.sum() / e.sum()
    raw = y / e
    s2 = np.sum(e * (raw - m) ** 2) / e.sum()
    A = s2 - m / e.mean()
    assert A > 0 and r.m == pytest.approx(m) and r.A == pytest.approx(A)
    C = A / (A + m / e)
    assert r.table["smoothed"].to_numpy() == pytest.approx(m + C * (raw - m))
    assert r.table["credibility"].to_numpy() == pytest.approx(C)
    # gamma posterior: alpha = m^2/A, beta = m/A -> mean (alpha + y) / (beta + e), same thing
    a, b = m * m / A, m / A
    assert r.table["smoothed"].to_numpy() == pytest.approx((a + y) / (b + e))
    assert (r.table["lower"] <= r.table["smoothed"]).all() and (r.table["smoothed"] <= r.table["upper"]).all()
    assert list(r.table.index) == list("abcdef")
    # small areas move more toward m than large ones
    assert abs(r.table.loc["f", "smoothed"] - m) < abs(raw[5] - m)


def test_eb_rates_match_esda():
    from esda.smoothing import Empirical_Bayes

    rng = np.random.default_rng(3)
    e = rng.integers(50, 5000, 40).astype(float)
    y = rng.poisson(e * 0.004 * rng.gamma(2.0, 0.5, 40)).astype(float)
    ours = dosage.eb_rates(y, e).table["smoothed"].to_numpy()
    theirs = Empirical_Bayes(y.reshape(-1, 1), e.reshape(-1, 1)).r.ravel()
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)


def test_eb_rates_pool_when_no_extra_variation():
    e = np.full(5, 1000.0)
    y = np.array([10.0, 10, 10, 10, 10])
    r = dosage.eb_rates(y, e)
    assert r.pooled
    assert r.table["smoothed"].to_numpy() == pytest.approx(0.01, rel=1e-3)
    assert np.isfinite(r.table["upper"]).all()
    with pytest.raises(ValueError):
        dosage.eb_rates([1, -1], [1, 1])


def test_eb_probabilities_and_draws_agree():
    r = dosage.eb_rates([0.0, 3, 30], [100.0, 100, 1000])
    draws = r.draws(20000, np.random.default_rng(0))
    p = r.prob_below(0.02)
    np.testing.assert_allclose((draws < 0.02).mean(axis=0), p, atol=0.01)


# -- counts ---------------------------------------------------------------------------------
def test_dose_counts_match_direct_sums(tiny):
    ds = tiny.dataset
    c = dosage.dose_counts(ds)
    assert c.attrs["police_source"] == "patrols"
    assert len(c) == len(ds["areas"]) and (c["period"] == "all").all()
    inc = ds["incidents"]
    assert c["shootings"].sum() == (inc["kind"] != "shots_fired").sum()
    assert c["shots_fired"].sum() == (inc["kind"] == "shots_fired").sum()
    assert c["victims"].sum() == len(ds["victimizations"])
    p = ds["patrols"]
    on = p["activity"] == "patrol"
    hours = ((p.loc[on, "ended_at"] - p.loc[on, "started_at"]).dt.total_seconds() / 3600).sum()
    assert c["patrol_hours"].sum() == pytest.approx(hours)
    assert c["stops"].sum() == (p["activity"] == "stop").sum()
    # per area, against a direct groupby
    direct = p.loc[on].assign(h=(p["ended_at"] - p["started_at"]).dt.total_seconds() / 3600).groupby("area_id")["h"].sum()
    got = c.set_index("area_id")["patrol_hours"]
    assert got.loc[direct.index].to_numpy() == pytest.approx(direct.to_numpy())
    r = ds["responses"]
    assert c["coresponder_visits"].sum() == (r["responder_type"] != "police").sum()
    assert c["referrals"].sum() == len(ds["referrals"])
    # victims before the program are never served: unserved >= pre-program victims
    assert 0 < c["victims_unserved"].sum() <= c["victims"].sum()
    assert (c["exposed"] >= 0).all() and c["exposed"].sum() > 0
    years = c["resident_years"].sum() / ds["areas"]["population"].sum()
    assert 0.95 < years <= 1.01
    rates = dosage.dose_rates(c)
    assert np.isnan(rates.loc[c["shootings"] == 0, "patrol_hours_per_shooting"]).all()


def test_dose_counts_by_year_add_up(tiny):
    ds = tiny.dataset
    by = dosage.dose_counts(ds, freq="Q", exposure_radius_m=None)
    whole = dosage.dose_counts(ds, exposure_radius_m=None)
    assert set(by["period"]) == {"2024Q1", "2024Q2", "2024Q3", "2024Q4"}
    for col in ("shootings", "patrol_hours", "coresponder_visits", "resident_years"):
        assert by[col].sum() == pytest.approx(whole[col].sum()), col
    assert by["exposed"].isna().all()


def test_fallback_police_measure_without_patrols(tiny):
    ds = tiny.dataset
    no = Dataset({k: v for k, v in ds.tables.items() if k != "patrols"}, ds.timezone, ds.crs, name="nopatrol")
    assert dosage.police_source(no) == "responses_and_arrests"
    c = dosage.dose_counts(no, exposure_radius_m=None)
    assert c.attrs["police_source"] == "responses_and_arrests"
    assert c["patrol_hours"].isna().all()
    pol = (ds["responses"]["responder_type"] == "police").sum()
    assert c["police_responses"].sum() == pol
    assert c["police_contacts"].sum() == pytest.approx(pol + c["resident_arrests"].sum())
    assert "no patrol records" in page.police_source_text("responses_and_arrests")
    b = dosage.balance(c, police_measure="contacts")
    assert b.params["police_source"] == "responses_and_arrests"
    with pytest.raises(ValueError, match="no police measure"):
        dosage.balance(c, police_measure="patrol_hours")


def test_patrol_rows_outside_the_areas_are_one_data_error(tiny):
    from workbench.data.errors import DataError

    ds = tiny.dataset
    p = ds["patrols"].copy()
    p.loc[p.index[:3], "area_id"] = "NOPE"
    bad = Dataset({**ds.tables, "patrols": p}, ds.timezone, ds.crs, name="bad")
    with pytest.raises(DataError, match="area_id not in areas"):
        dosage.dose_counts(bad, exposure_radius_m=None)


# -- balance --------------------------------------------------------------------------------
def _counts(area_pop, shootings, hours, victims, visits):
    return pd.DataFrame({"area_id": [f"A{i}" for i in range(len(area_pop))], "period": "all",
                         "population": area_pop, "resident_years": np.asarray(area_pop, float),
                         "shootings": shootings, "patrol_hours": hours, "victims": victims,
                         "coresponder_visits": visits, "police_contacts": np.nan})


def test_balance_classes_on_constructed_areas():
    n = 40
    rng = np.random.default_rng(1)
    pop = np.full(n, 5000.0)
    lam = rng.uniform(0.0005, 0.004, n)
    shoot = np.round(lam * pop)
    hours = (0.1 + 40 * shoot / pop) * pop
    hours[:4] *= 3.0  # over-policed
    hours[4:7] *= 0.25  # under-policed
    victims = np.maximum(shoot, 1) * 3
    visits = victims * 1.0
    visits[:2] = 0  # two of the over-policed areas are also unserved
    visits[4:6] = victims[4:6] * 3  # two of the under-policed ones are support-led
    b = dosage.balance(_counts(pop, shoot, hours, victims, visits), support_low=0.5, n_draws=4000)
    cls = b.table.set_index("area_id")["class"]
    assert set(cls[["A0", "A1"]]) == {"over-policed and underserved"}
    assert set(cls[["A2", "A3"]]) == {"more police than need"}
    assert set(cls[["A4", "A5"]]) == {"support-led"}
    assert cls["A6"] == "less police than need"
    assert (cls.iloc[7:] == "in balance").mean() > 0.9
    a, bb = b.coef
    assert a >= 0 and bb > 0
    typical = b.table["police_ratio_raw"].iloc[7:]
    assert typical.median() == pytest.approx(1.0, abs=0.1)  # the robust line runs through typical areas
    top = dosage.most_out_of_balance(b, 3)
    assert list(top["area_id"][:2]) == ["A0", "A1"] or set(top["area_id"][:2]) == {"A0", "A1"}
    pol = dosage.policy_classes(b, min_count=10_000)
    assert (pol[cls.isin(["over-policed and underserved", "support-led"]).to_numpy()] == dosage.HIDDEN_CLASS).all()
    assert (pol[(cls == "more police than need").to_numpy()] == "more police than need").all()


def test_tiny_counts_are_not_ranked_on_raw_rates():
    # one area with 1 shooting among 50 residents: a huge raw rate, little evidence
    pop = np.array([50.0] + [5000.0] * 20)
    shoot = np.array([1.0] + [5.0] * 20)
    hours = 0.1 * pop + 40 * shoot
    b = dosage.balance(_counts(pop, shoot, hours, shoot * 2, shoot * 2))
    t = b.table.set_index("area_id")
    raw = 1000 * shoot[0] / pop[0]
    assert t.loc["A0", "need_rate"] < raw / 5  # smoothed far toward the citywide rate
    assert t.loc["A0", "class"] == "in balance"


def test_precision_recall():
    pr = dosage.precision_recall(["a", "b", "c"], ["b", "c", "d", "e"])
    assert pr["hits"] == 2 and pr["precision"] == pytest.approx(2 / 3) and pr["recall"] == pytest.approx(0.5)
    assert np.isnan(dosage.precision_recall([], ["a"])["precision"])


def test_balance_parameters_are_checked():
    c = _counts([100.0, 200], [1.0, 2], [10.0, 20], [1.0, 2], [1.0, 2])
    with pytest.raises(ValueError):
        dosage.balance(c, police_high=0.9)
    with pytest.raises(ValueError):
        dosage.balance(c, support_measure="hugs")


# -- program change -------------------------------------------------------------------------
def test_program_change_with_given_areas(tiny):
    ds = tiny.dataset
    ids = ds["areas"]["area_id"].tolist()
    pc = dosage.program_change(ds, "2024-06-01", program_areas=ids[:8], n_boot=500)
    assert pc.did is not None and pc.reason == ""
    g = pc.groups.set_index("group")
    assert g.loc["reached", "areas"] == 8 and g.loc["not reached", "areas"] == 8
    assert g["before"].sum() + g["after"].sum() == (ds["incidents"]["kind"] != "shots_fired").sum()
    est = (g.loc["reached", "rate_after"] - g.loc["reached", "rate_before"]) - (
        g.loc["not reached", "rate_after"] - g.loc["not reached", "rate_before"])
    assert pc.did["estimate"] == pytest.approx(est)
    assert pc.did["lower"] <= pc.did["estimate"] <= pc.did["upper"]
    assert any("parallel trends" in c for c in pc.caveats)
    tr = dosage.group_trends(ds, pc, freq="Q")
    assert tr["count"].sum() == g["before"].sum() + g["after"].sum()
    assert any("Difference in differences" in s for s in page.change_readings(pc))


def test_program_change_says_why_there_is_no_comparison(tiny):
    pc = dosage.program_change(tiny.dataset, outcome="patrol_hours", min_areas=50, n_boot=100)
    assert pc.did is None and "fewer than 50 areas" in pc.reason
    assert pc.program_start == dosage.infer_program_start(tiny.dataset)
    assert any("No comparison" in s for s in page.change_readings(pc, "patrol hours"))


# -- tracks ---------------------------------------------------------------------------------
def test_patrols_from_track(tiny):
    areas = tiny.dataset["areas"]
    pts = areas.to_crs(tiny.dataset.crs).representative_point().to_crs("EPSG:4326")
    t0 = pd.Timestamp("2024-03-01 08:00", tz="America/Chicago")
    a0, a1 = pts.iloc[0], pts.iloc[1]
    track = pd.DataFrame({
        "patrol_id": ["p1"] * 5 + ["p2"] * 2,
        "unit": ["Unit 1"] * 5 + ["Unit 2"] * 2,
        "lon": [a0.x, a0.x, a1.x, a1.x, 0.0, a1.x, a1.x],
        "lat": [a0.y, a0.y, a1.y, a1.y, 0.0, a1.y, a1.y],
        "recorded_at": t0 + pd.to_timedelta([0, 30, 60, 90, 100, 0, 45], unit="min"),
        "activity": ["patrol", "patrol", "patrol", "stop", "patrol", "patrol", "patrol"],
    })
    rows = dosage.patrols_from_track(track, areas)
    assert rows.attrs["dropped_outside"] == 1
    pat = rows[rows["activity"] == "patrol"].set_index("patrol_id")
    assert list(pat.index) == ["p1-1", "p2-1", "p1-2"]
    assert pat.loc["p1-1", "area_id"] == areas["area_id"].iloc[0]
    assert pat.loc["p1-1", "ended_at"] == t0 + pd.Timedelta(minutes=60)  # until the next segment
    assert pat.loc["p2-1", "ended_at"] == t0 + pd.Timedelta(minutes=45)  # last ping of the patrol
    ev = rows[rows["activity"] == "stop"]
    assert len(ev) == 1 and ev["ended_at"].isna().all()
    from workbench.data import validate

    ds = tiny.dataset
    checked = validate(Dataset({"incidents": ds["incidents"], "areas": areas, "patrols": rows},
                               ds.timezone, ds.crs, name="track"))
    assert len(checked["patrols"]) == len(rows)


def test_pretrend_check_uses_only_the_before_period(tiny):
    ds = tiny.dataset
    ids = ds["areas"]["area_id"].tolist()
    # the tiny city has a handful of shootings per group in each half of the before period
    pc = dosage.program_change(ds, "2024-06-01", program_areas=ids[:8], n_boot=200, min_events=1)
    pre = dosage.pretrend_check(ds, pc)
    assert pre is not None and pre.program_start < pc.program_start
    g = pre.groups.set_index("group")
    inc = ds["incidents"]
    n_before = ((inc["kind"] != "shots_fired") & (inc["occurred_at"] < pc.program_start)).sum()
    assert g["before"].sum() + g["after"].sum() == n_before
    assert set(pre.areas.loc[pre.areas["group"] == "reached", "area_id"]) == set(ids[:8])
    assert page.pretrend_readings(pre)[0].startswith("Pre-period check")
    assert "too small" in page.pretrend_readings(None)[0]
