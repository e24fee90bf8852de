"""workbench.response: checks of response data, coverage, time on scene, referrals, follow-ups."""

from __future__ import annotations

import pandas as pd
import pytest

from workbench import response as R
from workbench.data import DataError
from workbench.data.dataset import Dataset


@pytest.fixture(scope="module")
def rd(synthetic_tiny):
    return R.prepare_response_data(synthetic_tiny.dataset)


def _with(ds: Dataset, **tables) -> Dataset:
    t = dict(ds.tables)
    t.update(tables)
    return Dataset(tables=t, timezone=ds.timezone, crs=ds.crs, name=ds.name)


def test_prepare_joins_and_reports_nothing_on_clean_data(synthetic_tiny, rd):
    ds = synthetic_tiny.dataset
    assert len(rd.responses) == len(ds["responses"]) and len(rd.referrals) == len(ds["referrals"])
    assert len(rd.followups) == len(ds["followups"])
    assert (rd.exclusions["n_rows"] == 0).all() and len(rd.exclusions) == 9  # 3: after the data end
    # arrival delays follow the synthetic lognormal medians (police 6 min)
    pol = rd.responses.loc[rd.responses["responder_type"] == "police", "arrival_min"]
    assert 4 < pol.median() < 9
    assert rd.data_end == R.data_end(ds)
    assert set(rd.referrals["recipient"]) <= {"victim", "family"}
    assert rd.responses["area_id"].notna().mean() > 0.99


def test_program_start_inferred_from_first_coresponder(synthetic_tiny):
    ps = R.infer_program_start(synthetic_tiny.dataset)
    truth = pd.Timestamp(synthetic_tiny.truth["period"]["program_start"])
    assert abs((ps - truth).days) <= 10 and ps >= truth


def test_coverage_matches_direct_count(synthetic_tiny, rd):
    ds = synthetic_tiny.dataset
    cov = R.coresponse_coverage(rd)
    r = ds["responses"]
    covered = r.loc[r["responder_type"] != "police", "incident_id"].nunique()
    shot = ds["victimizations"]["incident_id"].nunique()
    assert cov.loc[0, "shootings"] == shot and cov.loc[0, "covered"] == covered
    assert cov.loc[0, "share_covered"] == pytest.approx(covered / shot)
    by_type = R.coresponse_coverage(rd, "responder_type")
    assert set(by_type["group"]) <= set(R.CORESPONDER_TYPES)
    assert (by_type["covered"] <= covered).all()
    # nobody is covered before the program start
    ps = R.infer_program_start(ds)
    before = R.coresponse_coverage(rd, None, end=ps)
    assert before.loc[0, "covered"] == 0
    months = R.coresponse_coverage(rd, "month")
    assert months["shootings"].sum() == shot


def test_time_on_scene_reports_impossible_records(synthetic_tiny):
    ds = synthetic_tiny.dataset
    resp = ds["responses"].copy()
    bad = resp.index[:3]
    resp.loc[bad[0], "departed_at"] = resp.loc[bad[0], "arrived_at"] - pd.Timedelta(minutes=5)
    resp.loc[bad[1], "departed_at"] = resp.loc[bad[1], "arrived_at"] + pd.Timedelta(days=3)
    resp.loc[bad[2], "departed_at"] = pd.NaT
    data = R.prepare_response_data(_with(ds, responses=resp))
    ex = data.exclusions.set_index("check")["n_rows"]
    assert ex["departure before arrival"] == 1
    assert ex["on scene longer than 24 hours"] == 1
    assert ex["no departure time"] == 1
    first = data.exclusions.set_index("check").loc["departure before arrival", "first_ids"]
    assert first == resp.loc[bad[0], "response_id"]
    scene = R.time_on_scene(data, "responder_type")
    assert scene["excluded"].sum() == 3 and scene["responses"].sum() == len(resp)
    pol = scene.set_index("group").loc["police"]
    assert 60 < pol["median_min"] < 90 and pol["q1_min"] < pol["median_min"] < pol["q3_min"]
    # the responses still count for coverage
    assert R.coresponse_coverage(data).loc[0, "shootings"] == R.coresponse_coverage(
        R.prepare_response_data(ds)).loc[0, "shootings"]


def test_structural_problems_raise_one_data_error(synthetic_tiny):
    ds = synthetic_tiny.dataset
    ref = ds["referrals"].copy()
    ref.loc[ref.index[0], "response_id"] = "R999999"
    fu = ds["followups"].copy()
    fu.loc[fu.index[:2], "outcome"] = "maybe"
    with pytest.raises(DataError) as err:
        R.prepare_response_data(_with(ds, referrals=ref, followups=fu))
    msg = str(err.value)
    assert "referrals, column 'response_id': refers to unknown response (1 row" in msg
    assert "followups, column 'outcome': unknown code(s) maybe" in msg and "2 rows" in msg
    assert len(err.value.problems) == 2
    with pytest.raises(DataError, match="no response records"):
        R.prepare_response_data(Dataset(tables={"incidents": ds["incidents"]}, timezone=ds.timezone, crs=ds.crs))


def test_followup_before_referral_is_excluded_and_counted(synthetic_tiny):
    ds = synthetic_tiny.dataset
    fu = ds["followups"].copy()
    ref_t = fu["referral_id"].map(ds["referrals"].set_index("referral_id")["referred_at"])
    fu.loc[fu.index[:4], "attempted_at"] = ref_t.iloc[:4] - pd.Timedelta(days=1)
    data = R.prepare_response_data(_with(ds, followups=fu))
    ex = data.exclusions.set_index("check")
    assert ex.loc["attempted before its referral", "n_rows"] == 4
    assert ex.loc["attempted before its referral", "first_ids"].split(", ")[0] == fu["followup_id"].iloc[0]
    assert len(data.followups) == len(fu) - 4


def test_referrals_and_followup_rates(synthetic_tiny, rd):
    ds = synthetic_tiny.dataset
    refs = R.referral_counts(rd, ["service", "provider"])
    assert refs["referrals"].sum() == len(ds["referrals"])
    assert (refs["victim_referrals"] + refs["family_referrals"] == refs["referrals"]).all()
    fam = refs.loc[refs["family_referrals"] > 0, "service"].unique()
    assert set(fam) <= {"victim_services", "mental_health"}  # the synthetic family services
    fr = R.followup_rates(rd, "responder_type")
    fu = ds["followups"]
    assert fr["referrals"].sum() == len(ds["referrals"])
    assert fr["engaged"].sum() == fu.loc[fu["outcome"] == "engaged", "referral_id"].nunique()
    assert fr["engaged"].sum() == synthetic_tiny.truth["realized"]["engagement_outcomes"]["engaged"]
    assert ((fr["attempt_rate"] >= fr["engagement_rate"]) & (fr["attempt_rate"] <= 1)).all()
    overall = R.followup_rates(rd, None)
    assert overall.loc[0, "engagement_rate"] == pytest.approx(fr["engaged"].sum() / fr["referrals"].sum())


def test_monthly_trends_cover_every_month(synthetic_tiny, rd):
    ps = R.infer_program_start(synthetic_tiny.dataset)
    tr = R.monthly_trends(rd, ps)
    assert list(tr["month"]) == [f"2024-{m:02d}" for m in range(1, 13)]
    assert tr.attrs["program_start"] == ps
    before = tr[pd.PeriodIndex(tr["month"], freq="M").to_timestamp() < ps.tz_localize(None).replace(day=1)]
    assert (before["covered"] == 0).all() and (before["referrals"] == 0).all()
    assert tr["shootings"].sum() == R.coresponse_coverage(rd).loc[0, "shootings"]


def test_readings_never_show_small_counts():
    cov = pd.DataFrame({"group": ["all"], "shootings": [5], "covered": [3], "share_covered": [0.6],
                        "arrival_median_min": [30.0], "arrival_q1_min": [20.0], "arrival_q3_min": [40.0]})
    from workbench.privacy import count_text
    from workbench.sections.response import coverage_readings

    text = " ".join(coverage_readings(cov, cov.assign(group="2024"), 11))
    assert "fewer than 11 shootings" in text and " 5 " not in text and " 3 " not in text
    assert "60%" not in text and "30 minutes" not in text  # nothing computed from a hidden count
    assert count_text(0, 11, words=True) == "0" and count_text(1234, 11, words=True) == "1,234"
