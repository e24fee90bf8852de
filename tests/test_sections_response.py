"""The response page's section (workbench.sections.response): values equal the analyses' numbers,
small counts and what is computed from them are hidden, charts with many groups pool the rest into
one "other" group computed on the data, and what could not be estimated says why."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from workbench import ConvergenceWarning
from workbench import response as R
from workbench import survival as S
from workbench.formatting import MISSING
from workbench.privacy import suppression_marker
from workbench.sections import response as sr
from workbench.synth import generate_city

SEEDS = [0, 3, 5]


@pytest.fixture(scope="module")
def cities() -> dict:
    return {seed: generate_city("tiny", seed=seed).dataset for seed in SEEDS}


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


@pytest.mark.parametrize("seed", SEEDS)
def test_descriptive_tables_equal_the_measures(cities, seed):
    ds = cities[seed]
    page = sr.response_section(ds, min_count=11)
    rd = R.prepare_response_data(ds)
    cov = R.coresponse_coverage(rd, "year")
    year = page.item("coverage_year").table
    assert list(year["year"]) == list(cov["group"])
    assert [int(x) for x in year["shootings"]] == cov["shootings"].tolist()  # all above the threshold
    scene = R.time_on_scene(rd, "responder_type")
    shown = page.item("scene").table
    big = scene["n"] >= 11
    assert [int(x) for x in shown.loc[big.to_numpy(), "number"]] == scene.loc[big, "n"].tolist()
    assert (shown.loc[~big.to_numpy() & (scene["n"] > 0).to_numpy(), "number"] == "<11").all()
    fr = R.followup_rates(rd, "service")
    ft = page.item("followups").table
    small = ((fr["engaged"] > 0) & (fr["engaged"] < 11)).to_numpy()
    assert (ft.loc[small, "engaged"] == "<11").all() and (ft.loc[small, "share engaged"] == MISSING).all()
    ok = (fr["engaged"] >= 11).to_numpy()
    assert list(ft.loc[ok, "share engaged"]) == [f"{100 * v:.1f}%" for v in fr.loc[ok, "engagement_rate"]]
    assert any("protect privacy" in r for r in page.item("followups").readings)
    text = " ".join(page.item("coverage").readings)
    assert f"Of {cov['shootings'].sum():,} shootings" in text
    assert page.heading.startswith("## Response and follow") and "Program start" in page.heading


def test_no_small_count_in_any_table(cities):
    page = sr.response_section(cities[3], min_count=11)
    eng = sr.engagement_section(page)
    items = [*page.items, *_quiet(sr.km_items, eng), *_quiet(sr.incidence_items, eng)]
    count_cols = {"shootings", "with a non-police responder", "responses", "number", "referrals", "people",
                  "referrals of victims", "referrals of family members", "engaged", "declined",
                  "follow-up attempted", "records", "left out (implausible)"}
    for it in items:
        for col in count_cols & set(it.table.columns):
            for v in it.table[col]:
                assert not (isinstance(v, (int, np.integer)) and 0 < v < 11), (it.key, col, v)
                assert not (isinstance(v, str) and v.isdigit() and 0 < int(v) < 11), (it.key, col, v)


def test_km_by_provider_pools_all_but_the_eight_largest(cities):
    """14 providers: the chart gets 8 + "other", refitted on the pooled referrals."""
    eng = sr.engagement_section(sr.response_section(cities[0], min_count=1))
    items = {it.key: it for it in _quiet(sr.km_items, eng)}
    t = eng.table
    sizes = t["provider"].value_counts()
    assert len(sizes) > 8
    km = items["km_provider"].figure["km"]["km"]
    med = km.medians.set_index("group")
    assert len(med) == 9
    other = [g for g in med.index if g.startswith("other (")]
    assert other == [f"other ({len(sizes) - 8} groups)"]
    kept = sorted(sizes.index, key=lambda g: (-sizes[g], g))[:8]
    assert set(med.index) - set(other) == set(kept)
    pooled = t[~t["provider"].isin(kept)]
    assert med.loc[other[0], "n"] == len(pooled) == sizes.drop(kept).sum()
    assert med.loc[other[0], "events"] == int(pooled["engaged"].sum())
    # the pooled curve is a Kaplan-Meier fit on the pooled rows, not a combination of the curves
    kmf = KaplanMeierFitter().fit(pooled["days"], pooled["engaged"])
    curve = km.curves[km.curves["group"] == other[0]]
    np.testing.assert_allclose(curve["survival"].to_numpy(), kmf.survival_function_.iloc[:, 0].to_numpy())
    # the table and the log-rank test keep every provider; a reading says what was pooled
    assert len(items["km_provider"].table) == len(sizes)
    assert eng.results["km_by"]["provider"].logrank["df"] == len(sizes) - 1
    assert any('pools the other 6 of the 14 into one "other" group' in r for r in items["km_provider"].readings)
    # services: 8 groups, nothing pooled
    assert t["service"].nunique() == 8
    assert not any(g.startswith("other") for g in items["km_service"].figure["km"]["km"].medians["group"])


@pytest.mark.parametrize("seed", [3, 5])
def test_km_other_group_on_more_seeds(cities, seed):
    ds = cities[seed]
    ref = ds["referrals"]
    # 12 providers of about equal size (provider names are free text)
    ds2 = type(ds)(tables={**ds.tables, "referrals": ref.assign(provider=[f"P{i % 12:02d}" for i in range(len(ref))])},
                   timezone=ds.timezone, crs=ds.crs, name=ds.name)
    eng = sr.engagement_section(sr.response_section(ds2, min_count=1))
    it = next(i for i in _quiet(sr.km_items, eng) if i.key == "km_provider")
    med = it.figure["km"]["km"].medians.set_index("group")
    sizes = eng.table["provider"].value_counts()
    kept = sorted(sizes.index, key=lambda g: (-sizes[g], g))[:8]
    pooled = eng.table[~eng.table["provider"].isin(kept)]
    assert len(med) == 9 and med.loc["other (4 groups)", "n"] == len(pooled) == sizes.drop(kept).sum()
    assert med.loc["other (4 groups)", "events"] == pooled["engaged"].sum()


def test_pool_groups():
    s = pd.Series(["a"] * 5 + ["b"] * 4 + list("cdefghijk") + [None])
    out, pooled = sr.pool_groups(s, keep=3)
    assert pooled == [*"defghijk", "unknown"] and out.value_counts()["other (9 groups)"] == 9
    assert len(out) == len(s) and set(out) == {"a", "b", "c", "other (9 groups)"}
    same, none = sr.pool_groups(pd.Series(list("aab")))
    assert none == [] and list(same) == ["a", "a", "b"]
    # a real group named like the pool is never merged into it
    tricky = pd.Series(["other (2 groups)"] * 3 + ["x"] * 2 + ["y", "z"])
    out, _ = sr.pool_groups(tricky, keep=2)
    assert set(out) == {"other (2 groups)", "x", "all other (2 groups)"}


def test_time_on_scene_chart_pools_many_responder_types(cities, monkeypatch):
    """Responder types are codes (at most 6 besides police): pooling shown with a smaller keep."""
    monkeypatch.setattr(sr, "KEEP_GROUPS", 3)
    ds = cities[0]
    it = sr.response_section(ds).item("scene")
    values = it.figure["scene"]["values"]
    v = R.prepare_response_data(ds).responses[["responder_type", "on_scene_min"]].dropna()
    sizes = v["responder_type"].value_counts()
    kept = sorted(sizes.index, key=lambda g: (-sizes[g], g))[:3]
    other = f"other ({len(sizes) - 3} groups)"
    assert values["responder_type"].nunique() == 4 and set(values["responder_type"]) == {*kept, other}
    assert (values["responder_type"] == other).sum() == sizes.drop(kept).sum()
    assert any(f"pools the other {len(sizes) - 3} of the {len(sizes)}" in r for r in it.readings)
    assert len(it.table) == len(sizes)  # the table keeps every group


def test_models_and_notes(cities):
    eng = sr.engagement_section(sr.response_section(cities[3], min_count=11))
    _quiet(sr.km_items, eng)
    cox = _quiet(sr.cox_items, eng)
    inc = _quiet(sr.incidence_items, eng)
    comp = _quiet(sr.competing_items, eng)
    res = eng.results
    assert res["cox"].fitted and cox[0].key == "cox" and len(cox[0].table) == len(res["cox"].summary)
    assert "Concordance" in cox[0].readings[0]
    assert any("Proportional-hazards check" in r for r in cox[1].readings)
    at = res["at"]
    wide = inc[0].table.set_index("cause")
    for _, r in at[at["cif"].notna()].iterrows():
        assert wide.loc[r["cause"], f"{r['time']:.0f} days"] == f"{100 * r['cif']:.1f}%"
    fg = next(i for i in comp if i.key == "fine_gray")
    assert fg.available and "Fine-Gray hazard ratio (how likely)" in fg.table.columns
    assert "cause-specific hazard ratio (how fast)" in fg.table.columns
    for c, r in res["cause_specific"].items():
        if not r.fitted:
            assert any(r.reason in n for n in eng.notes)
    notes = sr.notes_item(eng)
    assert notes.readings[0].startswith("**Not estimated") and set(eng.notes) <= set(notes.readings)
    # a caution already shown by the page's cautions() is not repeated in the notes
    if eng.notes:
        assert eng.notes[0] not in sr.notes_item(eng, shown=[eng.notes[0]]).readings


def test_typed_warnings_reach_the_caller(cities):
    """The section does not swallow the fits' ConvergenceWarning: the notebook's cautions() shows it."""
    eng = sr.engagement_section(sr.response_section(cities[0]))
    with pytest.warns(ConvergenceWarning, match="ridge penalty"):
        sr.competing_items(eng)


def test_failing_fits_are_unavailable_with_the_reason(cities, monkeypatch):
    eng = sr.engagement_section(sr.response_section(cities[3]))

    def singular(*a, **k):
        raise np.linalg.LinAlgError("Singular matrix")

    def bad(*a, **k):
        raise ValueError("durations must be non-negative")

    monkeypatch.setattr(S, "fit_cox", singular)  # the section calls the analyses through the package
    monkeypatch.setattr(S, "fine_gray", singular)
    monkeypatch.setattr(S, "cumulative_incidence", bad)
    cox = sr.cox_items(eng)
    assert [i.available for i in cox] == [False] and "Singular matrix" in cox[0].readings[0]
    assert any("Singular matrix" in n for n in eng.notes)
    inc = sr.incidence_items(eng)
    assert not inc[0].available and "durations must be non-negative" in inc[0].readings[0]
    fg = next(i for i in _quiet(sr.competing_items, eng) if i.key == "fine_gray")
    assert not fg.available and "Singular matrix" in fg.readings[0]
    monkeypatch.setattr(S, "kaplan_meier", bad)
    km = sr.km_items(eng)
    assert [i.available for i in km] == [False] and "could not be estimated" in km[0].readings[0]


def test_without_referrals_or_responses_each_says_why_once():
    ds = generate_city("tiny", seed=8, target_victimizations=12).dataset
    tables = {k: v for k, v in ds.tables.items() if len(v)}
    ds = type(ds)(tables=tables, timezone=ds.timezone, crs=ds.crs, name="sparse")
    page = sr.response_section(ds)
    assert page.has_responses and not page.has_referrals
    ref = page.item("referrals")
    assert not ref.available and "no referral records" in ref.readings[0]
    eng = sr.engagement_section(page)
    for fn in (sr.km_items, sr.cox_items, sr.incidence_items, sr.competing_items):
        items = fn(eng)
        assert [i.available for i in items] == [False] and items[0].readings == []  # said once, above
    rv = sr.revictimization_section(page)
    assert rv.items[0].available and "People followed" in rv.items[0].readings[0]
    assert sr.comparison_items(page, rv)[0].readings == []
    none = type(ds)(tables={k: v for k, v in tables.items() if k not in ("responses",)}, timezone=ds.timezone,
                    crs=ds.crs, name="none")
    page = sr.response_section(none)
    assert "There are no response records in these data" in page.heading
    assert all(not i.available and i.readings == [] for i in page.items)


def test_every_count_hidden_under_a_large_threshold(cities):
    page = sr.response_section(cities[0], min_count=1000)
    marker = suppression_marker(1000)
    t = page.item("coverage_year").table
    assert (t["shootings"] == marker).all() and (t["share with a non-police responder"] == MISSING).all()
    text = " ".join(page.item("coverage").readings)
    assert "fewer than 1000 shootings" in text and "%" not in text and "minutes" not in text
    trend = page.item("coverage").figure["trend"]["trend"]
    assert trend["share_covered"].isna().all()  # months with too few shootings are left out of the chart
    assert json.dumps(page.item("followups").to_json())  # display parts only, JSON-ready


def test_notebook_is_calls_and_prose():
    import nbformat

    nb = nbformat.read(Path(__file__).parents[1] / "notebooks" / "03_response.ipynb", 4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert sum(len(s.splitlines()) for s in code) < 80
    text = "\n".join(code)
    assert "except Exception" not in text and "simplefilter" not in text and "catch_warnings" not in text
    for model in ("Kaplan-Meier", "Cox", "Fine-Gray", "cumulative incidence"):
        assert f'with cautions("the {model}' in text or f"{model} model" in text, model
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "Fine-Gray model** asks *how likely*" in prose and "Cause-specific Cox models** ask *how fast*" in prose


def test_time_on_scene_chart_leaves_out_what_the_table_hides(cities):
    ds = cities[0]
    v = R.prepare_response_data(ds).responses[["responder_type", "on_scene_min"]].dropna()
    sizes = v["responder_type"].value_counts()
    mc = int(sizes.min()) + 1  # the smallest responder type falls under the threshold
    it = sr.response_section(ds, min_count=mc).item("scene")
    drawn = it.figure["scene"]["values"]["responder_type"].value_counts()
    assert set(drawn.index) == set(sizes[sizes >= mc].index) and (drawn == sizes[drawn.index]).all()
    assert any(f"fewer than {mc} timed responses are left out of the chart" in r for r in it.readings)
    small = sizes.idxmin().replace("_", " ")
    row = it.table[it.table["responder type"] == small].iloc[0]
    assert row["median minutes"] == MISSING and row["number"] == suppression_marker(mc)


def test_unlinked_victims_say_revictimization_cannot_be_seen(cities):
    """Data without a link between a person's shootings (Philadelphia's): 0% is said not to be an estimate."""
    ds = cities[0]
    v = ds["victimizations"]
    ids = [f"U{i:06d}" for i in range(len(v))]
    people = ds["people"].set_index("person_id").loc[v["person_id"]].reset_index().assign(person_id=ids)
    ds2 = type(ds)(tables={**ds.tables, "victimizations": v.assign(person_id=ids), "people": people},
                   timezone=ds.timezone, crs=ds.crs, name=ds.name)
    page = sr.response_section(ds2)
    it = sr.revictimization_section(page).items[0]
    assert "shot again: 0." in it.readings[0] and "0% is not an estimate" in it.readings[1]
    linked = sr.revictimization_section(sr.response_section(ds)).items[0]
    assert len(linked.readings) == 1


def test_group_medians_of_a_hidden_engagement_count_are_hidden():
    """A group's median days to engagement (and its interval) are figures of its engagements:
    where the engaged count is suppressed, they are not shown either (table and readings)."""
    from workbench.privacy import suppressed_mask

    ds = generate_city("tiny", seed=3).dataset
    page = sr.response_section(ds, min_count=11)
    eng = sr.engagement_section(page)
    items = {it.key: it for it in sr.km_items(eng)}
    checked = 0
    for label, full in eng.results["km_by"].items():
        med = full.medians
        hidden = suppressed_mask(med["events"].to_numpy(), 11)
        table = items[f"km_{[k for k, v in sr.KM_GROUPINGS.items() if v == label][0]}"].table
        for col in [c for c in table.columns if "median" in str(c).lower()]:
            shown = table[col].astype(str).to_numpy()
            assert all(v in (MISSING, "None", "nan", "") for v in shown[hidden]), (label, col, shown[hidden])
            checked += int(hidden.sum())
    assert checked > 0  # the tiny city has groups with few engagements
