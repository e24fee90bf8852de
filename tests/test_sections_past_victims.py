"""workbench.sections.past_victims: the past-victims page on the tiny city and two other seeds.

Counts equal the analysis' numbers (workbench.outreach), suppressed cells are markers, rates next
to hidden counts are blank, the headline equals the index's *past victims still unserved*, and
unavailable items say why.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from workbench import ConvergenceWarning, outreach
from workbench.data import Dataset
from workbench.privacy import count_text, suppression_marker
from workbench.response import infer_program_start
from workbench.sections.past_victims import OutreachSection, outreach_section, past_victims_section
from workbench.synth import generate_city

from workbench.sections.summary import key_numbers

COUNTS = ["past victims", "never referred", "shot again", "shot again since the program start"]


def _index_unserved(ds: Dataset) -> float | None:
    return next(k for k in key_numbers(ds, min_count=1) if k.key == "past_victims_unserved").current


@pytest.fixture(scope="module", params=[3, 7])
def other_city(request) -> Dataset:
    return generate_city("tiny", seed=request.param).dataset


def test_headline_equals_the_index_on_the_tiny_city(tiny_dataset):
    ds = tiny_dataset
    page = past_victims_section(ds, min_count=1)
    n = _index_unserved(ds)
    assert page.available and page.unserved.n == n > 0
    assert page.index_unserved is None  # same program start and date: nothing differs
    assert page.unserved.as_of.strftime("%Y-%m-%d") in page.heading
    # the headline by hand: shot before the inferred start, alive, no referral by the data end
    start = infer_program_start(ds)
    past = outreach.past_victims(ds, start, page.unserved.as_of)
    assert n == int((past["before_program"] & ~past["referred"]).sum())
    assert f"**{int(n):,}**" in page.readings[-1] and "This is the index's" in page.readings[-1]


def test_headline_equals_the_index_on_other_seeds(other_city):
    page = past_victims_section(other_city, min_count=1)
    assert page.available and page.unserved.n == _index_unserved(other_city)
    area = page.item("area").table
    assert area["past victims"].sum() == len(page.past) or len(area) == 25
    assert page.item("year").table["past victims"].sum() == len(page.past)
    assert page.item("years_since").table["never referred"].sum() == int((~page.past["referred"]).sum())


def test_tables_are_the_analysis_counts_with_small_ones_hidden(tiny_dataset):
    ds, mc = tiny_dataset, 11
    page = past_victims_section(ds, min_count=mc)
    raw = outreach.past_victim_counts(page.past, "area").head(25)
    shown = page.item("area").table
    assert list(shown.columns) == ["area", *COUNTS] and list(shown["area"]) == list(raw["group"])
    marker = suppression_marker(mc)
    for label, col in zip(COUNTS, ["past_victims", "unserved", "revictimized", "shot_since_start"]):
        v = raw[col].to_numpy()
        small = (v > 0) & (v < mc)
        assert (shown.loc[small, label] == marker).all()
        assert (shown.loc[~small, label].astype(int).to_numpy() == v[~small]).all()
    assert "to protect privacy" in page.footnotes["area"][0]
    # sentences hide small counts as words
    n_again, n_since = int(page.past["revictimized"].sum()), int(page.past["shot_since_start"].sum())
    assert f"Shot more than once: {count_text(n_again, mc, words=True)};" in page.readings[2]
    assert 0 < n_since < mc and f"after it started: fewer than {mc}." in page.readings[2]
    assert page.item("trend").available
    t = page.trend
    assert (t["served"] + t["unserved"] == t["past_victims"]).all() and t["unserved"].iloc[-1] == page.unserved.n


def test_the_page_says_what_differs_from_the_index(tiny_dataset):
    ds = tiny_dataset
    inferred = infer_program_start(ds)
    start = (inferred - pd.Timedelta(days=60)).strftime("%Y-%m-%d")
    page = past_victims_section(ds, min_count=1, program_start=start, as_of="2024-10-01")
    assert page.index_unserved is not None and page.index_unserved.n == _index_unserved(ds)
    said = page.readings[-1]
    assert "differs here" in said and f"{inferred:%Y-%m-%d}" in said and start in said and "2024-10-01" in said
    assert f"it shows {int(page.index_unserved.n):,}" in said
    assert page.unserved.n == outreach.still_unserved(outreach.past_victims(ds, start, "2024-10-01"))
    assert "(taken as the day of the first co-responder arrival)" not in page.heading


def test_unserved_before_the_program_start_is_not_a_count(tiny_dataset):
    ds = tiny_dataset
    start = infer_program_start(ds)
    early = outreach.unserved_past_victims(ds, as_of=start - pd.Timedelta(days=1))
    assert early.n is None and "had not started" in early.reason and early.past is not None
    assert "cannot be counted" in early.rule
    u = outreach.unserved_past_victims(ds, program_start=f"{start:%Y-%m-%d}")
    assert u.n == outreach.unserved_past_victims(ds).n and not u.program_start_inferred
    assert f"{start:%Y-%m-%d}" in u.rule


@pytest.mark.parametrize("drop,why", [
    (("responses", "referrals", "followups"), "there are no response records"),
    (("victimizations",), "there are no victim records"),
])
def test_unavailable_page_says_why(tiny_dataset, drop, why):
    ds = tiny_dataset
    cut = Dataset(tables={k: v for k, v in ds.tables.items() if k not in drop}, timezone=ds.timezone, crs=ds.crs,
                  name="cut")
    page = past_victims_section(cut, min_count=11)
    assert not page.available and why in page.heading and "skipped" in page.heading
    assert all(not it.available and why in it.readings[0] for it in page.items)
    reach = outreach_section(page, cut)
    assert [it.available for it in reach.items] == [False, False, False] and reach.priority is None


def test_no_coresponder_means_no_program_start(tiny_dataset):
    ds = tiny_dataset
    r = ds["responses"]
    cut = Dataset(tables={**ds.tables, "responses": r[r["responder_type"] == "police"]}, timezone=ds.timezone,
                  crs=ds.crs, name="police only")
    page = past_victims_section(cut, min_count=11)
    assert not page.available and "no co-responder ever arrived" in page.heading


@pytest.fixture(scope="module")
def page_and_reach(synthetic_tiny):
    ds = synthetic_tiny.dataset
    page = past_victims_section(ds, min_count=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ds, page, outreach_section(page, ds, horizon_days=365, top_n=10, researcher_mode=False)


def test_outreach_policy_items_are_aggregate(page_and_reach):
    ds, page, reach = page_and_reach
    assert isinstance(reach, OutreachSection) and reach.priority is not None
    assert len(reach.priority) == len(page.past)
    lst = reach.item("list")
    assert not lst.available and "researcher mode is off" in lst.readings[0] and lst.table.empty
    ids = set(ds["people"]["person_id"].astype(str))
    for it in reach.items:
        assert not ids & set(it.table.astype(str).to_numpy().ravel()), it.key
    audit = reach.item("audit")
    a = reach.audit.audit
    t = audit.table
    assert len(t) == len(a) and reach.audit.note in audit.readings[0]
    # counts are the audit's, hidden below the threshold; a rate next to a hidden count is blank
    hidden = ((a["n"] > 0) & (a["n"] < 11)) | ((a["n_selected"] > 0) & (a["n_selected"] < 11))
    assert (t.loc[hidden.to_numpy(), "selection rate"].isna()).all()
    ok = (~hidden).to_numpy()
    np.testing.assert_allclose(t.loc[ok, "selection rate"].astype(float), a.loc[ok, "selection_rate"].astype(float))
    assert (t.loc[(a["n"] > 0).to_numpy() & (a["n"] < 11).to_numpy(), "past victims ranked"] == "<11").all()
    assert "Rates that would reveal a hidden count are left blank" in reach.footnotes["audit"][0]


def test_researcher_mode_holds_the_list(page_and_reach):
    ds, page, _ = page_and_reach
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reach = outreach_section(page, ds, horizon_days=365, top_n=5, researcher_mode=True)
    lst = reach.item("list")
    assert lst.available and len(lst.table) == 5 and list(lst.table["rank"]) == [1, 2, 3, 4, 5]
    assert lst.table["risk"].is_monotonic_decreasing and "horizon 365 days" in lst.readings[0]


def test_a_failed_fit_is_caught_and_said(page_and_reach, monkeypatch):
    ds, page, _ = page_and_reach

    def broken(*a, **k):
        warnings.warn("the model wobbled", ConvergenceWarning)
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(outreach, "outreach_priority", broken)
    with pytest.warns(ConvergenceWarning, match="wobbled"):  # typed warnings reach the page's cautions
        reach = outreach_section(page, ds, researcher_mode=True)
    assert all(not it.available for it in reach.items)
    assert "LinAlgError" in reach.reason and "Singular matrix" in reach.item("audit").readings[0]


# ---- the notebook: calls and prose ----------------------------------------------------------------

def test_notebook_is_calls_and_prose():
    import nbformat

    from workbench.report.params import DEFAULT_NOTEBOOKS_DIR

    nb = nbformat.read(DEFAULT_NOTEBOOKS_DIR / "04_past_victims.ipynb", 4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert len(code.splitlines()) < 80
    assert "except Exception" not in code and "simplefilter" not in code and "catch_warnings" not in code
    assert 'with cautions("the outreach risk model")' in code
    assert [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"] == [
        "# Past victims", "## Where they live", "## How long ago", "## Still unreached",
        "## Outreach list (researchers only)", "## Who the outreach list reaches first, by group",
        "## Methods and caveats"]


def test_notebook_puts_the_model_caution_on_the_page(tiny_city, tiny_dataset, monkeypatch):
    from test_valid_cities import _page_text

    real = outreach.outreach_priority

    def wobbly(*a, **k):
        warnings.warn("the ridge refit shrank the estimates", ConvergenceWarning)
        return real(*a, **k)

    monkeypatch.setattr(outreach, "outreach_priority", wobbly)
    text = _page_text("04_past_victims", tiny_city, monkeypatch)
    assert text.count("Caution from the outreach risk model: the ridge refit shrank the estimates") == 1
    n = past_victims_section(tiny_dataset, 11).unserved.n
    assert "no referral by" in text and f"**{count_text(n, 11, words=True)}**" in text
    assert "researcher mode is off" in text and "Where they live" not in text  # headings are Markdown cells
