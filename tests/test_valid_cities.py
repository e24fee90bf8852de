"""Every valid city gets a complete report (issue 10 section 5).

The computations every report page makes (the calls of ``notebooks/0*.ipynb``, in the same order
with the same arguments), the index's executive summary and its *Now* block run on the tiny
synthetic city of 21 seeds (some sparse, down to a city with no referral at all) and on edge cases
cut from one of them: one area, no areas, no people or arrests, no victims, no responses, no
referrals, no follow-ups, police responses only, one provider, one service and one provider, a
60-day window, a single shooting, shots fired only, no shooting in the summary period, and every
count under the privacy threshold. Nothing may raise, and what could not be estimated is said with
its reason. One full report (papermill, export, privacy scan) runs end to end on edge-case data.

The response page's survival models are checked across seeds in ``tests/test_survival_page.py``;
here they run on the edge cases only.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from workbench import outreach, response
from workbench.data import Dataset, validate
from workbench.maps import places_map
from workbench.report.index import render_summary
from workbench.report.now import render_now
from workbench.sections import now_block, places_section
from workbench.sections import response as sr
from workbench.sections.dosage import add_balance, add_change, add_pretrend, dosage_section
from workbench.sections.overview import overview_section
from workbench.sections.past_victims import outreach_section, past_victims_section
from workbench.sections.people import contagion_items, people_section
from workbench.sections.summary import summarize, summary_json
from workbench.synth import generate_city

#: (seed, expected victimizations or None for the tiny default): 20 seeds, every third one sparse,
#: plus the city of seed 8 with 12 expected victimizations, which has no referral at all
SEEDS = [(s, (None, 40.0, 20.0)[s % 3]) for s in range(1, 21)] + [(8, 12.0)]

NOT_COMPUTED = "Not computed for these data"  # sections.now._guard: an item that raised
SUMMARY_FAILED = "could not be computed"  # sections.summary._safely: a number that raised


def _valid(ds: Dataset, name: str | None = None) -> Dataset:
    """The dataset as the report reads it: checked against the contract, empty tables left out."""
    tables = {k: v for k, v in ds.tables.items() if len(v)}
    return validate(Dataset(tables=tables, timezone=ds.timezone, crs=ds.crs, name=name or ds.name))


def _city(seed: int, vict: float | None) -> Dataset:
    kw = {} if vict is None else {"target_victimizations": vict}
    return generate_city("tiny", seed=seed, **kw).dataset


# ---- the pages' computations ------------------------------------------------------------------

def overview_page(ds: Dataset, mc: int) -> list[str]:
    return list(overview_section(ds, mc).readings)


def places_page(ds: Dataset, mc: int) -> list[str]:
    page = places_section(ds, None, None, min_count=mc, cell_m="auto", cell_shape="hexagon", min_share_shown=0.5,
                          permutations=19, kde_cell_m=100)
    assert np.isfinite(page.cell_m) and page.cell_m > 0
    if page.knox_table is not None:
        assert {"p", "empty"} <= set(page.knox_table.attrs)
    m = places_map(**page.map_inputs)
    assert "leaflet" in m.get_root().render().lower()
    assert page.item("areas").available == ds.has("areas")
    lines = [s for i in page.items if i.key in ("near_repeat", "hotspots", "areas") for s in i.readings]
    return lines or ["Too few incidents for the test."]


def people_page(ds: Dataset, mc: int) -> list[str]:
    sec = people_section(ds, mc)
    if not sec.ok:
        assert "The sections below are skipped" in sec.intro
        return ["skipped: no people, arrests or victims"]
    assert sec.summary["n_people"] == sec.graph.n_people and sec.item("exposure").figure
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        contagion_items(sec, n_boot=0, max_lag_days=365)
    fit = sec.fit
    if fit is None:  # the page says "could not be fitted: <reason>" or "not shown: it rests on ..."
        said = sec.item("contagion").readings
        assert said and not sec.item("contagion").available
        return [f"contagion model not fitted: {said[0]}"]
    assert 0 <= fit.contagion_share_ <= 1 and fit.n_events_ > 0
    return [f"{sec.summary['n_people']} people, contagion share {fit.contagion_share_:.2f}"]


def response_page(ds: Dataset, mc: int, models: bool) -> list[str]:
    page = sr.response_section(ds, min_count=mc)
    if not page.has_responses:
        assert not page.coverage[0].available
        return ["skipped: no responses"]
    lines = [r for it in page.items for r in it.readings]
    assert page.item("scene").readings  # at least what was left out
    if not page.has_referrals:
        assert page.item("referrals").readings  # says why, once
    if page.has_referrals and models:
        eng = sr.engagement_section(page)
        for fit in (sr.km_items, sr.cox_items, sr.incidence_items, sr.competing_items):
            lines += [r for it in fit(eng) for r in it.readings]
        if eng.available:
            res = eng.results
            for r in [res["cox"], res["fine_gray"], *res["cause_specific"].values()]:
                assert r.fitted or (r.reason and any(r.reason in n for n in eng.notes))
        else:
            assert eng.reason or not len(eng.table)
        lines += eng.notes
    rv = sr.revictimization_section(page, landmark_days=90)
    lines += [r for it in rv.items for r in it.readings]
    if models:
        lines += [r for it in sr.comparison_items(page, rv, weighted=True) for r in it.readings]
    return lines


def past_victims_page(ds: Dataset, mc: int) -> list[str]:
    page = past_victims_section(ds, mc)
    if not page.available:
        assert "The sections below are skipped" in page.heading
        return ["skipped: no victims or no program start"]
    for key in ("area", "years_since", "year", "trend"):
        assert page.item(key).readings or page.item(key).available
    assert page.unserved.n is not None or page.unserved.reason
    reach = outreach_section(page, ds, horizon_days=365, top_n=50)
    if reach.priority is not None and reach.priority["risk"].notna().any():
        assert reach.audit is not None and reach.audit.note
        assert reach.item("audit").available and reach.item("audit").readings
    return [f"{len(page.past)} past victims"] + page.readings


def dosage_page(ds: Dataset, mc: int) -> list[str]:
    sec = dosage_section(ds, min_count=mc, exposure_radius_m=400)
    if not sec.ok:
        assert "the sections below are skipped" in sec.heading
        return ["skipped: no areas, police measure or co-responders"]
    add_balance(sec, seed=0, top_n=10)
    lines = [r for it in sec.items for r in it.readings]
    change = add_change(sec, ds, outcome="shootings", seed=0)
    if not change.available:  # the page says why: no program start, or the fit's ValueError
        assert change.readings and all(change.readings)
        return lines + change.readings
    return lines + change.readings + add_pretrend(sec, ds, seed=0).readings


def index_parts(ds: Dataset, mc: int, months: int = 12) -> dict:
    s = summarize(ds, mc, months=months)
    for n in s.numbers:
        assert n.shown and SUMMARY_FAILED not in n.shown, (n.key, n.shown)
    html = render_summary(summary_json(s, fingerprint="0", finished="2026-01-01", run_name="t"))
    assert 'id="summary"' in html
    block = now_block(ds, min_count=mc, permutations=19)
    js = block.to_json()
    for it in js["items"]:
        assert it["readings"] and not any(NOT_COMPUTED in r for r in it["readings"]), (it["key"], it["readings"])
    assert (render_now(js, min_count=mc) != "") == bool(js)
    return {"summary": {n.key: n.shown for n in s.numbers}, "now": js}


def every_page(ds: Dataset, mc: int = 11, months: int = 12, models: bool = False) -> dict:
    """Run every page's computations; each returns the sentences it would show (never empty)."""
    pages = {
        "00_data_overview": overview_page(ds, mc),
        "01_places": places_page(ds, mc),
        "02_people": people_page(ds, mc),
        "03_response": response_page(ds, mc, models),
        "04_past_victims": past_victims_page(ds, mc),
        "05_dosage": dosage_page(ds, mc),
    }
    for name, lines in pages.items():
        assert all(isinstance(s, str) and s for s in lines), name
    pages["index"] = index_parts(ds, mc, months)
    return pages


# ---- across seeds -----------------------------------------------------------------------------

@pytest.mark.parametrize("seed,vict", SEEDS, ids=[f"seed{s}-{v or 'default'}" for s, v in SEEDS])
def test_every_page_computes_across_seeds(seed, vict):
    ds = _valid(_city(seed, vict))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = every_page(ds)
    assert set(out["index"]["summary"]) == {"shootings", "people_exposed", "coresponse_coverage",
                                            "median_days_to_engagement", "past_victims_unserved"}


def test_city_without_referrals_generates_and_validates(tmp_path):
    """Seed 8 with 12 expected victimizations has no referral: the synth writes it without the empty
    tables, the contract accepts it, and the pages say referrals are missing."""
    from workbench.data import load_dataset
    from workbench.synth import write_city

    city = generate_city("tiny", seed=8, target_victimizations=12)
    assert len(city.dataset["referrals"]) == 0 and len(city.dataset["followups"]) == 0
    folder = write_city("tiny", seed=8, out=tmp_path / "sparse", target_victimizations=12)
    assert not (folder / "referrals.parquet").exists()
    ds = load_dataset({"name": "sparse", "source": str(folder), "timezone": "America/Chicago"})
    assert "referrals" not in ds and ds.has("incidents", "responses")
    out = index_parts(ds, 11)
    assert out["summary"]["median_days_to_engagement"] == "not available in these data"


# ---- edge cases -------------------------------------------------------------------------------

SHOOTINGS = ["fatal_shooting", "nonfatal_shooting"]


def _cascade(t: dict, keep: np.ndarray) -> dict:
    """Tables with only the ``keep`` incidents and the records that hang off them."""
    t = dict(t)
    t["incidents"] = t["incidents"][keep].reset_index(drop=True)
    ids = set(t["incidents"]["incident_id"])
    for name in ("victimizations", "responses"):
        t[name] = t[name][t[name]["incident_id"].isin(ids)]
    t["referrals"] = t["referrals"][t["referrals"]["response_id"].isin(set(t["responses"]["response_id"]))]
    t["followups"] = t["followups"][t["followups"]["referral_id"].isin(set(t["referrals"]["referral_id"]))]
    return t


def _one_area(ds: Dataset) -> dict:
    t = dict(ds.tables)
    areas = t["areas"]
    pts = ds.points("incidents").to_crs(areas.crs)
    best = gpd.sjoin(pts, areas[["area_id", "geometry"]], predicate="within")["area_id"].value_counts().index[0]
    a = areas[areas["area_id"] == best].reset_index(drop=True)
    shape = a.geometry.iloc[0]
    t = _cascade(t, pts.within(shape).to_numpy())
    t["areas"] = a
    t["places"] = t["places"][t["places"].within(shape)]
    t["patrols"] = t["patrols"][t["patrols"]["area_id"] == best]
    home = t["people"]["home_area_id"]
    t["people"] = t["people"].assign(home_area_id=home.where(home == best))
    return t


def _without(t: dict, *names: str) -> dict:
    return {k: v for k, v in t.items() if k not in names}


def edge_cases(ds: Dataset) -> dict[str, tuple[dict, dict]]:
    """``name -> (tables, {"mc": min_count, "months": summary months})``, cut from ``ds``."""
    t = ds.tables
    inc, ref, resp = t["incidents"], t["referrals"], t["responses"]
    end, start = inc["occurred_at"].max(), inc["occurred_at"].min()
    from workbench.sections.summary import summary_period

    period = summary_period(ds, 3)  # the last 3 whole months up to the one data end (workbench.data.data_end)
    recent = ((inc["occurred_at"] > period.start) & inc["kind"].isin(SHOOTINGS)).to_numpy()
    short = _cascade(t, (inc["occurred_at"] < start + pd.Timedelta(days=60)).to_numpy())
    cut = start + pd.Timedelta(days=60)
    short.update(arrests=t["arrests"][t["arrests"]["arrested_at"] < cut],
                 patrols=t["patrols"][t["patrols"]["started_at"] < cut],
                 followups=short["followups"][short["followups"]["attempted_at"] < cut])
    first_shooting = (inc.index == inc.index[inc["incident_id"].isin(set(t["victimizations"]["incident_id"]))][0])
    one = _one_area(ds)
    plain = {}
    return {
        "one_area": (one, plain),
        "one_area_no_people": (_without(one, "people", "arrests"), plain),
        "no_areas": (_without(t, "areas", "patrols") | {"people": t["people"].assign(home_area_id=None)}, plain),
        "no_people": (_without(t, "people", "arrests"), plain),
        "no_people_no_victims": (_without(t, "people", "arrests", "victimizations", "referrals", "followups"),
                                 plain),
        "no_responses": (_without(t, "responses", "referrals", "followups"), plain),
        "no_referrals": (_without(t, "referrals", "followups"), plain),
        "no_followups": (_without(t, "followups"), plain),
        "police_only": (_without(t, "referrals", "followups") | {"responses": resp[resp["responder_type"] == "police"]},
                        plain),
        "one_provider": (t | {"referrals": ref.assign(provider=ref["provider"].iloc[0])}, plain),
        "one_service_one_provider": (t | {"referrals": ref.assign(provider=ref["provider"].iloc[0],
                                                                  service=ref["service"].iloc[0])}, plain),
        "short_window_60_days": (short, plain),
        "single_shooting": (_cascade(t, first_shooting), plain),
        "shots_fired_only": (_cascade(t, (inc["kind"] == "shots_fired").to_numpy()), plain),
        "no_shooting_in_summary_period": (_cascade(t, ~recent), {"months": 3}),
        "every_count_under_threshold": (t, {"mc": 1000}),
    }


EDGE_SEED = 3  # a tiny city whose Gi* map once had no significant cell


@pytest.fixture(scope="module")
def edge_data() -> dict:
    ds = _valid(_city(EDGE_SEED, None))
    return {name: (_valid(Dataset(tables=tables, timezone=ds.timezone, crs=ds.crs, name=name)), opts)
            for name, (tables, opts) in edge_cases(ds).items()}


EDGE_NAMES = ["one_area", "one_area_no_people", "no_areas", "no_people", "no_people_no_victims", "no_responses",
              "no_referrals", "no_followups", "police_only", "one_provider", "one_service_one_provider",
              "short_window_60_days", "single_shooting", "shots_fired_only", "no_shooting_in_summary_period",
              "every_count_under_threshold"]


@pytest.mark.parametrize("name", EDGE_NAMES)
def test_every_page_computes_on_edge_cases(edge_data, name):
    ds, opts = edge_data[name]
    mc = opts.get("mc", 11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = every_page(ds, mc, opts.get("months", 12), models=True)
    s = out["index"]["summary"]
    if name == "no_shooting_in_summary_period":
        assert s["shootings"] == "0" and s["coresponse_coverage"] == "no shootings"
    if name == "shots_fired_only":
        assert out["index"]["now"]["notes"] == ["No shootings in these data."]
    if name == "every_count_under_threshold":
        assert s["shootings"] == "<1000"
    if name in ("no_responses", "no_people_no_victims"):
        assert s["median_days_to_engagement"] == "not available in these data"
    if name.startswith("one_area"):
        em = next(it for it in out["index"]["now"]["items"] if it["key"] == "emerging")
        assert em["readings"] == ["These data have only 1 area; emerging hot spots compare each area with its "
                                  "neighbours and need at least 3, so none can be named."]


def test_edge_cases_cover_the_brief(edge_data):
    ds = {k: v[0] for k, v in edge_data.items()}
    assert len(ds["one_area"]["areas"]) == 1
    assert "people" not in ds["no_people"] and "responses" not in ds["no_responses"]
    assert ds["one_provider"]["referrals"]["provider"].nunique() == 1
    assert len(ds["single_shooting"]["incidents"]) == 1


# ---- end to end -------------------------------------------------------------------------------

@pytest.mark.slow
def test_full_report_on_one_area_without_people(edge_data, tmp_path):
    """The whole report (papermill, export, privacy scan, index) on one area with no people or arrests:
    every page is published and says what it skipped."""
    import yaml

    from workbench.report import run_report

    NOTEBOOKS = ["00_data_overview", "01_places", "02_people", "03_response", "04_past_victims", "05_dosage"]
    folder = edge_data["one_area_no_people"][0].to_folder(tmp_path / "data")
    params = tmp_path / "edge.yaml"
    params.write_text(yaml.safe_dump({
        "run_name": "edge", "title": "One area, no people",
        "data": {"name": "edge", "source": str(folder), "timezone": "America/Chicago"},
        "notebooks": NOTEBOOKS, "now": {"permutations": 19},
        "notebook_parameters": {"01_places": {"permutations": 19, "kde_cell_m": 100}},
    }))
    result = run_report(params, out=tmp_path / "reports" / "edge", progress=False)
    assert [r.status for r in result.notebooks] == ["ok"] * len(NOTEBOOKS), result.notebooks
    people = (result.out / "02_people.html").read_text()
    assert "no victim records linked to people and no arrest records" in people
    index = (result.out / "index.html").read_text()
    assert 'id="summary"' in index and 'id="now"' in index
    assert "These data have only 1 area" in index


# ---- what the pages say when they skip -----------------------------------------------------------

def _page_text(name: str, data_dir: Path, monkeypatch, **params) -> str:
    """Markdown a report notebook shows, its code run in-process with ``display`` captured."""
    import matplotlib.pyplot as plt
    import nbformat

    from workbench.report.params import DEFAULT_NOTEBOOKS_DIR

    shown: list[str] = []
    def display(*objs, **kw):
        shown.extend(o.data for o in objs if isinstance(getattr(o, "data", None), str))

    monkeypatch.setattr("IPython.display.display", display)
    monkeypatch.setattr(plt, "show", lambda *a, **k: plt.close("all"))
    ns: dict = {}
    for cell in nbformat.read(DEFAULT_NOTEBOOKS_DIR / f"{name}.ipynb", 4).cells:
        if cell.cell_type == "code":
            exec(compile(cell.source, name, "exec"), ns)
            if "parameters" in cell.metadata.get("tags", []):
                ns.update(data_dir=str(data_dir), **params)
    plt.close("all")
    return "\n".join(shown)


def test_pages_say_why_on_a_short_window_without_coresponders(edge_data, tmp_path, monkeypatch):
    """60 days, a handful of victimizations and no co-responder arrival yet: the contagion model is not
    shown on so few events, and the program start is said to be unknown, with the reason."""
    folder = edge_data["short_window_60_days"][0].to_folder(tmp_path / "short")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        people = _page_text("02_people", folder, monkeypatch, horizon_days=60, n_boot=0)
        resp = _page_text("03_response", folder, monkeypatch)
        past = _page_text("04_past_victims", folder, monkeypatch)
    assert "The contagion model is not shown: it rests on fewer than 11 victimizations" in people
    assert "This cascade links" not in people
    assert "Program start: not known (no co-responder ever arrived" in resp
    assert "taken as the day of the first co-responder arrival" not in resp
    assert "no co-responder ever arrived, so there is no program start date" in past
    assert "there are no response records" not in past


def test_outreach_note_suppresses_a_small_list(edge_data):
    """A policy page's sentence about the outreach list never shows its size below the threshold."""
    ds = edge_data["one_provider"][0]
    past = outreach.past_victims(ds, response.infer_program_start(ds), None)
    pri = outreach.outreach_priority(ds, past, horizon_days=365)
    small = outreach.outreach_audit(ds, pri, top_n=5, horizon_days=365, min_count=11)
    assert small.top_n == 5 and "holds fewer than 11 highest-risk past victims" in small.note
    assert "holds the 5 " not in small.note
    big = outreach.outreach_audit(ds, pri, top_n=len(pri), horizon_days=365, min_count=11)
    if len(pri) >= 11:
        assert f"holds the {len(pri)} highest-risk" in big.note
