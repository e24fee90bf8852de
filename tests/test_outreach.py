"""workbench.outreach on the tiny city: past victims, counts, unserved trend, priority list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import outreach as O


@pytest.fixture(scope="module")
def past(synthetic_tiny):
    return O.past_victims(synthetic_tiny.dataset, synthetic_tiny.truth["period"]["program_start"])


def test_past_victims_definition(synthetic_tiny, past):
    ds = synthetic_tiny.dataset
    start = pd.Timestamp(synthetic_tiny.truth["period"]["program_start"])
    v = ds["victimizations"].merge(ds["incidents"][["incident_id", "occurred_at"]], on="incident_id")
    killed = set(v.loc[v["fatal"], "person_id"])
    first = v.groupby("person_id")["occurred_at"].min()
    referred = set(ds["referrals"]["person_id"])
    expected = {p for p, t in first.items() if p not in killed and (t < start or p not in referred)}
    assert set(past["person_id"]) == expected
    assert past["person_id"].is_unique
    # nobody shot before the program was served by co-responders at that shooting
    hist = past[past["before_program"]]
    assert (hist["referred"] <= hist["shot_since_start"]).all()
    assert (past["days_since_last"] >= 0).all()
    assert past["area_id"].isin(ds["areas"]["area_id"]).all()
    assert (past["revictimized"] == (past["victimizations"] > 1)).all()


def test_counts_add_up(past):
    for by in ("area", "year", "years_since"):
        c = O.past_victim_counts(past, by)
        assert c["past_victims"].sum() == len(past)
        assert c["unserved"].sum() == (~past["referred"]).sum()
        assert c["revictimized"].sum() == past["revictimized"].sum()
    area = O.past_victim_counts(past, "area")
    assert area["past_victims"].is_monotonic_decreasing
    assert list(O.past_victim_counts(past, "years_since")["group"]) == sorted(
        O.past_victim_counts(past, "years_since")["group"], key=["under 1 year", "1-2 years", "2-5 years",
                                                                 "5+ years"].index)
    with pytest.raises(ValueError):
        O.past_victim_counts(past, "person")


def test_unserved_trend(synthetic_tiny, past):
    tr = O.unserved_trend(synthetic_tiny.dataset, past)
    assert (tr["past_victims"] == past["before_program"].sum()).all()
    assert (tr["served"] + tr["unserved"] == tr["past_victims"]).all()
    assert tr["unserved"].is_monotonic_decreasing
    assert tr["served"].iloc[-1] == past.loc[past["before_program"], "referred"].sum()
    assert tr["period"].iloc[-1] == past.attrs["as_of"]


def test_outreach_priority_ranks_by_risk(synthetic_tiny, past):
    pri = O.outreach_priority(synthetic_tiny.dataset, past, horizon_days=365)
    assert len(pri) == len(past) and set(pri["person_id"]) == set(past["person_id"])
    r = pri["risk"].to_numpy()
    assert np.isfinite(r).all() and ((r >= 0) & (r <= 1)).all()
    assert (np.diff(r) <= 1e-12).all() and list(pri["rank"]) == list(range(1, len(pri) + 1))
    assert (pri["contacts_shot_past_year"] >= 0).all() and (pri["area_shootings_past_year"] >= 0).all()
    # network exposure is in the model, not only shown beside it
    assert pri.attrs["covariates"] == list(O.RISK_COVARIATES)
    assert [h["covariate"] for h in pri.attrs["hazard_ratios"]] == list(O.RISK_COVARIATES)
    # time-varying network exposure: same people, same current inputs, another fit
    tv = O.outreach_priority(synthetic_tiny.dataset, past, horizon_days=365, exposure="time_varying")
    assert tv.attrs["exposure"] == "time_varying" and tv.attrs["covariates"] == list(O.RISK_COVARIATES)
    assert set(tv["person_id"]) == set(pri["person_id"]) and np.isfinite(tv["risk"]).all()
    key = ["contacts_shot_past_year", "area_shootings_past_year"]
    pd.testing.assert_frame_equal(tv.set_index("person_id")[key].sort_index(),
                                  pri.set_index("person_id")[key].sort_index())
    with pytest.raises(ValueError, match="exposure"):
        O.outreach_priority(synthetic_tiny.dataset, past, exposure="current")
    # a longer horizon never lowers anyone's risk
    longer = O.outreach_priority(synthetic_tiny.dataset, past, horizon_days=730).set_index("person_id")["risk"]
    assert (longer.loc[pri["person_id"]].to_numpy() >= r - 1e-12).all()


def test_exposure_columns_are_the_model_inputs_at_as_of(synthetic_tiny):
    """The shown exposure is the model's covariate at as_of, checked against workbench.network and a
    direct count of shootings (same definition and 365-day window as at the index shooting)."""
    from workbench.network import coarrest_graph, network_exposure, victimization_events
    from workbench.response.tables import incident_areas

    ds = synthetic_tiny.dataset
    past = O.past_victims(ds, synthetic_tiny.truth["period"]["program_start"], "2024-10-01")
    as_of = past.attrs["as_of"]
    pri = O.outreach_priority(ds, past)
    ev = victimization_events(ds["victimizations"], ds["incidents"])
    exp = network_exposure(coarrest_graph(ds["arrests"], as_of=as_of), ev, as_of=as_of, window_days=365.0)
    want = pri["person_id"].map(exp["n_victims_1"]).fillna(0).to_numpy(float)
    np.testing.assert_array_equal(pri["contacts_shot_past_year"].to_numpy(float), want)
    assert want.sum() > 0
    inc = ds["incidents"].assign(area=incident_areas(ds).to_numpy())
    shot = inc[inc["incident_id"].isin(ds["victimizations"]["incident_id"])
               & (inc["occurred_at"] >= as_of - pd.Timedelta(days=365)) & (inc["occurred_at"] < as_of)]
    counts = shot["area"].value_counts()
    np.testing.assert_array_equal(pri["area_shootings_past_year"].to_numpy(),
                                  pri["shooting_area_id"].map(counts).fillna(0).to_numpy(int))
    # the shooting area is the area of the person's last shooting before as_of
    v = ev[ev["occurred_at"] < as_of].groupby("person_id")["incident_id"].last()
    last_area = v.map(pd.Series(incident_areas(ds).to_numpy(), index=ds["incidents"]["incident_id"]))
    assert (pri["shooting_area_id"].to_numpy() == pri["person_id"].map(last_area).to_numpy()).all()


def test_outreach_priority_uses_nothing_after_as_of(synthetic_tiny):
    """Cutting every table at as_of leaves the list unchanged: no look-ahead in fit or prediction."""
    from workbench.data.dataset import Dataset

    ds = synthetic_tiny.dataset
    start, as_of = synthetic_tiny.truth["period"]["program_start"], pd.Timestamp("2024-09-01", tz=ds.timezone)
    when = {"incidents": "occurred_at", "arrests": "arrested_at", "responses": "arrived_at",
            "referrals": "referred_at", "followups": "attempted_at", "patrols": "started_at"}
    tables = {k: (t[t[when[k]] <= as_of] if k in when else t) for k, t in ds.tables.items()}
    tables["victimizations"] = tables["victimizations"][
        tables["victimizations"]["incident_id"].isin(tables["incidents"]["incident_id"])]
    cut = Dataset(tables=tables, timezone=ds.timezone, crs=ds.crs, name="cut")
    full = O.outreach_priority(ds, O.past_victims(ds, start, as_of))
    part = O.outreach_priority(cut, O.past_victims(cut, start, as_of))
    assert len(full) > 20 and full.attrs["covariates"] == list(O.RISK_COVARIATES)
    pd.testing.assert_frame_equal(full, part)


def test_too_few_events_before_as_of_gives_no_risk(synthetic_tiny):
    # by 2024-07-01 the one-year tiny city has 3 re-victimizations: no model, risk NaN, list still complete
    past = O.past_victims(synthetic_tiny.dataset, synthetic_tiny.truth["period"]["program_start"], "2024-07-01")
    fit = O.fit_revictimization_risk(synthetic_tiny.dataset, "2024-07-01")
    assert fit.model is None and fit.events == 3 and fit.hazard_ratios().empty
    pri = O.outreach_priority(synthetic_tiny.dataset, past)
    assert len(pri) == len(past) and pri["risk"].isna().all() and pri.attrs["hazard_ratios"] == []


# -- network exposure at a date, by hand -------------------------------------------------------------


@pytest.fixture()
def net_frame():
    """A shot on 2021-01-01 (with E, co-arrested earlier). Co-arrestees: B (tie 2020-01, shot 2020-06: counts),
    C (shot 2020-07 but tied only 2021-06: not yet), D (tied 2020-02, shot 2019: outside the year),
    E (shot in A's own incident: not before it), F (tied 2021-07, shot 2021-03)."""
    from workbench.data.dataset import Dataset

    tz = "America/Chicago"
    ts = lambda *d: pd.to_datetime(list(d)).tz_localize(tz)
    incidents = pd.DataFrame({"incident_id": ["I0", "I1", "I2", "I3", "I4"],
                              "occurred_at": ts("2019-01-01", "2020-06-01", "2020-07-01", "2021-01-01", "2021-03-01"),
                              "lon": -87.6, "lat": 41.8, "kind": "nonfatal_shooting"})
    vict = pd.DataFrame({"incident_id": ["I0", "I1", "I2", "I3", "I3", "I4"],
                         "person_id": ["D", "B", "C", "A", "E", "F"], "fatal": False})
    arrests = pd.DataFrame({"arrest_id": ["R1", "R1", "R2", "R2", "R3", "R3", "R4", "R4", "R5", "R5"],
                            "person_id": ["A", "B", "A", "C", "A", "D", "A", "E", "A", "F"],
                            "arrested_at": ts(*["2020-01-01"] * 2, *["2021-06-01"] * 2, *["2020-02-01"] * 2,
                                              *["2020-03-01"] * 2, *["2021-07-01"] * 2),
                            "offense_category": "other"})
    people = pd.DataFrame({"person_id": list("ABCDEF"), "birth_year": 2000, "sex": "male",
                           "race_ethnicity": "black"})
    return Dataset(tables={"incidents": incidents, "victimizations": vict, "arrests": arrests, "people": people},
                   timezone=tz, crs="EPSG:32616", name="net-frame")


def test_contacts_shot_prior_year_by_hand(net_frame):
    from workbench.network import coarrest_graph, network_exposure, victimization_events
    from workbench.survival import revictimization_table
    from workbench.survival.revictimization import contacts_shot_before

    ds = net_frame
    rv = revictimization_table(ds).set_index("person_id")
    assert rv.loc["A", "contacts_shot_prior_year"] == 1  # B only
    assert rv.loc["A", "arrests_before"] == 3  # R1, R3, R4 (R2, R5 later)
    assert rv.loc["F", "contacts_shot_prior_year"] == 0  # tied to A only from 2021-07
    assert rv.loc["E", "contacts_shot_prior_year"] == 0  # A shot at the same instant, not before
    assert rv.loc["C", "contacts_shot_prior_year"] == 0  # no tie before 2020-07 (R2 is 2021-06)
    # at a later date: E (2021-01) and F (tied 2021-07, shot 2021-03) are in the year before 2021-08-01
    t = pd.Timestamp("2021-08-01", tz=ds.timezone)
    got = contacts_shot_before(ds, ["A", "B", "Z"], t)
    np.testing.assert_array_equal(got, [2.0, 1.0, 0.0])  # B: A shot 2021-01-01; Z: in no table
    ev = victimization_events(ds["victimizations"], ds["incidents"])
    exp = network_exposure(coarrest_graph(ds["arrests"], as_of=t), ev, as_of=t)["n_victims_1"]
    assert exp["A"] == 2 and exp["B"] == 1
    # one date per person, repeats allowed
    np.testing.assert_array_equal(
        contacts_shot_before(ds, ["A", "A"], pd.to_datetime(["2021-01-01", "2021-08-01"]).tz_localize(ds.timezone)),
        [1.0, 2.0])
    # a shorter window drops B (2020-06-01 is 214 days before 2021-01-01)
    assert contacts_shot_before(ds, ["A"], pd.Timestamp("2021-01-01", tz=ds.timezone), window_days=200)[0] == 0


@pytest.fixture()
def tv_frame(net_frame):
    """net_frame plus G (tied to A 2020-05, shot 2021-02 and 2021-09: one merged window), H (tied to A
    2020-05, shot with A at A's re-victimization 2022-03-01: not counted for it) and a second A-B arrest."""
    from workbench.data.dataset import Dataset

    ds = net_frame
    tz = ds.timezone
    ts = lambda *d: pd.to_datetime(list(d)).tz_localize(tz)
    inc = pd.concat([ds["incidents"], pd.DataFrame({
        "incident_id": ["I5", "I6", "I7", "I8"], "occurred_at": ts("2021-02-01", "2021-09-01", "2022-03-01", "2023-06-01"),
        "lon": -87.6, "lat": 41.8, "kind": "nonfatal_shooting"})], ignore_index=True)
    vict = pd.concat([ds["victimizations"], pd.DataFrame({
        "incident_id": ["I5", "I6", "I7", "I7", "I8"], "person_id": ["G", "G", "A", "H", "Z"], "fatal": False})],
        ignore_index=True)
    arrests = pd.concat([ds["arrests"], pd.DataFrame({
        "arrest_id": ["R6", "R6", "R6", "R7", "R7"], "person_id": ["A", "G", "H", "A", "B"],
        "arrested_at": ts(*["2020-05-01"] * 3, *["2020-08-01"] * 2), "offense_category": "other"})],
        ignore_index=True)
    people = pd.DataFrame({"person_id": list("ABCDEFGHZ"), "birth_year": 2000, "sex": "male",
                           "race_ethnicity": "black"})
    return Dataset(tables={"incidents": inc, "victimizations": vict, "arrests": arrests, "people": people},
                   timezone=tz, crs="EPSG:32616", name="tv-frame")


def _intervals_brute_force(ds, rv):
    """Per person, by a loop: cut follow-up at every candidate instant (a contact's tie, shooting or
    shooting + 365 d), read the exposure at each cut with contacts_shot_before (constant on (prev, cut]),
    then merge neighbouring pieces with the same value."""
    from workbench.survival.revictimization import contacts_shot_before

    ar, w = ds["arrests"], pd.Timedelta(days=365)
    v = ds["victimizations"].merge(ds["incidents"][["incident_id", "occurred_at"]], on="incident_id")
    rows = []
    for k, r in rv.reset_index(drop=True).iterrows():
        if r["days"] <= 0:
            continue
        t0 = r["occurred_at"]
        t1 = t0 + pd.Timedelta(days=r["days"])
        mine = ar.loc[ar["person_id"] == r["person_id"], "arrest_id"]
        ties = ar[ar["arrest_id"].isin(mine) & (ar["person_id"] != r["person_id"])]
        shots = v.loc[v["person_id"].isin(ties["person_id"]), "occurred_at"]
        cand = sorted({c for c in [*ties["arrested_at"], *shots, *(shots + w)] if t0 < c < t1})
        pieces, prev = [], t0
        for c in [*cand, t1]:
            val = contacts_shot_before(ds, [r["person_id"]], c)[0]
            if pieces and pieces[-1][2] == val:
                pieces[-1][1] = c
            else:
                pieces.append([prev, c, val])
            prev = c
        for i, (a, b, val) in enumerate(pieces):
            rows.append({"row": k, "person_id": r["person_id"], "start": (a - t0).total_seconds() / 86400,
                         "stop": r["days"] if i == len(pieces) - 1 else (b - t0).total_seconds() / 86400,
                         "contacts_shot_prior_year": val,
                         "event": r["event"] == "revictimized" and i == len(pieces) - 1})
    return pd.DataFrame(rows)


def test_contacts_shot_intervals_equal_brute_force(tv_frame):
    from workbench.survival import revictimization_table
    from workbench.survival.revictimization import contacts_shot_intervals

    ds = tv_frame
    rv = revictimization_table(ds, end=pd.Timestamp("2023-06-01", tz=ds.timezone))
    got = contacts_shot_intervals(ds, rv)
    want = _intervals_brute_force(ds, rv)
    assert len(want) > len(rv)  # the exposure changes during someone's follow-up
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)
    # A by hand: B (until 2021-06-01) + E (co-victim at the index) = 2 from the start; +G on 2021-02-01;
    # on 2021-06-01 B leaves as C arrives (tied then, shot 2020-07-01) and on 2021-07-01 C leaves as F
    # arrives (tied then): no cut; G's second shooting (2021-09-01) extends its window; E leaves on
    # 2022-01-01; A shot again on 2022-03-01 with H (not counted), F still counted at that instant
    a = got[got["person_id"] == "A"]
    days = lambda d: (pd.Timestamp(d, tz=ds.timezone) - pd.Timestamp("2021-01-01", tz=ds.timezone)).days
    np.testing.assert_allclose(a["start"], [0, days("2021-02-01"), days("2022-01-01")])
    np.testing.assert_allclose(a["stop"], [days("2021-02-01"), days("2022-01-01"), days("2022-03-01")])
    assert list(a["contacts_shot_prior_year"]) == [2, 3, 2] and list(a["event"]) == [False, False, True]
    # the first interval's exposure is the index covariate plus co-arrestees shot in the index incident
    # (E for A, A for E, A for H)
    first = got.groupby("row").first()
    idx = rv["contacts_shot_prior_year"].to_numpy()[first.index]
    assert (first["contacts_shot_prior_year"].to_numpy() - idx).tolist() == [
        int(p in {"A", "E", "H"}) for p in first["person_id"]]
    # no arrests table: unknown exposure, one interval per person
    from workbench.data.dataset import Dataset

    no_arr = Dataset(tables={k: t for k, t in ds.tables.items() if k != "arrests"}, timezone=ds.timezone,
                     crs=ds.crs, name="no-arrests")
    iv = contacts_shot_intervals(no_arr, rv)
    assert len(iv) == (rv["days"] > 0).sum() and iv["contacts_shot_prior_year"].isna().all()
    np.testing.assert_allclose(iv["stop"], rv.loc[rv["days"] > 0, "days"])


def test_no_arrests_table_means_unknown_network(synthetic_tiny, past):
    from workbench.data.dataset import Dataset
    from workbench.survival import revictimization_table

    ds = synthetic_tiny.dataset
    no_arr = Dataset(tables={k: t for k, t in ds.tables.items() if k != "arrests"}, timezone=ds.timezone,
                     crs=ds.crs, name="no-arrests")
    rv = revictimization_table(no_arr)
    assert rv["contacts_shot_prior_year"].isna().all() and (rv["arrests_before"] == 0).all()
    pri = O.outreach_priority(no_arr, past)
    assert "contacts_shot_prior_year" not in pri.attrs["covariates"]
    # nothing varies without a network: the time-varying option is the fixed model
    tv = O.outreach_priority(no_arr, past, exposure="time_varying")
    assert tv.attrs["exposure"] == "index" and pri.attrs["exposure"] == "index"
    pd.testing.assert_series_equal(tv["risk"], pri["risk"])
    assert pri["contacts_shot_past_year"].isna().all() and np.isfinite(pri["risk"]).all()
    # the other covariates are those of the full data
    full = revictimization_table(ds)
    for c in ("age", "male", "area_shootings_prior_year"):
        pd.testing.assert_series_equal(rv[c], full[c])


# -- the demo city: contagion through co-arrest ties -------------------------------------------------


def test_network_exposure_raises_the_hazard_on_demo_city(synthetic_demo):
    """The synthetic city spreads shootings through co-arrest ties: the model must see it."""
    fit = O.fit_revictimization_risk(synthetic_demo.dataset)
    hr = fit.hazard_ratios().set_index("covariate")
    c = hr.loc["contacts_shot_prior_year"]
    assert c["hr_lower"] > 1.0 and c["hazard_ratio"] == pytest.approx(2.0, abs=0.25)  # measured 2.00 (1.64-2.45)
    assert fit.events >= 100 and fit.n > 900


def test_time_varying_network_exposure_raises_the_hazard_on_demo_city(synthetic_demo):
    """Exposure updated during follow-up (contagion acts months after a contact is shot)."""
    fit = O.fit_revictimization_risk(synthetic_demo.dataset, exposure="time_varying")
    assert fit.exposure == "time_varying" and fit.covariates == list(O.RISK_COVARIATES)
    assert fit.n == 1057 and fit.events == 182  # demo generator 4 (planted recent spot and near-repeat chain)
    hr = fit.hazard_ratios().set_index("covariate")
    c = hr.loc["contacts_shot_prior_year"]
    # measured 2.29 (2.00-2.64), against 2.00 (1.64-2.45) with the exposure frozen at the index shooting
    assert c["hr_lower"] > 1.0 and c["hazard_ratio"] == pytest.approx(2.29, abs=0.25)
    # the baseline is on the time scale of the fixed model (days since the index shooting)
    bt, bh = fit._baseline
    assert 0 < bt[0] and bt[-1] < 1500 and (np.diff(bh) > 0).all() and len(bt) <= fit.events


def test_network_covariate_improves_forward_ranking_on_demo_city(synthetic_demo):
    """Rank everyone alive and shot before each of six half-year dates; outcome: shot in the next year.
    Pooled over the dates, the list with network exposure captures more and ranks better; the default
    (exposure at the index shooting) is not worse than the time-varying fit on this seed."""
    dates = ["2021-07-01", "2022-01-01", "2022-07-01", "2023-01-01", "2023-07-01", "2024-01-01"]
    models = {"with_network": O.RISK_COVARIATES, "without_network": O.BASE_COVARIATES,
              "time_varying": {"covariates": O.RISK_COVARIATES, "exposure": "time_varying"}}
    r = O.evaluate_outreach(synthetic_demo.dataset, dates, horizon_days=365, models=models)
    assert len(r) == 18 and set(r["model"]) == set(models)
    assert set(r.loc[r["model"] == "time_varying", "exposure"]) == {"time_varying"}
    assert set(r.loc[r["model"] != "time_varying", "exposure"]) == {"index"}
    with_net, without, tv = (r[r["model"] == m].reset_index(drop=True)
                             for m in ("with_network", "without_network", "time_varying"))
    # measured: 79 vs 77 captured, mean AUC 0.752 vs 0.750; the time-varying fit is better calibrated
    # (206 expected against 202 observed; 258 with the exposure at the index shooting)
    assert with_net["captured"].sum() >= tv["captured"].sum()
    assert with_net["auc"].mean() >= tv["auc"].mean()
    assert abs(tv["expected"].sum() - tv["n_outcome"].sum()) < abs(with_net["expected"].sum()
                                                                   - with_net["n_outcome"].sum())
    assert (with_net["n_outcome"] == without["n_outcome"]).all() and with_net["n_outcome"].sum() >= 150
    assert "contacts_shot_prior_year" in with_net["covariates"].iloc[0]
    assert "contacts_shot_prior_year" not in without["covariates"].iloc[0]
    # measured: 79 vs 64 of 202 captured in the top 10%; mean AUC 0.752 vs 0.725, higher on 6 of 6 dates
    assert with_net["captured"].sum() >= without["captured"].sum() + 8
    assert with_net["auc"].mean() >= without["auc"].mean() + 0.01
    assert (with_net["auc"] > without["auc"]).sum() >= 5
    with pytest.raises(ValueError, match="after the data end"):
        O.evaluate_outreach(synthetic_demo.dataset, "2024-06-01", horizon_days=365)


# -- fairness audit of the outreach list ------------------------------------------------------------

TZ = "America/Chicago"


@pytest.fixture()
def tiny_frame():
    """Eight ranked past victims (P8 not in the people table); two shot again 60 days after as_of."""
    from workbench.data.dataset import Dataset

    people = pd.DataFrame({
        "person_id": [f"P{i}" for i in range(1, 8)],
        "birth_year": pd.array([2000, 1990, 2010, 1980, 2001, 1995, None], dtype="Int64"),
        "sex": ["male", "female", "male", "male", "female", "male", "female"],
        "race_ethnicity": ["black", "black", "white", "black", "white", "hispanic", "black"],
    })
    t = pd.to_datetime(["2023-06-01", "2024-03-01", "2024-12-01", "2025-06-01"]).tz_localize(TZ)
    incidents = pd.DataFrame({"incident_id": ["I0", "I1", "I2", "I3"], "occurred_at": t,
                              "lon": -87.6, "lat": 41.8, "kind": "nonfatal_shooting"})
    vict = pd.DataFrame({"incident_id": ["I0"] * 8 + ["I1", "I1", "I2"],
                         "person_id": [f"P{i}" for i in range(1, 9)] + ["P1", "P4", "P2"], "fatal": False})
    ds = Dataset(tables={"incidents": incidents, "victimizations": vict, "people": people},
                 timezone=TZ, crs="EPSG:32616", name="tiny-frame")
    pri = pd.DataFrame({"rank": np.arange(1, 9), "person_id": [f"P{i}" for i in range(1, 9)],
                        "risk": np.linspace(0.8, 0.1, 8)})
    pri.attrs.update(as_of=pd.Timestamp("2024-01-01", tz=TZ), horizon_days=180.0)
    return ds, pri


def test_outreach_audit_selection_rates_by_hand(tiny_frame):
    ds, pri = tiny_frame
    aud = O.outreach_audit(ds, pri, top_n=3, min_n=1, min_events=1)  # top 3: P1, P2, P3
    a = aud.audit.set_index(["attribute", "group"])
    expected = {  # hand computation: selected / ranked in the group
        ("race_ethnicity", "black"): (4, 2), ("race_ethnicity", "white"): (2, 1),
        ("race_ethnicity", "hispanic"): (1, 0), ("race_ethnicity", "unknown"): (1, 0),
        ("race_ethnicity", "all"): (8, 3),
        ("sex", "male"): (4, 2), ("sex", "female"): (3, 1), ("sex", "unknown"): (1, 0), ("sex", "all"): (8, 3),
        # ages on 2024-01-01: P1 24, P2 34, P3 14, P4 44, P5 23, P6 29, P7 unknown birth year, P8 no record
        ("age_group", "18-24"): (2, 1), ("age_group", "25-34"): (2, 1), ("age_group", "under 18"): (1, 1),
        ("age_group", "35 and over"): (1, 0), ("age_group", "unknown"): (2, 0), ("age_group", "all"): (8, 3),
    }
    assert set(a.index) == set(expected)

    def judged(n, k):  # a ratio needs min_selected (1) flag, observed or expected at the overall rate
        return max(k, n * 3 / 8) >= 1

    for key, (n, k) in expected.items():
        assert a.loc[key, "n"] == n and a.loc[key, "n_selected"] == k, key
        assert a.loc[key, "selection_rate"] == pytest.approx(k / n), key
        if judged(n, k):
            assert a.loc[key, "selection_rate_ratio"] == pytest.approx((k / n) / (3 / 8)), key
        else:
            assert np.isnan(a.loc[key, "selection_rate_ratio"]), key
    # flags by hand: a ratio outside [0.8, 1.25] (female 1/3 / 3/8 = 0.89 is the only group inside)
    by_hand = {key for key, (n, k) in expected.items()
               if key[1] != "all" and judged(n, k) and not 0.8 <= (k / n) / (3 / 8) <= 1.25}
    assert by_hand == (set(expected) - {("sex", "female")} - {key for key in expected if key[1] == "all"}
                       - {key for key, (n, k) in expected.items() if not judged(n, k)})
    flagged = aud.flags.loc[aud.flags["metric"] == "selection_rate", ["attribute", "group"]]
    assert set(map(tuple, flagged.to_numpy())) == by_hand
    # outcome window (2024-01-01, 2024-06-29]: P1 and P4 shot again; P2's shooting in December is outside
    assert aud.calibration_available and aud.horizon_days == 180.0
    f = O.outreach_audit_frame(ds, pri, 3, aud.as_of, 180.0)
    assert list(f.loc[f["outcome"], "person_id"]) == ["P1", "P4"]
    assert a.loc[("race_ethnicity", "all"), "n_outcome"] == 2 and a.loc[("race_ethnicity", "all"), "tp"] == 1
    assert a.loc[("race_ethnicity", "all"), "mean_predicted"] == pytest.approx(pri["risk"].mean())
    cal = aud.calibration
    assert cal["n"].sum() == 8 and cal["n_outcome"].sum() == 2
    assert cal["sum_predicted"].sum() == pytest.approx(pri["risk"].sum())
    assert "P1" not in aud.audit.to_string()  # aggregate only


def test_outreach_audit_horizon_past_data_end(tiny_frame):
    ds, pri = tiny_frame
    full = O.outreach_audit(ds, pri, top_n=3, min_n=1, min_events=1)
    aud = O.outreach_audit(ds, pri, top_n=3, horizon_days=600, min_n=1, min_events=1)  # to 2025-08-23 > 2025-06-01
    assert not aud.calibration_available and aud.calibration is None
    # the one data end: the 2025-06-01 record is a stray (182 days after the rest), December 2024 complete
    assert "past the end of the data" in aud.note and "2025-01-01" in aud.note
    pd.testing.assert_series_equal(aud.audit["selection_rate"], full.audit["selection_rate"])
    assert aud.audit["calibration"].isna().all() and aud.audit["capture_rate"].isna().all()
    assert set(aud.flags["metric"]) <= {"selection_rate"}
    with pytest.raises(ValueError):
        O.outreach_audit(ds, pri.iloc[:0], top_n=3)


def test_outreach_audit_on_city(synthetic_tiny):
    # the model is fitted on what was observed before as_of: by 2024-07-01 the one-year tiny city has
    # only 3 re-victimizations (no model), by 2024-09-01 it has 7
    past = O.past_victims(synthetic_tiny.dataset, synthetic_tiny.truth["period"]["program_start"], "2024-09-01")
    pri = O.outreach_priority(synthetic_tiny.dataset, past, horizon_days=90)
    aud = O.outreach_audit(synthetic_tiny.dataset, pri, top_n=10)
    assert aud.calibration_available and aud.top_n == 10
    alls = aud.audit.loc[aud.audit["group"] == "all"]
    assert (alls["n"] == len(pri)).all() and (alls["n_selected"] == 10).all()
    for attr, sub in aud.audit.groupby("attribute"):
        grp = sub[sub["group"] != "all"]
        assert grp["n"].sum() == len(pri) and grp["n_selected"].sum() == 10, attr
    assert aud.calibration["n"].sum() == len(pri)
