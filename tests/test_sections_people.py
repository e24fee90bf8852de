"""The people page's section (:mod:`workbench.sections.people`): values against the analyses, privacy, skips."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from workbench.data import Dataset
from workbench.formatting import MISSING
from workbench.network import graph_summary, network_exposure
from workbench.privacy import HIDDEN_TOTAL, enough, suppressed_mask
from workbench.sections.people import (FIT_ERRORS, audit_view, contagion_items, exposure_counts, forward_items,
                                       people_section)
from workbench.synth import generate_city

MC = 11
SEEDS = [20261125, 3, 7]  # the tests' tiny city (conftest.SEED) and two more
FORWARD = dict(horizon_days=60, n_cutoffs=4, refit_months=2, min_group_size=10)


def _section(seed: int, forward: bool = True, researcher_mode: bool = False):
    ds = generate_city("tiny", seed=seed).dataset
    sec = people_section(ds, MC)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        contagion_items(sec, n_boot=0)
        if forward:
            forward_items(sec, researcher_mode=researcher_mode, **FORWARD)
    return ds, sec


@pytest.fixture(scope="module", params=SEEDS)
def city(request):
    return _section(request.param)


def _count(cell: object) -> float:
    """A shown count back to a number (NaN for a hidden one)."""
    return float(str(cell).replace(",", "")) if re.fullmatch(r"[\d,]+", str(cell)) else np.nan


def test_network_table_equals_graph_summary(city):
    ds, sec = city
    assert sec.ok and sec.as_of == sec.data_end.end
    summ = graph_summary(sec.graph, victims=sec.events["person_id"])
    want = [summ[k] for k in ("n_people", "n_connected", "n_ties", "n_components", "largest_component_size",
                              "n_victims")]
    shown = sec.item("network").table["count"].tolist()
    for cell, n in zip(shown, want):
        assert cell == (f"<{MC}" if 0 < n < MC else f"{int(n):,}")
    assert f"({int(summ['n_people']):,} people)" in sec.intro
    assert f"**{100 * summ['share_victims_in_network']:.1f}%**" in sec.item("network").readings[1]


def test_exposure_counts_are_the_binned_exposure(city):
    _, sec = city
    ex = network_exposure(sec.graph, sec.events, sec.as_of, window_days=365, contacts_2=False)
    counts = sec.item("exposure").figure["counts"]
    assert counts.index.tolist() == ["0", "1", "2", "3+"]
    assert counts.sum().tolist() == [len(ex), len(ex)]
    assert counts.loc["0", "n_victims_1"] == (ex["n_victims_1"] == 0).sum()
    assert counts.loc["3+", "n_victims_2"] == (ex["n_victims_2"] >= 3).sum()
    e1 = int((ex["n_victims_1"] > 0).sum())
    assert sec.item("exposure").readings[0].startswith(f"{e1:,} people" if e1 >= MC else f"fewer than {MC}")


def test_contagion_table_shows_the_fit_per_year(city):
    _, sec = city
    item = sec.item("contagion")
    if sec.fit is None:  # a city too sparse for the model: said, with the reason
        assert not item.available and item.readings
        return
    fit = sec.fit
    tab = item.table.set_index("parameter")
    mu_year = float(tab.loc["background rate (per person per year)", "estimate"].replace(",", ""))
    assert mu_year == pytest.approx(365.25 * fit.params_["mu0"], abs=1e-4)
    assert (tab["lower"] == MISSING).all()  # n_boot=0: no intervals
    share = f"**{100 * fit.contagion_share_:.1f}%**"
    assert share in item.readings[1] and "95% interval" not in item.readings[1]
    casc = int((fit.cascades_["size"] >= 2).sum())
    assert (f"**{casc:,}** cascades" if casc >= MC else f"**fewer than {MC}** cascades") in item.readings[2]
    cascade = sec.item("cascade")
    if cascade.available:
        nodes = cascade.figure["nodes"]
        assert set(nodes["label"]) <= {chr(65 + i) for i in range(26)} and nodes["day"].min() == 0
        assert not set(nodes["label"]) & set(fit.events_["person_id"])


def test_forward_table_hides_shares_next_to_hidden_counts(city):
    _, sec = city
    rev = sec.evaluation
    item = sec.item("forward")
    assert rev is not None and item.available
    s = rev.summary_
    t = item.table
    assert t["list"].tolist() == s["label"].tolist()
    small = suppressed_mask(s["captured"], MC)
    assert (t["in top 1%"].eq(f"<{MC}").to_numpy() == small).all()
    assert (t.loc[small, "share in top 1%"] == MISSING).all() and (t.loc[small, "precision"] == MISSING).all()
    for cell, n in zip(t["victims (all windows)"], s["n_victims"]):
        assert _count(cell) == n or cell == f"<{MC}"
    if "capture" in item.figure:  # the chart hides the same shares
        fig = item.figure["capture"]["summary"]
        assert fig["share_captured"].isna().to_numpy().tolist() == (~enough(s["captured"], MC)).tolist()
    if "over_time" in item.figure:
        ev = rev.evaluation_.reset_index(drop=True)
        shown = item.figure["over_time"]["evaluation"].reset_index(drop=True)
        assert shown["share_captured"].isna().to_numpy()[suppressed_mask(ev["captured"], MC)].all()


def test_calibration_leaves_out_hidden_deciles(city):
    _, sec = city
    item = sec.item("calibration")
    if not item.available:
        assert item.readings == ["Calibration: not available for these data."]
        return
    cal = item.figure["calibration"]
    assert not suppressed_mask(cal["n_outcome"], MC).any()
    assert len(cal) == (~suppressed_mask(sec.evaluation.calibration_["n_outcome"], MC)).sum()


def test_audit_view_hides_ratios_next_to_hidden_counts(city):
    _, sec = city
    item = sec.item("audit")
    a = sec.evaluation.audit_
    a = a.loc[a["model"] == "contagion"].reset_index(drop=True)
    view = item.table
    assert len(view) == len(a) and item.figure["audit"] is not None
    hidden = {c: view[c].isin([f"<{MC}", HIDDEN_TOTAL]).to_numpy()
              for c in ("people ranked", "on the list", "victims", "victims on the list")}
    # primary suppression exactly where the count is 1..10
    for col, raw in (("on the list", "n_selected"), ("victims", "n_outcome"), ("victims on the list", "tp")):
        assert (view[col].eq(f"<{MC}").to_numpy() == suppressed_mask(a[raw], MC)).all()
    # ratios next to hidden counts are blank
    assert (view.loc[hidden["on the list"], "selection ratio"] == MISSING).all()
    assert (view.loc[hidden["victims on the list"] | hidden["victims"], "capture ratio"] == MISSING).all()
    assert (view.loc[hidden["victims on the list"] | hidden["on the list"], "precision ratio"] == MISSING).all()
    assert (view.loc[hidden["victims"], "calibration (observed/predicted)"] == MISSING).all()
    assert (view.loc[suppressed_mask(a["fp"], MC), "false positive ratio"] == MISSING).all()
    # a shown ratio is the audit's own
    ok = view["selection ratio"] != MISSING
    assert np.allclose(view.loc[ok, "selection ratio"].astype(float), a.loc[ok, "selection_rate_ratio"], atol=0.005)
    # no hidden group count can be worked out from the "all" row: never exactly one hidden group
    # with the total shown
    for attr, rows in view.groupby("attribute"):
        groups, total = rows.loc[rows["group"] != "all"], rows.loc[rows["group"] == "all"]
        for col in hidden:
            if groups[col].isin([f"<{MC}", HIDDEN_TOTAL]).sum() == 1:
                assert total[col].isin([f"<{MC}", HIDDEN_TOTAL]).all(), (attr, col)
    # a flag is named only where its ratio is shown
    for flags, sel in zip(view["flagged"], view["selection ratio"]):
        if "selection rate" in flags:
            assert sel != MISSING


def test_audit_view_complementary_cell():
    audit = pd.DataFrame({
        "attribute": ["sex"] * 3, "group": ["female", "male", "all"], "n": [200, 300, 500],
        "n_selected": [4, 40, 44], "n_outcome": [20, 30, 50], "tp": [0, 12, 12], "fp": [4, 28, 32],
        "selection_rate_ratio": [0.23, 1.5, 1.0], "capture_rate_ratio": [0.0, 1.6, 1.0],
        "precision_ratio": [0.0, 1.1, 1.0], "false_positive_rate_ratio": [0.3, 1.4, 1.0],
        "calibration": [1.0, 1.0, 1.0], "reliable": [True, True, True],
        "flags": ["selection_rate,false_positive_rate", "selection_rate", ""]})
    view, shown = audit_view(audit, MC)
    assert view["on the list"].tolist() == [f"<{MC}", HIDDEN_TOTAL, "44"]  # 44 - 40 would give the 4 away
    assert view["selection ratio"].tolist() == [MISSING, MISSING, "1.00"]
    assert view["false positive ratio"].tolist() == [MISSING, "1.40", "1.00"]
    assert view["flagged"].tolist() == ["", "", ""]  # the hidden ratios' flags are not named
    assert shown["selection_rate_ratio"].isna().tolist() == [True, True, False]


def test_policy_section_holds_no_person_level_row(city):
    ds, sec = city
    item = sec.item("risk_list")
    assert item.table.empty and "researcher mode is off" in item.readings[0]
    assert sec.evaluation.lists_ == {}
    ids = set(ds["people"]["person_id"].astype(str))
    text = str(sec.to_json()) + sec.intro
    assert not ids & set(re.findall(r"[A-Za-z0-9_\-]+", text))


def test_researcher_mode_shows_the_list():
    ds, sec = _section(SEEDS[0], researcher_mode=True)
    item = sec.item("risk_list")
    assert item.available and len(item.table) == 50 and "person_id" in item.table
    assert set(item.table["person_id"]) <= set(ds["people"]["person_id"])
    assert item.readings[0].startswith("RiskList(model='contagion'")
    assert "risk_list" not in {i["key"] for i in sec.to_json()["items"]}


def test_skipped_without_arrests():
    ds = generate_city("tiny", seed=SEEDS[0]).dataset
    tables = {k: v for k, v in ds.tables.items() if k != "arrests"}
    sec = people_section(Dataset(tables=tables, timezone=ds.timezone, crs=ds.crs, name="x"), MC)
    assert not sec.ok and "no arrest records" in sec.intro and "skipped" in sec.intro
    assert contagion_items(sec)[0] is sec.item("contagion") and sec.fit is None
    forward_items(sec)
    for key in ("network", "exposure", "contagion", "cascade", "forward", "calibration", "audit", "risk_list"):
        assert not sec.item(key).available and sec.item(key).readings == []  # the intro says it once
    assert sec.item("who").available and sec.item("who").readings  # victims are still described


def test_missing_forward_evaluation_shares_one_notice():
    _, sec = _section(SEEDS[0], forward=False)
    forward_items(sec, horizon_days=5000)
    said = sec.item("forward").readings
    assert said[0] == "The data are too short for a forward evaluation with a 5000-day window."
    assert said[1].startswith("Without the forward evaluation, the calibration, fairness audit and risk list")
    for key in ("calibration", "audit", "risk_list"):
        assert not sec.item(key).available and sec.item(key).readings == []


def test_a_failed_fit_says_why(monkeypatch):
    from workbench.network import NetworkHawkes

    ds = generate_city("tiny", seed=SEEDS[0]).dataset
    sec = people_section(ds, MC)

    def singular(self, *a, **k):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(NetworkHawkes, "fit", singular)
    contagion_items(sec)
    assert sec.item("contagion").readings[0] == "The contagion model could not be fitted: Singular matrix"
    assert not sec.item("cascade").available
    assert np.linalg.LinAlgError in FIT_ERRORS

    def broken(*a, **k):
        raise ValueError("no cutoff leaves a complete prediction window inside the data")

    monkeypatch.setattr("workbench.network.rolling_evaluation", broken)
    forward_items(sec, **FORWARD)
    assert sec.item("forward").readings[0] == ("The forward evaluation could not be run on these data (ValueError): "
                                               "no cutoff leaves a complete prediction window inside the data")


def test_exposure_counts_cap():
    ex = pd.DataFrame({"n_victims_1": [0, 0, 1, 5], "n_victims_2": [0, 2, 3, 3]})
    c = exposure_counts(ex, max_count=2)
    assert c.to_dict("list") == {"n_victims_1": [2, 1, 1], "n_victims_2": [1, 0, 3]}


def test_forward_figures_with_a_low_threshold():
    """With a threshold of 2 the tiny city's lists capture enough victims to draw: the inputs are
    aggregates, with every share whose count is hidden set to NaN."""
    ds = generate_city("tiny", seed=SEEDS[0]).dataset
    sec = people_section(ds, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        forward_items(sec, **FORWARD)
    rev, fig = sec.evaluation, sec.item("forward").figure
    assert set(fig) == {"capture", "over_time"}
    cap = fig["capture"]["summary"]
    assert cap["share_captured"].isna().tolist() == (~enough(rev.summary_["captured"], 2)).tolist()
    over = fig["over_time"]["evaluation"]
    assert list(over.columns) == ["model", "cutoff", "share_captured"]
    ev = rev.evaluation_
    keep = ~suppressed_mask(ev["captured"], 2)
    assert np.allclose(over["share_captured"].to_numpy()[keep], ev["share_captured"].to_numpy()[keep])
