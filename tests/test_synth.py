"""The synthetic city at tiny scale: contract, keys, references, geometry, time, truth, parents."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from workbench.data.contract import CODES, COLUMNS, KEYS, REFERENCES, SCHEMAS
from workbench.synth import ID_PREFIXES, SCALES, Params, generate_city, write_city

SEED = 20261125


@pytest.fixture(scope="module")
def tables(synthetic_tiny):
    return synthetic_tiny.dataset.tables


def test_every_table_has_exactly_the_contract_columns_and_dtypes(tables):
    assert set(tables) == set(COLUMNS)
    for name, specs in COLUMNS.items():
        df = tables[name]
        extra = [c for c in df.columns if name == "areas" and c.startswith("population_")]
        # every required column, and the optional ones the city fills (incidents.area_id is for cities that
        # give area codes instead of points; the synthetic city places incidents by coordinates)
        want = [s.name for s in specs if s.required or s.name in df.columns]
        assert list(df.drop(columns=extra).columns) == want, name  # + residents by group
        assert len(df) > 0, name
        for s in specs:
            if s.name not in df.columns:
                continue
            col = df[s.name]
            if s.kind in ("id", "text", "code"):
                assert col.dtype == object, (name, s.name)
                assert col.map(type).eq(str).all(), (name, s.name)
            elif s.kind == "float":
                assert col.dtype == np.float64, (name, s.name)
            elif s.kind == "int":
                assert str(col.dtype) == "Int64", (name, s.name)
            elif s.kind == "bool":
                assert col.dtype == bool, (name, s.name)
            elif s.kind == "timestamp":
                assert str(col.dtype) == "datetime64[ns, America/Chicago]", (name, s.name)
            if s.kind == "code":
                assert set(col.unique()) <= set(s.codes), (name, s.name)
            if not s.nullable and s.kind != "geometry":
                assert col.notna().all(), (name, s.name)
        SCHEMAS[name].validate(df, lazy=True)


def test_codes_are_all_used_where_expected(tables):
    assert set(tables["incidents"]["kind"]) == set(CODES["incident_kind"])
    assert set(tables["responses"]["responder_type"]) == set(CODES["responder_type"])
    assert set(tables["places"]["kind"]) == set(CODES["place_kind"])
    assert tables["places"]["name"].str.len().gt(3).all()


def test_keys_unique_and_ids_have_prefixes(tables):
    for name, key in KEYS.items():
        assert not tables[name].duplicated(list(key)).any(), name
    id_cols = {"areas": "area_id", "places": "place_id", "incidents": "incident_id",
               "people": "person_id", "arrests": "arrest_id", "responses": "response_id",
               "referrals": "referral_id", "followups": "followup_id"}
    for name, col in id_cols.items():
        prefix = ID_PREFIXES[name]
        rest = tables[name][col].str.slice(len(prefix))
        assert tables[name][col].str.startswith(prefix).all(), name
        assert rest.str.isdigit().all(), name
    assert tables["areas"]["area_id"].iloc[0] == "A0001"
    assert tables["incidents"]["incident_id"].iloc[0] == "I000001"


def test_foreign_keys_hold(tables):
    for ref in REFERENCES:
        if ref.column not in tables[ref.table]:  # an optional column the city does not fill
            continue
        child = tables[ref.table][ref.column].dropna()
        assert child.isin(set(tables[ref.target][ref.target_column])).all(), str(ref)


def test_people_are_exactly_those_who_appear(tables):
    used = set(tables["arrests"]["person_id"]) | set(tables["victimizations"]["person_id"]) | set(
        tables["referrals"]["person_id"])
    assert used == set(tables["people"]["person_id"])
    # family members: referred, never arrested, never victimized
    fam = set(tables["referrals"]["person_id"]) - set(tables["arrests"]["person_id"]) - set(
        tables["victimizations"]["person_id"])
    assert len(fam) > 0


def test_points_inside_the_areas(tables):
    areas = tables["areas"]
    assert areas.crs.to_epsg() == 4326
    union = shapely.union_all(areas.geometry.to_numpy())
    inc = tables["incidents"]
    assert shapely.contains_xy(union, inc["lon"].to_numpy(), inc["lat"].to_numpy()).all()
    assert tables["places"].within(union).all()
    lon, lat = inc["lon"].mean(), inc["lat"].mean()
    assert -88.0 < lon < -87.4 and 41.6 < lat < 42.1
    assert areas["population"].sum() == SCALES["tiny"].residents


def test_area_indicators_follow_disadvantage(tables):
    a = tables["areas"]
    for col in ("unemployment_rate", "food_insecurity_rate", "vacancy_rate"):
        assert a[col].between(0, 1).all()
        assert a[col].corr(a["median_income"], method="spearman") < 0
    assert (a["children"] < a["population"]).all()


def test_timestamps_within_the_period(synthetic_tiny, tables):
    start = pd.Timestamp(synthetic_tiny.truth["period"]["start"])
    end = pd.Timestamp(synthetic_tiny.truth["period"]["end"])
    assert start.tzinfo is not None
    for name, specs in COLUMNS.items():
        for s in specs:
            if s.kind == "timestamp":
                ts = tables[name][s.name]
                assert ts.min() >= start and ts.max() < end, (name, s.name)
    r = tables["responses"]
    assert (r["departed_at"] > r["arrived_at"]).all()
    occurred = r["incident_id"].map(tables["incidents"].set_index("incident_id")["occurred_at"])
    assert (r["arrived_at"] > occurred).all()


def test_police_at_every_incident_and_no_coresponder_before_program(synthetic_tiny, tables):
    r = tables["responses"]
    inc = tables["incidents"]
    police = r[r["responder_type"] == "police"]
    assert set(police["incident_id"]) == set(inc["incident_id"])
    co = r[r["responder_type"] != "police"]
    program = pd.Timestamp(synthetic_tiny.truth["period"]["program_start"])
    assert len(co) > 0
    occurred = co["incident_id"].map(inc.set_index("incident_id")["occurred_at"])
    assert (occurred >= program).all()
    assert set(inc.set_index("incident_id").loc[co["incident_id"], "kind"]) <= {
        "fatal_shooting", "nonfatal_shooting"}
    # referrals only come from co-responders; victims shot before the program are never served
    ref_type = tables["referrals"]["response_id"].map(r.set_index("response_id")["responder_type"])
    assert (ref_type != "police").all()
    before = inc.loc[inc["occurred_at"] < program, "incident_id"]
    assert not r.loc[r["incident_id"].isin(before) & (r["responder_type"] != "police")].size


def test_incident_kind_matches_victims(tables):
    inc = tables["incidents"].set_index("incident_id")
    v = tables["victimizations"]
    fatal_any = v.groupby("incident_id")["fatal"].any()
    kinds = inc.loc[fatal_any.index, "kind"]
    assert (kinds[fatal_any] == "fatal_shooting").all()
    assert (kinds[~fatal_any] == "nonfatal_shooting").all()
    no_victim = inc.index.difference(fatal_any.index)
    assert (inc.loc[no_victim, "kind"] == "shots_fired").all()


def test_followups_follow_their_referral(tables):
    f = tables["followups"].merge(tables["referrals"][["referral_id", "referred_at"]], on="referral_id")
    assert (f["attempted_at"] >= f["referred_at"]).all()
    # at most one terminal outcome per referral, and it is the last attempt
    term = f[f["outcome"].isin(["engaged", "declined"])]
    assert not term["referral_id"].duplicated().any()
    last = f.sort_values("attempted_at").groupby("referral_id").tail(1).set_index("referral_id")
    assert (last.loc[term["referral_id"], "outcome"].to_numpy() == term["outcome"].to_numpy()).all()


def test_parents_are_consistent(synthetic_tiny, tables):
    p = synthetic_tiny.parents
    assert list(p.columns) == ["incident_id", "person_id", "parent_type", "parent_incident_id",
                               "parent_person_id", "generation", "primary"]
    v = tables["victimizations"]
    assert (p[["incident_id", "person_id"]].to_numpy() == v[["incident_id", "person_id"]].to_numpy()).all()
    assert set(p["parent_type"]) == {"background", "near_repeat", "contagion"}
    bg = p["parent_type"] == "background"
    assert p.loc[bg, "parent_incident_id"].isna().all() and (p.loc[bg, "generation"] == 0).all()
    assert p.loc[~bg, "parent_incident_id"].notna().all() and (p.loc[~bg, "generation"] > 0).all()
    assert p.loc[p["parent_type"] != "contagion", "parent_person_id"].isna().all()
    # every incident has exactly one primary victim
    assert p.groupby("incident_id")["primary"].sum().eq(1).all()
    when = tables["incidents"].set_index("incident_id")["occurred_at"]
    child = p.loc[~bg]
    assert (when.loc[child["parent_incident_id"]].to_numpy() < when.loc[child["incident_id"]].to_numpy()).all()
    # the parent incident is one generation earlier
    gen = p.groupby("incident_id")["generation"].first()
    assert (gen.loc[child["parent_incident_id"]].to_numpy() + 1 == child["generation"].to_numpy()).all()
    # the infector was a victim of the parent incident
    ct = p[p["parent_type"] == "contagion"]
    pairs = set(zip(p["incident_id"], p["person_id"]))
    assert all(pair in pairs for pair in zip(ct["parent_incident_id"], ct["parent_person_id"]))


def test_contagion_parents_are_co_arrestees(synthetic_tiny, tables):
    a = tables["arrests"]
    pairs = a.merge(a, on="arrest_id")
    ties = set(zip(pairs["person_id_x"], pairs["person_id_y"]))
    ct = synthetic_tiny.parents[(synthetic_tiny.parents["parent_type"] == "contagion") & synthetic_tiny.parents["primary"]]
    assert len(ct) > 0
    assert all((i, j) in ties and i != j for i, j in zip(ct["parent_person_id"], ct["person_id"]))


def test_near_repeat_offspring_are_close(synthetic_tiny, tables):
    p = synthetic_tiny.parents[(synthetic_tiny.parents["parent_type"] == "near_repeat") & synthetic_tiny.parents["primary"]]
    pts = synthetic_tiny.dataset.points("incidents").set_index("incident_id").geometry
    d = pts.loc[p["incident_id"]].distance(pts.loc[p["parent_incident_id"]], align=False)
    sigma = synthetic_tiny.truth["params"]["near_repeat_sigma_m"]
    # Rayleigh distance: mean sigma * sqrt(pi / 2)
    assert d.median() < 3 * sigma and d.max() < 8 * sigma


def test_truth_is_complete_and_serializable(synthetic_tiny):
    t = synthetic_tiny.truth
    json.dumps(t)
    for key in ("contagion_branching", "contagion_tau_days", "near_repeat_branching",
                "near_repeat_sigma_m", "near_repeat_tau_days", "season_amplitude",
                "weibull_shape", "weibull_scale_days", "beta_service", "beta_age_per_decade",
                "program_start_fraction"):
        assert key in t["params"], key
    assert t["seed"] == SEED and t["scale"]["name"] == "tiny"
    assert t["derived"]["background_rate_per_day"] > 0
    assert t["expected"]["stationary"]["branching_ratio"] < 1
    shares = t["realized"]["shares"]
    assert sum(shares.values()) == pytest.approx(1.0)
    assert t["realized"]["counts"]["victimizations"] == len(synthetic_tiny.dataset["victimizations"])
    assert 50 <= t["realized"]["shooting_incidents"] <= 150


def test_write_city_is_byte_identical_for_a_seed(tmp_path):
    a = write_city("tiny", SEED, tmp_path / "a")
    b = write_city("tiny", SEED, tmp_path / "b")
    c = write_city("tiny", SEED + 1, tmp_path / "c")
    files = sorted(p.name for p in a.iterdir())
    assert {"truth.json", "truth_parents.parquet", "dataset.json", "incidents.parquet",
            "areas.parquet", "followups.parquet"} <= set(files)
    assert files == sorted(p.name for p in b.iterdir())
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "incidents.parquet").read_bytes() != (c / "incidents.parquet").read_bytes()
    assert (a / "truth.json").read_bytes() != (c / "truth.json").read_bytes()


def test_written_folder_round_trips(tmp_path, synthetic_tiny):
    from workbench.data.dataset import Dataset

    out = write_city("tiny", SEED, tmp_path / "t")
    ds = Dataset.from_folder(out)
    assert ds.timezone == "America/Chicago" and ds.crs == "EPSG:32616"
    for name, df in synthetic_tiny.dataset.tables.items():
        assert list(ds[name].columns) == list(df.columns)
        assert len(ds[name]) == len(df)
    assert ds.fingerprint() == synthetic_tiny.dataset.fingerprint()
    parents = pd.read_parquet(out / "truth_parents.parquet")
    pd.testing.assert_frame_equal(parents, synthetic_tiny.parents)
    assert json.loads((out / "truth.json").read_text()) == synthetic_tiny.truth


def test_cli_synth(tmp_path):
    from workbench.cli import main

    assert main(["synth", "--scale", "tiny", "--seed", "7", "--out", str(tmp_path / "x")]) == 0
    assert (tmp_path / "x" / "truth.json").exists()


def test_overrides_and_unknown_parameter():
    quiet = generate_city("tiny", 3, contagion_branching=0.0, near_repeat_branching=0.0)
    assert set(quiet.parents["parent_type"]) == {"background"}
    assert quiet.truth["params"]["contagion_branching"] == 0.0
    with pytest.raises(TypeError, match="no_such_knob"):
        generate_city("tiny", 3, no_such_knob=1)
    assert isinstance(Params(), Params)


def test_passes_workbench_validation(synthetic_tiny):
    try:
        from workbench.data import validate
    except ImportError:  # pragma: no cover - validation not installed
        pytest.skip("workbench.data.validate is not available")
    checked = validate(synthetic_tiny.dataset)
    assert {n: len(df) for n, df in checked.tables.items()} == {
        n: len(df) for n, df in synthetic_tiny.dataset.tables.items()}


def test_pooled_tiny_cities_match_expected_shares():
    """Across seeds, realized origin shares average to the first-moment expectation."""
    real, exp = [], []
    for seed in range(5):
        t = generate_city("tiny", 100 + seed).truth
        real.append([t["realized"]["shares"][k] for k in ("contagion", "near_repeat")])
        exp.append([t["expected"]["window_shares"][k] for k in ("contagion", "near_repeat")])
    real, exp = np.mean(real, 0), np.mean(exp, 0)
    assert abs(real[0] - exp[0]) < 0.12
    assert abs(real[1] - exp[1]) < 0.06


def test_model_view_reduces_to_the_generator_without_lagged_victims():
    """Without near-repeat, co-victims or contagion, a contagion model's background is the seasonal one."""
    from workbench.synth import hawkes

    p = Params(near_repeat_branching=0.0, co_victim_mean=0.0, contagion_branching=0.0)
    v = hawkes.expected_model_view(p, 2.0, 8 * 365.25, 0.0, 0.3)
    assert v["contagion_share"] == 0.0
    assert v["background_season_amplitude"] == pytest.approx(p.season_amplitude, rel=1e-4)
    assert v["background_season_peak_doy"] == pytest.approx(p.season_peak_doy, abs=0.1)
    # lagged victims (near-repeat, co-victims of contagion shootings) flatten and delay the cycle
    full = hawkes.expected_model_view(Params(), 2.0, 8 * 365.25, 0.0, 0.3)
    assert 0 < full["background_season_amplitude"] < Params().season_amplitude
    assert full["background_season_peak_doy"] > Params().season_peak_doy
    assert 0.3 < full["contagion_share"] < 0.7


def test_pooled_tiny_cities_match_the_expected_model_view():
    """Realized model-view truth averages to its first-moment expectation across seeds."""
    rows = []
    for seed in range(4):
        t = generate_city("tiny", 200 + seed).truth
        rows.append([t["realized"]["model_view"][k] - t["expected"]["model_view"][k]
                     for k in ("contagion_share", "background_season_amplitude")])
    bias = np.mean(rows, 0)
    assert abs(bias[0]) < 0.1
    assert abs(bias[1]) < 0.15
