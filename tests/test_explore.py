"""The JupyterLab explorers: setting widget values in Python changes the computed outputs.

Headless (matplotlib Agg, no kernel); one explorer of each kind per module on the tiny city.
Most explorers run with ``plots=False`` (figures are the slow part); one test draws them.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
ipywidgets = pytest.importorskip("ipywidgets")

from workbench.explore import LAYERS, FollowupExplorer, PeopleExplorer, PlacesExplorer

REPO_ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG"


@pytest.fixture(scope="module")
def places(tiny_dataset):
    return PlacesExplorer(tiny_dataset, plots=False, permutations=19)


@pytest.fixture(scope="module")
def followups(tiny_dataset):
    return FollowupExplorer(tiny_dataset, plots=False)


@pytest.fixture(scope="module")
def people(tiny_dataset):
    return PeopleExplorer(tiny_dataset, plots=False)


def _ok(ex):
    assert "error" not in ex.result, ex.result.get("error")
    return ex.result


# -- places -------------------------------------------------------------------------------

def test_places_zone_radius_changes_ranked_areas(places):
    places.set(zone_radius_m=400, zone_days=7, layers=tuple(LAYERS))
    before = _ok(places)["ranked"].set_index("area_id")["value"]
    n = places.n_analyses
    places.controls["zone_radius_m"].value = 1000
    after = _ok(places)["ranked"].set_index("area_id")["value"]
    assert places.n_analyses == n + 1
    assert places.result["places"].exposure.zones is not None
    common = before.index.intersection(after.index)
    assert len(common) >= 3
    assert not np.allclose(before[common], after[common])  # the index uses the exposure dose
    # the dose per resident grows with the zone radius (a zone covers more residents)
    places.controls["zone_days"].value = 30
    assert places.n_analyses == n + 2
    assert _ok(places)["places"].dose["dose_per_resident_year"].sum() > 0


def test_places_date_range_changes_incidents_and_ranking(places, tiny_dataset):
    occ = tiny_dataset["incidents"]["occurred_at"]
    full = _ok(places)["n_incidents"]
    n_runs = places.n_analyses + 1  # the period below
    assert full == len(occ)
    places.set(start=dt.date(2024, 7, 1), end=dt.date(2024, 10, 1))
    r = _ok(places)
    inside = ((occ >= "2024-07-01 00:00-05:00") & (occ < "2024-10-01 00:00-05:00")).sum()
    assert r["n_incidents"] == inside < full
    assert r["period"] == ("2024-07-01", "2024-10-01")
    assert r["places"].incidents["occurred_at"].min() >= occ.min()
    # an empty period is refused with a message in the status line: nothing changes, no traceback
    n = places.n_updates
    places.set(start=dt.date(2024, 10, 1), end=dt.date(2024, 7, 1))
    assert isinstance(places.result["error"], ValueError)
    assert "period is empty" in places.status.value and places.n_updates == n
    assert places.controls["start"].value == dt.date(2024, 7, 1) and not places.log.outputs
    # the same period typed into the widget: the message, no analysis, no traceback
    places.controls["start"].value = dt.date(2024, 12, 1)
    assert "Cannot show this: the period is empty" in places.status.value and not places.log.outputs
    assert places.n_analyses == n_runs
    places.controls["start"].value = dt.date(2024, 7, 1)
    places.set(start=occ.min().date(), end=occ.max().date() + dt.timedelta(days=1))
    assert _ok(places)["n_incidents"] == full


def test_places_tables_are_the_places_pages(places, tiny_dataset):
    """Same settings, same numbers: the explorer's ranked areas and readings are page 01's."""
    from workbench.sections import places as pl

    occ = tiny_dataset["incidents"]["occurred_at"]
    places.set(start=occ.min().date(), end=occ.max().date() + dt.timedelta(days=1), zone_radius_m=600,
               zone_days=14)
    r = _ok(places)
    res = pl.analyze_places(tiny_dataset, r["period"][0], r["period"][1], zone_radius_m=600, zone_days=14,
                            min_count=places.min_count, **places.analysis)
    ranked = pl.ranked_areas(res, tiny_dataset["areas"], places.min_count)
    assert r["ranked"].equals(ranked)
    said = pl.readings(res, places.min_count)
    assert r["readings"] == said["knox"] + said["hotspots"] + said["exposure"] + said["areas"]
    shown = places.outputs["ranked_table"].value
    assert "area_id" not in shown and str(ranked["measure"].iloc[0]) in shown  # the page's ranked_table


def test_places_layers_redraw_map_without_recomputing(places):
    places.set(layers=tuple(LAYERS), mode="researcher")
    n = places.n_analyses
    full_html = _ok(places)["map_html"]
    places.controls["layers"].value = ("density",)
    only_kde = _ok(places)["map_html"]
    places.controls["layers"].value = ()
    bare = _ok(places)["map_html"]
    assert places.n_analyses == n  # cached analysis: only the map changed
    assert len(bare) < len(only_kde) < len(full_html)
    assert places.outputs["map"].value == bare
    places.controls["mode"].value = "policy"
    assert _ok(places)["map_html"] != bare


# -- follow-ups ---------------------------------------------------------------------------

def test_followups_service_filter_changes_km_and_cox(followups):
    followups.set(service="all", provider="all", responder_type="all", compare="service")
    t = followups.table
    all_row = _ok(followups)["medians"].iloc[0]
    assert all_row["group"] == "all" and all_row["n"] == len(t)
    assert set(followups.result["medians"]["group"]) > {"all"}
    assert followups.result["km_by"].by == "service"
    svc = t["service"].value_counts().index[0]
    followups.controls["service"].value = svc
    r = _ok(followups)
    assert (r["table"]["service"] == svc).all()
    one = r["medians"].iloc[0]
    assert one["n"] == (t["service"] == svc).sum() < all_row["n"]
    assert one["events"] == t.loc[t["service"] == svc, "engaged"].sum()
    assert one["median"] != all_row["median"]
    if r["cox"] is not None:  # service fixed by the filter: not a covariate any more
        assert not r["cox_table"]["column"].str.startswith("service[").any()
        assert r["cox_table"]["column"].str.startswith("provider[").any() or len(r["cox_table"])


def test_followups_provider_and_responder_filters(followups):
    followups.set(service="all", provider="all", responder_type="all", compare="responder_type")
    base = _ok(followups)
    assert base["cox"] is not None
    hr_all = base["cox_table"].set_index("column")["hazard_ratio"]
    assert base["km_by"].by == "responder_type"
    t = followups.table
    rt = t["responder_type"].value_counts().index[0]
    followups.set(responder_type=rt, compare="provider")
    r = _ok(followups)
    assert r["medians"].iloc[0]["n"] == (t["responder_type"] == rt).sum()
    assert r["km_item"].key == "km_provider"
    if r["km_by"] is None:  # the page's rule: fewer than two providers with min_count referrals, no comparison
        assert not r["km_item"].available and "fewer than two provider groups" in r["km_item"].readings[0]
        assert "fewer than two provider groups" in followups.outputs["medians"].value
    else:
        assert r["km_by"].by == "provider"
    if r["cox"] is not None:
        hr = r["cox_table"].set_index("column")["hazard_ratio"]
        assert not hr.index.str.startswith("responder_type[").any()
        shared = hr.index.intersection(hr_all.index)
        assert not np.allclose(hr[shared], hr_all[shared])
    prov = t["provider"].value_counts().index[0]
    followups.set(responder_type="all", provider=prov, compare="none")
    r = _ok(followups)
    assert r["km_by"] is None and list(r["medians"]["group"]) == ["all"]
    assert r["medians"].iloc[0]["n"] == (t["provider"] == prov).sum()
    assert "Median days" in followups.outputs["medians"].value


def test_followups_tables_are_the_response_pages(followups, tiny_dataset):
    """Every filter on "all": the explorer's items are page 03's items (same tables, readings, chart
    input), and a grouping with more than KEEP_GROUPS groups is pooled into "other" as on the page."""
    from workbench.sections import response as sr

    followups.set(service="all", provider="all", responder_type="all", compare="provider")
    r = _ok(followups)
    page = sr.response_section(tiny_dataset, min_count=followups.min_count)
    eng = sr.engagement_section(page)
    page_items = {i.key: i for i in [*sr.km_items(eng), *sr.cox_items(eng)]}
    assert set(r["items"]) == set(page_items)
    for key, item in page_items.items():
        mine = r["items"][key]
        assert mine.available == item.available and mine.readings == item.readings, key
        assert mine.table.equals(item.table), key
    # counts are suppressed: no engaged count 1..10 is shown as a number
    marker = "<11"
    shown = r["km_item"].table
    assert (shown["engaged"] == marker).any()
    assert not shown["engaged"].isin([str(k) for k in range(1, 11)]).any()
    # 14 providers on the tiny city: the chart draws the 8 largest and one "other" curve, as the page
    n_prov = followups.table["provider"].nunique()
    assert n_prov > sr.KEEP_GROUPS
    full, chart, pooled = sr.grouped_km(followups.table, "provider", followups.min_count, ticks=eng.ticks)
    drawn = r["km_item"].figure["km"]["km"]
    assert len(pooled) == n_prov - sr.KEEP_GROUPS
    assert drawn.medians.equals(chart.medians)
    assert any(str(g).startswith("other (") for g in drawn.medians["group"])
    assert any("pools the other" in s for s in r["km_item"].readings)
    assert "pools the other" in followups.outputs["medians"].value


def test_followups_refuse_impossible_values(followups, tiny_dataset):
    followups.set(service="all", provider="all", responder_type="all", compare="service")
    n = followups.n_updates
    followups.set(service="no such service")
    assert isinstance(followups.result["error"], ValueError) and "not among the choices" in followups.status.value
    assert followups.n_updates == n and followups.controls["service"].value == "all"
    followups.set(compare="age")
    assert "not among the choices" in followups.status.value
    followups.set(compare="service")
    _ok(followups)
    # a combination of filters no referral has: a message, no traceback, nothing changed
    t = followups.table
    pairs = set(zip(t["service"].astype(str), t["provider"].astype(str)))
    svc, prov = next((s_, p_) for s_ in sorted(t["service"].astype(str).unique())
                     for p_ in sorted(t["provider"].astype(str).unique()) if (s_, p_) not in pairs)
    followups.set(service=svc, provider=prov)
    assert "no referral has" in followups.status.value and not followups.log.outputs
    assert followups.controls["service"].value == "all"
    followups.controls["service"].value = svc
    followups.controls["provider"].value = prov
    assert "Cannot show this: no referral has" in followups.status.value and not followups.log.outputs
    followups.set(service="all", provider="all")
    _ok(followups)
    for bad in (-7, 0, float("nan")):
        with pytest.raises(ValueError, match="window_days .* impossible: give a positive number of days"):
            FollowupExplorer(tiny_dataset, window_days=bad, plots=False)
    with pytest.raises(ValueError, match="lost_after_days"):
        FollowupExplorer(tiny_dataset, lost_after_days=-1, plots=False)
    with pytest.raises(ValueError, match="compare"):
        FollowupExplorer(tiny_dataset, compare="age", plots=False)


def test_followups_draws_figures(tiny_dataset):
    ex = FollowupExplorer(tiny_dataset, compare="none")
    km = bytes(ex.outputs["km"].value)
    assert km.startswith(PNG) and bytes(ex.outputs["hazard_ratios"].value).startswith(PNG)
    ex.controls["service"].value = ex.table["service"].value_counts().index[0]
    assert bytes(ex.outputs["km"].value).startswith(PNG) and bytes(ex.outputs["km"].value) != km
    assert isinstance(ex.widget, ipywidgets.VBox)


# -- people -------------------------------------------------------------------------------

def test_people_list_size_changes_evaluation_and_audit(people):
    people.set(list_size_pct=1.0, model="contagion")
    ev1 = _ok(people)["evaluation"].set_index("model")
    sel1 = people.result["audit"].set_index(["attribute", "group"])["n_selected"]
    n = people.n_evaluations
    people.controls["list_size_pct"].value = 10.0
    ev2 = _ok(people)["evaluation"].set_index("model")
    sel2 = people.result["audit"].set_index(["attribute", "group"])["n_selected"]
    assert people.n_evaluations == n + 1  # the page's forward evaluation at the new list size
    people.controls["list_size_pct"].value = 1.0
    assert people.n_evaluations == n + 1  # cached
    people.controls["list_size_pct"].value = 10.0
    n_ranked = ev1["n_people"].iloc[0]
    assert (ev1["k"] == np.ceil(0.01 * n_ranked)).all() and (ev2["k"] == np.ceil(0.10 * n_ranked)).all()
    assert (ev2["captured"] >= ev1["captured"]).all() and (ev2["captured"] > ev1["captured"]).any()
    assert (ev2["auc"] == ev1["auc"]).all()  # the ranking itself did not change
    assert sel2.sum() > sel1.sum()
    assert len(people.result["flagged"]) == ev2.loc["contagion", "k"]


def test_people_tables_are_the_people_pages(people, tiny_dataset):
    """At a cutoff, the explorer's items are page 02's items computed as of that cutoff: network
    summary, exposure, contagion, the table of lists, calibration and the audit (privacy-applied)."""
    from workbench.sections import people as sp

    people.set(list_size_pct=5.0, model="contagion")
    r = _ok(people)
    c, h = r["cutoff"], r["horizon_days"]
    sec = sp.people_section(tiny_dataset, people.min_count, as_of=c)
    page = {i.key: i for i in [*sp.contagion_items(sec, n_boot=0),
                               *sp.forward_items(sec, cutoffs=[c], horizon_days=h, top_share=0.05,
                                                 top_k=people.top_k, researcher_mode=True)]}
    page.update({k: sec.item(k) for k in ("network", "exposure")})
    for key in ("network", "exposure", "contagion", "forward", "calibration", "audit"):
        mine = r["items"][key]
        assert mine.available and mine.readings == page[key].readings, key
        assert mine.table.equals(page[key].table), key
    assert r["items"]["exposure"].figure["counts"].equals(page["exposure"].figure["counts"])
    # the network count column is the page's suppressed one; the audit hides small counts and their ratios
    assert list(r["items"]["network"].table["measure"])[0] == "people (arrested or shot)"
    view = r["audit_view"]
    marker = "<11"
    assert (view["victims on the list"] == marker).any()
    hidden = view["victims on the list"] == marker
    assert (view.loc[hidden, "capture ratio"] == "–").all()
    assert "Contagion" in people.outputs["contagion"].value and "co-arrest network" in people.outputs["network"].value
    # another model's audit goes through the same rule (audit_view) and says whose list it is
    people.controls["model"].value = "demographics"
    r = _ok(people)
    a = r["items"]["audit"]
    view, _ = sp.audit_view(r["audit"], people.min_count)
    assert a.table.equals(view) and r["audit"]["model"].eq("demographics").all()
    assert "Demographics" in a.readings[0]
    people.controls["model"].value = "contagion"


def test_people_policy_mode_keeps_no_person_rows(tiny_dataset):
    ex = PeopleExplorer(tiny_dataset, plots=False, researcher_mode=False, horizon_days=90)
    r = _ok(ex)
    assert r["flagged"] is None and not r["rolling"].lists_
    assert "researcher mode is off" in ex.outputs["flagged"].value
    ids = set(tiny_dataset["people"]["person_id"].astype(str))
    shown = " ".join(o.value for o in ex.outputs.values() if isinstance(o.value, str))
    assert not any(f">{i}<" in shown for i in list(ids)[:200])


def test_people_refuse_impossible_values(people, tiny_dataset):
    people.set(list_size_pct=5.0)
    n = people.n_updates
    for bad in (0, -1.0, 150.0):
        people.set(list_size_pct=bad)
        assert isinstance(people.result["error"], ValueError) and "list_size_pct" in people.status.value
        assert people.controls["list_size_pct"].value == 5.0 and people.n_updates == n
    people.set(horizon_days=-30)
    assert "not among the choices" in people.status.value
    people.set(list_size_pct=5.0)
    _ok(people)
    for kwargs, match in [({"list_size_pct": 0}, "list_size_pct = 0 is impossible"),
                          ({"list_size_pct": 101}, "at most 100"),
                          ({"top_k": -5}, "top_k"), ({"min_group_size": 0}, "min_group_size"),
                          ({"bound": (1.2, 0.8)}, "bound"), ({"horizon_days": -90}, "horizon_days"),
                          ({"model": "astrology"}, "model")]:
        with pytest.raises(ValueError, match=match):
            PeopleExplorer(tiny_dataset, plots=False, **kwargs)


def test_people_cutoff_changes_evaluation(people, tiny_dataset):
    people.set(list_size_pct=5.0)
    opts = people.controls["cutoff"].options
    assert len(opts) >= 2
    people.controls["cutoff"].value = opts[-1]
    last = _ok(people)
    n = people.n_evaluations
    people.controls["cutoff"].value = opts[0]
    first = _ok(people)
    assert people.n_evaluations == n + 1
    assert f"{first['cutoff']:%Y-%m-%d}" == opts[0]
    assert not first["evaluation"][["n_people", "n_victims"]].equals(last["evaluation"][["n_people", "n_victims"]])
    people.controls["cutoff"].value = opts[-1]  # cached: no refit
    assert people.n_evaluations == n + 1
    # audited model switch and pseudonymous ids only
    people.controls["model"].value = "demographics"
    assert people.result["model"] == "demographics"
    assert set(people.result["flagged"].index) <= set(tiny_dataset["people"]["person_id"].astype(str))


def test_people_horizon_updates_cutoff_choices(people):
    horizons = list(people.controls["horizon_days"].options)
    other = [h for h in horizons if h != people.controls["horizon_days"].value]
    assert other
    h = min(other)
    people.controls["horizon_days"].value = h
    r = _ok(people)
    assert r["horizon_days"] == h
    assert f"{r['cutoff']:%Y-%m-%d}" in people.controls["cutoff"].options


def test_explorers_need_their_tables(tiny_dataset):
    from workbench.data import Dataset

    def without(*names):
        tables = {k: v for k, v in tiny_dataset.tables.items() if k not in names}
        return Dataset(tables=tables, timezone=tiny_dataset.timezone, crs=tiny_dataset.crs, name="cut")

    with pytest.raises(ValueError, match="responses and referrals"):
        FollowupExplorer(without("referrals"), plots=False)
    with pytest.raises(ValueError, match="victimizations"):
        PeopleExplorer(without("victimizations"), plots=False)


# -- notebook -----------------------------------------------------------------------------

def test_explore_notebook_is_valid_without_parameters():
    """Plain JSON checks (nbformat's validator costs seconds of jsonschema imports)."""
    nb = json.loads((REPO_ROOT / "notebooks" / "explore.ipynb").read_text())
    assert nb["nbformat"] == 4 and isinstance(nb["metadata"], dict)
    cells = nb["cells"]
    assert all(c["cell_type"] in {"code", "markdown"} and "source" in c for c in cells)
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code, "no code cells"
    assert all("parameters" not in c.get("metadata", {}).get("tags", []) for c in cells)
    first = "".join(code[0]["source"])
    assert "Dataset.from_folder" in first  # the first cell loads data itself: nothing injected
    src = "\n".join("".join(c["source"]) for c in code)
    for name in ("PlacesExplorer", "FollowupExplorer", "PeopleExplorer"):
        assert name in src
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)  # committed clean


def test_places_refuses_impossible_values_in_the_widget(places):
    """A negative radius is refused with a message in the widget, not clamped to the slider's minimum."""
    places.set(zone_radius_m=400, zone_days=7)
    n = places.n_updates
    places.set(zone_radius_m=-50)
    assert isinstance(places.result["error"], ValueError)
    assert "zone_radius_m" in places.status.value and "100 to 1500" in places.status.value
    assert places.controls["zone_radius_m"].value == 400  # unchanged
    assert places.n_updates == n  # nothing recomputed
    places.set(layers=("no such layer",))
    assert "not among the choices" in places.status.value
    places.set(zone_radius_m=400)
    _ok(places)
    with pytest.raises(ValueError, match="zone_days"):
        PlacesExplorer(places.dataset, zone_days=0, plots=False)


def test_explorer_warnings_are_shown_not_hidden(places):
    import warnings as _w

    original = places._compute

    def noisy(values):
        _w.warn("the <b>fit</b> did not converge", RuntimeWarning)
        return original(values)

    places._compute = noisy
    try:
        places.update()
    finally:
        del places._compute
    assert places.result["warnings"] == ["RuntimeWarning: the <b>fit</b> did not converge"]
    assert "&lt;b&gt;fit&lt;/b&gt;" in places.status.value


def test_places_explorer_speaks_the_datasets_distance_unit(tiny_dataset):
    """Distances in feet for a feet dataset: the radius beside the slider, the map's cell layer;
    the page's readings come with the result; a negative radius is still refused, in both units."""
    from workbench.data import Dataset

    ds = Dataset(tables=tiny_dataset.tables, timezone=tiny_dataset.timezone, crs=tiny_dataset.crs, name="ft",
                 distance_unit="ft")
    ex = PlacesExplorer(ds, plots=False, permutations=9, cell_m=152.4, zone_radius_m=400)
    r = _ok(ex)
    assert ex.radius_label.value == "1,300 ft" and "(m)" not in ex.controls["zone_radius_m"].description
    assert "Incidents per 500 ft cell" in r["map_html"]
    assert r["readings"] and any("ft" in s for s in r["readings"] if "zone" in s or "within" in s)
    ex.controls["zone_radius_m"].value = 500
    assert ex.radius_label.value == "1,600 ft"
    ex.set(zone_radius_m=-50)
    assert isinstance(ex.result["error"], ValueError) and "100 to 1500" in ex.status.value
    with pytest.raises(ValueError, match="330 ft to 4,900 ft"):
        PlacesExplorer(ds, zone_radius_m=-5, plots=False)
