"""Executive-summary key numbers on the tiny synthetic city: values, suppression, missing tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from workbench.data.dataset import Dataset
from workbench.sections.summary import (
    NOT_AVAILABLE,
    SHOOTING_KINDS,
    changes_since,
    key_numbers,
    residents_exposed,
    summarize,
    summary_json,
    summary_period,
    top_areas,
)


@pytest.fixture(scope="module")
def six(tiny_dataset):
    """Summary over 6 months (the tiny city covers one year: both periods are in the data)."""
    return summarize(tiny_dataset, min_count=11, months=6)


def _shootings(ds):
    inc = ds["incidents"]
    return inc[inc["kind"].isin(SHOOTING_KINDS)]


def test_period_ends_at_the_one_data_end(tiny_dataset):
    from workbench.data import data_end

    p = summary_period(tiny_dataset, 12)
    de = data_end(tiny_dataset)  # the documented rule: the end of the last complete month with data
    ns = pd.Timedelta(1, "ns")
    assert p.end == de.last_instant and p.through == de.through and p.prev_end == p.start
    assert p.start == de.end - pd.DateOffset(months=12) - ns  # (start, end] = the 12 calendar months
    assert not p.previous_complete  # one year of data: the year before is not covered
    assert summary_period(tiny_dataset, 6).previous_complete
    with pytest.raises(ValueError):
        summary_period(tiny_dataset, 0)


def test_shootings_and_change(tiny_dataset, six):
    p, s = six.period, _shootings(tiny_dataset)["occurred_at"]
    cur = int(((s > p.start) & (s <= p.end)).sum())
    prev = int(((s > p.prev_start) & (s <= p.prev_end)).sum())
    n = six.number("shootings")
    assert (n.current, n.previous) == (cur, prev) and n.shown == f"{cur:,}"
    assert n.change == f"{'up' if cur > prev else 'down'} {abs(cur / prev - 1):.0%}"


def test_people_exposed_matches_exposure_zones(tiny_dataset, six):
    from workbench.spatial import exposure_zones

    s = _shootings(tiny_dataset)
    pts = tiny_dataset.points("incidents").loc[s.index]
    z = exposure_zones(pts, tiny_dataset["areas"]).zones
    p = six.period
    want = z.loc[(z["start"] > p.start) & (z["start"] <= p.end), "residents_exposed"].sum()
    assert six.number("people_exposed").current == round(want) > 0


def test_residents_exposed_in_chunks_equals_all_at_once(tiny_dataset, six):
    p = six.period
    whole = residents_exposed(tiny_dataset, (p.start, p.end), (p.prev_start, p.prev_end), chunk=10**9)
    parts = residents_exposed(tiny_dataset, (p.start, p.end), (p.prev_start, p.prev_end), chunk=7)
    assert np.allclose(parts, whole) and whole[0] > 0
    assert round(whole[0]) == six.number("people_exposed").current


def test_counts_and_hidden_shares_use_the_privacy_module(tiny_dataset):
    from workbench.sections.summary import _count_text, _ratio_number

    assert _count_text(3.0, 11) == ("<11", True) and _count_text(0.0, 11) == ("0", False)
    assert _count_text(1234.0, 11) == ("1,234", False)
    p = summary_period(tiny_dataset, 6)
    k = _ratio_number("x", "X", "share", "", 0.5, 0.4, 10, 11, p, 11, "shootings")
    assert k.shown == "fewer than 11 shootings" and k.suppressed and k.current is None
    assert k.shown_previous == "40%"


def test_coverage_matches_direct_count(tiny_dataset, six):
    p, s = six.period, _shootings(tiny_dataset)
    s = s[(s["occurred_at"] > p.start) & (s["occurred_at"] <= p.end)]
    r = tiny_dataset["responses"]
    co = set(r.loc[r["responder_type"] != "police", "incident_id"])
    want = s["incident_id"].isin(co).mean()
    got = six.number("coresponse_coverage")
    assert got.current == pytest.approx(want, abs=1e-9) and got.shown == f"{want:.0%}"


def test_engagement_and_unserved_are_numbers(six):
    eng = six.number("median_days_to_engagement")
    assert eng.available and (eng.current is None or 0 < eng.current < 365)
    un = six.number("past_victims_unserved")
    assert un.available and un.shown not in ("", NOT_AVAILABLE)


def test_small_counts_are_suppressed(tiny_dataset):
    nums = {n.key: n for n in key_numbers(tiny_dataset, min_count=1000, months=6)}
    sh = nums["shootings"]
    assert sh.shown == "<1000" and sh.suppressed and sh.current is None and sh.change == ""
    cov = nums["coresponse_coverage"]  # a share of fewer than min_count shootings is hidden too
    assert cov.current is None and cov.suppressed and cov.shown.startswith("fewer than 1000")
    assert json.dumps(summary_json(summarize(tiny_dataset, 1000, 6))).count("<1000") >= 2


def test_missing_tables_say_not_available(tiny_dataset):
    ds = Dataset(tables={k: tiny_dataset[k] for k in ("areas", "incidents")}, timezone=tiny_dataset.timezone,
                 crs=tiny_dataset.crs, name="no responses")
    nums = {n.key: n for n in key_numbers(ds, min_count=11, months=6)}
    for key in ("coresponse_coverage", "median_days_to_engagement", "past_victims_unserved"):
        assert nums[key].shown == NOT_AVAILABLE and not nums[key].available and nums[key].current is None
    assert nums["shootings"].available and nums["shootings"].current > 0
    ds2 = Dataset(tables={"incidents": tiny_dataset["incidents"]}, timezone=tiny_dataset.timezone,
                  crs=tiny_dataset.crs, name="incidents only")
    s = summarize(ds2, 11, 6)
    assert s.number("people_exposed").shown == NOT_AVAILABLE and s.top_areas.empty


def test_top_areas_ranked_and_suppressed(tiny_dataset, six):
    import geopandas as gpd

    t = six.top_areas
    assert list(t["rank"]) == list(range(1, len(t) + 1)) and len(t) <= 5 and len(t) > 0
    assert (t["shootings"] >= 11).all() and t["shootings"].is_monotonic_decreasing
    p, s = six.period, _shootings(tiny_dataset)
    s = s[(s["occurred_at"] > p.start) & (s["occurred_at"] <= p.end)]
    j = gpd.sjoin(gpd.GeoDataFrame(s, geometry=gpd.points_from_xy(s.lon, s.lat), crs=4326),
                  tiny_dataset["areas"][["area_id", "geometry"]], predicate="within")
    counts = j.groupby("area_id").size()
    assert dict(zip(t["area_id"], t["shootings"])) == {a: counts[a] for a in t["area_id"]}
    pop = tiny_dataset["areas"].set_index("area_id")["population"]
    np.testing.assert_allclose(t["per_10k"], t["shootings"] / t["area_id"].map(pop).to_numpy() * 1e4)
    assert top_areas(tiny_dataset, p, min_count=10_000).empty


def test_summary_json_and_changes(tiny_dataset, six):
    cur = summary_json(six, fingerprint="abc", finished="2026-01-02T06:00:00+00:00")
    text = json.dumps(cur)  # JSON-ready: no NaN, no numpy types
    assert "NaN" not in text and cur["fingerprint"] == "abc"
    assert not set(tiny_dataset["people"]["person_id"]) & set(text.replace('"', " ").split())
    assert changes_since(None, cur)[0].startswith("This is the first run")
    same = changes_since(cur, cur)
    assert same[0].startswith("The data are unchanged") and "same as in the previous run" in same[-1]
    old = json.loads(text)
    old["fingerprint"] = "old"
    old["numbers"][0]["shown"] = "1"
    old["top_areas"] = old["top_areas"][1:] + [{"area_id": "ZZZ"}]
    diff = changes_since(old, cur)
    assert f"Shootings: {cur['numbers'][0]['shown']} now, 1 in the previous run." in diff
    assert any(d.startswith("New among the areas") and cur["top_areas"][0]["area_id"] in d for d in diff)
    assert any("No longer among them: ZZZ" in d for d in diff)


def test_stray_late_record_does_not_move_the_period(tiny_dataset):
    inc = tiny_dataset["incidents"]
    stray = inc.iloc[[0]].assign(incident_id="STRAY", occurred_at=inc["occurred_at"].max() + pd.Timedelta(days=300))
    ds = Dataset(tables={**tiny_dataset.tables, "incidents": pd.concat([inc, stray], ignore_index=True)},
                 timezone=tiny_dataset.timezone, crs=tiny_dataset.crs, name="stray")
    from workbench.data import data_end

    assert summary_period(ds, 6).end == summary_period(tiny_dataset, 6).end == data_end(tiny_dataset).last_instant


def test_areas_without_population_say_not_available(tiny_dataset):
    areas = tiny_dataset["areas"].assign(population=pd.array([None] * len(tiny_dataset["areas"]), dtype="Int64"))
    ds = Dataset(tables={"areas": areas, "incidents": tiny_dataset["incidents"]}, timezone=tiny_dataset.timezone,
                 crs=tiny_dataset.crs, name="no population")
    s = summarize(ds, 11, 6)
    assert s.number("people_exposed").shown == NOT_AVAILABLE
    assert len(s.top_areas) and s.top_areas["per_10k"].isna().all()
    json.dumps(summary_json(s))


def test_changes_since_a_run_with_another_period_length(six):
    cur = summary_json(six, fingerprint="abc")
    old = json.loads(json.dumps(cur))
    old["period"]["months"] = 12
    old["numbers"][0]["shown"] = "1"
    diff = changes_since(old, cur)
    assert diff[-1] == ("The summary now covers 6 months (previous run: 12 months), so its numbers are not "
                        "compared with the previous run's.")
    assert not any(d.startswith("Shootings:") for d in diff)  # numbers over other lengths are not compared


def test_summary_wording_for_one_month(tiny_dataset):
    from workbench.report.index import render_summary

    one = summary_json(summarize(tiny_dataset, min_count=11, months=1))
    html = render_summary(one)
    assert one["period"]["months"] == 1
    assert "The last month of data" in html and "compared with the month before" in html
    assert "1 months" not in html


def test_report_with_summary_months_says_so(write_params, tiny_dataset, tmp_path):
    from workbench.report import run_report

    target = tmp_path / "reports" / "six"
    result = run_report(write_params("six", summary_months=6), out=target, progress=False)
    index = result.index.read_text(encoding="utf-8")
    saved = json.loads((target / "summary.json").read_text(encoding="utf-8"))
    p = summary_period(tiny_dataset, 6)
    assert saved["period"]["months"] == 6 and saved["period"]["start"] == p.start.isoformat()
    first, prev_first = ((t + pd.Timedelta(1, "ns")).date() for t in (p.start, p.prev_start))
    assert (f"The last 6 months of data, <strong>{first} to {p.end.date()}</strong>,\n"
            f"compared with the 6 months before ({prev_first} to {p.prev_end.date()})") in index
    assert f"Data through <strong>{p.through.date()}</strong>" in index
    assert "last 12 months" not in index
    assert "summary_months: 6" in index  # the rendered parameters record it
    shootings = next(n for n in saved["numbers"] if n["key"] == "shootings")
    assert shootings["shown"] == summarize(tiny_dataset, 11, months=6).number("shootings").shown


# -- report-level guards: failures said on the index, typed warnings shown, bugs not hidden -------

def test_a_failed_number_says_why_and_logs_its_traceback(tiny_dataset, monkeypatch, caplog):
    import warnings

    from workbench import StatisticalWarning
    from workbench.report.index import render_summary
    from workbench.sections import summary as summ

    def broken(dataset, p, min_count, data):
        warnings.warn("only 3 referrals engaged", StatisticalWarning)
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(summ, "_engagement_number", broken)
    with caplog.at_level("WARNING", logger="workbench.summary"):
        s = summarize(tiny_dataset, 11, 6)
    eng = s.number("median_days_to_engagement")
    assert eng.shown == "could not be computed: LinAlgError: Singular matrix" and eng.current is None
    assert s.number("shootings").shown == f"{s.number('shootings').current:,.0f}"  # the others still computed
    assert s.cautions == ["Median time to engagement: only 3 referrals engaged"]
    assert len(s.problems) == 1 and "Traceback" in s.problems[0] and "LinAlgError: Singular matrix" in s.problems[0]
    # the traceback rides on the record (as exc_text once workbench.redact's filter has redacted it)
    assert any((r.exc_info or r.exc_text) and "Median time to engagement" in r.getMessage() for r in caplog.records)
    html = render_summary(summary_json(s))
    assert "could not be computed: LinAlgError: Singular matrix" in html
    assert "Caution: Median time to engagement: only 3 referrals engaged" in html
    assert "Traceback" not in json.dumps(summary_json(s))  # the traceback is for the run log only


def test_a_bug_is_not_hidden(tiny_dataset, monkeypatch):
    from workbench.sections import summary as summ

    def bug(*args):
        raise TypeError("unsupported operand")

    monkeypatch.setattr(summ, "_shootings_number", bug)
    with pytest.raises(TypeError):
        summarize(tiny_dataset, 11, 6)


def test_unusable_response_records_are_said_for_both_response_numbers(tiny_dataset, monkeypatch):
    import workbench.response as resp

    def bad(dataset):
        raise KeyError("arrived_at")

    monkeypatch.setattr(resp, "prepare_response_data", bad)
    s = summarize(tiny_dataset, 11, 6)
    for key in ("coresponse_coverage", "median_days_to_engagement"):
        assert s.number(key).shown == "could not be computed: KeyError: 'arrived_at' (response records)"
    assert s.number("past_victims_unserved").shown not in ("", NOT_AVAILABLE)


def test_a_reason_quoting_a_person_id_shows_only_its_type(tiny_dataset):
    from workbench.sections.summary import _reason

    pid = str(tiny_dataset["people"]["person_id"].iloc[0])
    assert _reason(ValueError(f"person {pid} has two birth years"), tiny_dataset) == "ValueError"
    assert _reason(ValueError("too few referrals\nsecond line"), tiny_dataset) == "ValueError: too few referrals"
    assert len(_reason(ValueError("x" * 1000), None)) < 230


def test_a_summary_that_cannot_be_computed_says_so_on_the_index(tiny_dataset):
    from workbench.data import DataError
    from workbench.report.index import render_summary
    from workbench.sections.summary import failed_summary

    empty = Dataset(tables={"incidents": tiny_dataset["incidents"].iloc[0:0]}, timezone=tiny_dataset.timezone,
                    crs=tiny_dataset.crs, name="empty")
    with pytest.raises(DataError) as err:
        summarize(empty, 11, 6)
    s = failed_summary(err.value, 11, 6, empty)
    js = summary_json(s, fingerprint="f")
    assert js["numbers"] == [] and "period" not in js and js["error"].startswith(
        "The executive summary of the last 6 months could not be computed: DataError")
    html = render_summary(js)
    assert 'id="summary"' in html and "could not be computed: DataError" in html
    assert changes_since(None, js) == []
    assert changes_since(js, summary_json(summarize(tiny_dataset, 11, 6)))[0] == (
        "The previous run has no summary to compare with (it could not be computed).")


def test_runner_keeps_the_index_when_the_summary_fails(tiny_dataset, monkeypatch):
    from types import SimpleNamespace

    from workbench.report import runner
    from workbench.sections import summary as summ

    def bug(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(summ, "summarize", bug)
    params = SimpleNamespace(privacy=SimpleNamespace(min_count=11), summary_months=6, run_name="t")
    s = runner._compute_summary(params, tiny_dataset)
    assert s.error.startswith("The executive summary of the last 6 months could not be computed: RuntimeError: boom")
    assert "Traceback" in s.problems[0]


def test_other_warnings_pass_through_untouched(tiny_dataset, monkeypatch):
    import warnings

    from workbench.sections import summary as summ

    real = summ._shootings_number

    def noisy(*args):
        warnings.warn("a library's own warning", FutureWarning)
        return real(*args)

    monkeypatch.setattr(summ, "_shootings_number", noisy)
    with pytest.warns(FutureWarning, match="a library's own warning"):
        s = summarize(tiny_dataset, 11, 6)
    assert s.cautions == [] and s.number("shootings").available


def test_a_now_block_that_cannot_be_computed_says_so_on_the_index(tiny_dataset, monkeypatch, caplog):
    from types import SimpleNamespace

    import workbench.sections as sections
    from workbench.report.now import compute_now, render_now

    def bug(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(sections, "now_block", bug)
    params = SimpleNamespace(now=SimpleNamespace(enabled=True, short_days=7, long_days=28, history_days=730,
                                                 n_steps=12, time_window=1, permutations=9),
                             privacy=SimpleNamespace(min_count=11), run_name="t")
    with caplog.at_level("WARNING", logger="workbench.report"):
        js = compute_now(params, tiny_dataset)
    assert js == {"error": "The Now block could not be computed (RuntimeError; the run log has the details)."}
    assert any(r.exc_info or r.exc_text for r in caplog.records)  # exc_text once redacted (workbench.redact)
    html = render_now(js)
    assert 'id="now"' in html and "could not be computed (RuntimeError" in html


def test_a_failed_number_reaches_the_index_and_run_log(write_params, tmp_path, monkeypatch):
    from workbench.report import run_report
    from workbench.sections import summary as summ

    def broken(dataset, p, min_count, data):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(summ, "_engagement_number", broken)
    result = run_report(write_params("guard", summary_months=6), out=tmp_path / "reports" / "guard", progress=False)
    index = result.index.read_text(encoding="utf-8")
    assert "could not be computed: LinAlgError: Singular matrix" in index
    log = (result.out / "run.log").read_text(encoding="utf-8")
    assert "summary Median time to engagement could not be computed:" in log and "Traceback" in log
    saved = json.loads((result.out / "summary.json").read_text(encoding="utf-8"))
    assert "Traceback" not in json.dumps(saved)
