"""workbench.sections.dosage: the dosage page's tables equal the analysis' numbers, suppressed.

Real values on the tiny synthetic city (the report's seed and two others): the totals are the
sums of :func:`workbench.dosage.dose_counts`, the class table is :func:`policy_classes`, the table
of the areas most out of balance is :func:`most_out_of_balance` with its counts suppressed, the
before/after table is :func:`program_change`'s groups with the rates of hidden counts blanked;
an unavailable before/after says why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import dosage
from workbench.data import Dataset, data_end
from workbench.formatting import format_number
from workbench.privacy import suppressed_mask, suppression_marker
from workbench.sections.dosage import (
    NOTHING_TO_READ,
    add_balance,
    add_change,
    add_pretrend,
    change_readings,
    dosage_section,
)
from workbench.synth import generate_city

SEEDS = [20261125, 1, 3]
MC = 11


def _shown(v, mc: int = MC) -> str:
    """How a count reads on the page."""
    return suppression_marker(mc) if suppressed_mask(np.array([v], float), mc)[0] else format_number(int(round(v)))


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def page(request):
    ds = generate_city("tiny", seed=request.param).dataset
    sec = dosage_section(ds, min_count=MC)
    add_balance(sec, seed=0, top_n=10)
    add_change(sec, ds, seed=0, trend_freq="Q")
    add_pretrend(sec, ds, seed=0)
    return ds, sec


def test_totals_are_the_dose_counts_summed_and_suppressed(page):
    ds, sec = page
    assert sec.ok and "the sections below are skipped" not in sec.heading
    ps = dosage.infer_program_start(ds)
    end = data_end(ds).end
    counts = dosage.dose_counts(ds, start=ps, end=f"{end:%Y-%m-%d}", exposure_radius_m=400)
    assert counts.attrs["window"] == sec.counts.attrs["window"]
    assert f"balance window {ps:%Y-%m-%d} to {end:%Y-%m-%d}" in sec.heading
    tab = sec.item("totals").table.set_index("measure")["total"]
    for label, col in [("shootings", "shootings"), ("victims", "victims"), ("patrol hours", "patrol_hours"),
                       ("stops", "stops"), ("arrests on patrol", "police_arrests"),
                       ("co-responder visits", "coresponder_visits"), ("referrals", "referrals")]:
        assert tab[label] == _shown(round(float(counts[col].sum()))), label
    inc = ds["incidents"]
    direct = ((inc["kind"] != "shots_fired") & (inc["occurred_at"] >= ps) & (inc["occurred_at"] < end)).sum()
    assert tab["shootings"] == _shown(direct)
    assert any("to protect privacy" in r for r in sec.item("totals").readings)
    js = sec.to_json()
    import json

    assert json.loads(json.dumps(js))["items"][0]["rows"][0] == {"measure": "shootings", "total": tab["shootings"]}


def test_classes_and_most_out_of_balance_are_the_analysis_suppressed(page):
    ds, sec = page
    bal = dosage.balance(sec.counts, police_measure="patrol_hours", support_measure="visits", seed=0)
    pd.testing.assert_frame_equal(bal.table, sec.balance.table)
    cls = dosage.policy_classes(bal, MC).value_counts()
    got = sec.item("classes").table.set_index("class")["areas"]
    assert got.to_dict() == {k: format_number(int(v)) for k, v in cls.items()}
    top = dosage.most_out_of_balance(bal, 10, min_count=MC)
    item = sec.item("top")
    if not len(top):
        assert item.table.empty and "No area is clearly out of balance" in item.readings[0]
        return
    t = item.table
    names = sec.names
    assert t["area"].tolist() == [names[a] for a in top["area_id"]]
    assert set(item.figure["area_id"]) == set(top["area_id"])
    assert sec.item("balance").figure["labels"] == {a: names[a] for a in top["area_id"]}
    for col in ("shootings", "victims"):
        assert t[col].tolist() == [_shown(v) for v in top[col]]
        assert not any(c in {format_number(k) for k in range(1, MC)} for c in t[col])  # no small count
    assert t["residents"].tolist() == [_shown(v) for v in top["population"]]
    assert t["police ratio"].tolist() == [format_number(v) for v in top["police_ratio"]]
    assert t["class"].tolist() == top["class"].tolist()
    assert any("to protect privacy" in r for r in item.readings)


def test_before_after_table_is_the_program_change_with_hidden_rates(page):
    ds, sec = page
    pc = dosage.program_change(ds, sec.program_start, outcome="shootings", end=sec.end, seed=0)
    item = sec.item("change")
    assert item.available and sec.change is not None
    pd.testing.assert_frame_equal(pc.groups, sec.change.groups)
    t = item.table.set_index("group")
    for _, g in pc.groups.iterrows():
        row = t.loc[g["group"]]
        assert row["count before"] == _shown(g["before"]) and row["count after"] == _shown(g["after"])
        hid_b, hid_a = (suppressed_mask(np.array([g[c]], float), MC)[0] for c in ("before", "after"))
        assert row["rate before"] == ("" if hid_b else format_number(g["rate_before"]))
        assert row["rate after"] == ("" if hid_a else format_number(g["rate_after"]))
        assert (row["change"] == "") == bool(hid_a or hid_b)
    assert item.readings[1:] == change_readings(pc, "shootings", MC)
    tr = item.figure["trends"]
    assert tr["count"].sum() == pc.groups["before"].sum() + pc.groups["after"].sum()
    assert sec.item("caveats").readings == list(dosage.CAVEATS)
    pre = sec.item("pretrend")
    assert pre.readings and pre.readings[0].startswith(("Pre-period check", "No pre-period check"))


def test_change_readings_never_give_the_rate_of_a_hidden_count(page):
    ds, sec = page
    g = sec.change.groups.set_index("group")
    lines = change_readings(sec.change, "shootings", MC)
    for grp in ("reached", "not reached"):
        if grp not in g.index:
            continue
        line = next(s for s in lines if s.startswith(f"Areas {grp} "))
        for when in ("before", "after"):
            hidden = suppressed_mask(np.array([g.loc[grp, when]], float), MC)[0]
            assert (f"{g.loc[grp, f'rate_{when}']:.2f}" not in line) or not hidden or g.loc[grp, f"rate_{when}"] == 0
            assert ("not shown (fewer than 11 shootings)" in line) == bool(
                suppressed_mask(g.loc[grp, ["before", "after"]].to_numpy(float), MC).any())


def test_an_unavailable_before_after_says_why(page):
    ds, sec = page
    bad = add_change(sec, ds, outcome="no_such_outcome")
    assert not bad.available and bad.readings == [
        "Change after the program start: not available (unknown outcome 'no_such_outcome')."]
    assert sec.item("change") is bad
    assert not add_pretrend(sec, ds).available or sec.change is not None
    sec.program_start, kept = None, sec.program_start
    try:
        none = add_change(sec, ds)
    finally:
        sec.program_start = kept
    assert not none.available and "No program start is known" in none.readings[0]


def test_data_without_support_records_skip_the_page_and_say_so():
    ds = generate_city("tiny", seed=SEEDS[0]).dataset
    tables = {k: v for k, v in ds.tables.items() if k not in ("patrols", "responses", "referrals", "followups")}
    nos = Dataset(tables=tables, timezone=ds.timezone, crs=ds.crs, name="nosupport")
    sec = dosage_section(nos, min_count=MC)
    assert not sec.ok and sec.counts is None
    for s in ("no patrol records", "no response records", "no referrals", "the sections below are skipped"):
        assert s in sec.heading
    assert [i.key for i in sec.items] == ["totals", "balance", "classes", "top", "change", "caveats", "pretrend",
                                          "reading"]
    assert all(not i.available and i.readings == [NOTHING_TO_READ] for i in sec.items)
    for fn in (lambda: add_balance(sec), lambda: add_change(sec, nos), lambda: sec.item("reading")):
        it = fn()
        assert not it.available and it.readings == [NOTHING_TO_READ]
    assert not add_pretrend(sec, nos).available


def test_fallback_police_measure_is_said():
    ds = generate_city("tiny", seed=SEEDS[0]).dataset
    nop = Dataset({k: v for k, v in ds.tables.items() if k != "patrols"}, ds.timezone, ds.crs, name="nopatrol")
    sec = dosage_section(nop, min_count=MC)
    assert sec.ok and sec.police_measure == "contacts" and "There are no patrol records" in sec.heading
    assert "No patrol records." in sec.heading
    it = add_balance(sec, seed=0)
    assert "police contacts" in it.readings[0]
    assert sec.item("reading").readings[0].startswith("There are no patrol records")


def test_every_count_hidden_under_a_large_threshold():
    ds = generate_city("tiny", seed=SEEDS[1]).dataset
    sec = dosage_section(ds, min_count=1000)
    add_balance(sec, seed=0)
    add_change(sec, ds, seed=0)
    marker = suppression_marker(1000)
    tot = sec.item("totals").table["total"]
    small = {format_number(k) for k in range(1, 1000)}
    assert not tot.isin(small).any() and (tot == marker).sum() >= 8
    ch = sec.item("change").table
    assert ch[["count before", "count after"]].isin([marker, "0"]).all().all()
    rates = ch[["rate before", "rate after"]].to_numpy()
    counts = ch[["count before", "count after"]].to_numpy()
    assert (rates[counts == marker] == "").all()


def test_a_police_measure_the_data_lack_makes_the_balance_unavailable():
    ds = generate_city("tiny", seed=SEEDS[0]).dataset
    nop = Dataset({k: v for k, v in ds.tables.items() if k != "patrols"}, ds.timezone, ds.crs, name="nopatrol")
    sec = dosage_section(nop, min_count=MC, police_measure="patrol_hours")
    it = add_balance(sec, seed=0)
    assert not it.available and sec.balance is None
    assert it.readings == ["The balance view is not available: these data have no patrol hours "
                           "(choose another police measure)."]
    assert not sec.item("top").available and not sec.item("classes").available
    assert sec.item("reading").readings[1] == it.readings[0]
    with pytest.raises(ValueError, match="police_measure must be one of"):  # a wrong parameter is an error
        add_balance(dosage_section(ds, min_count=MC, police_measure="helicopters"))


def test_typed_warnings_of_the_fits_reach_the_page(monkeypatch):
    """Issue 13 section 5: a StatisticalWarning raised inside a dosage fit is shown on the page by
    ``cautions`` (the trauma index, when the spatial index cannot be built)."""
    import workbench.spatial
    from workbench.sections import page as page_mod

    def no_index(*args, **kwargs):
        raise ValueError("no stressor column")

    shown = []
    monkeypatch.setattr(page_mod, "_display", lambda obj: shown.append(str(getattr(obj, "data", obj))))
    monkeypatch.setattr(workbench.spatial, "trauma_index", no_index)
    ds = generate_city("tiny", seed=SEEDS[0]).dataset
    with page_mod.cautions("the dose counts"):
        sec = dosage_section(ds, min_count=MC)
    assert sec.ok and sec.counts.attrs["trauma_source"].startswith("not available")
    assert len(shown) == 1 and "Caution from the dose counts: trauma index not computed" in shown[0]
    assert any("Trauma context index: not available" in r for r in sec.item("totals").readings)
