"""The rolling evaluation's fast paths equal their brute-force definitions."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.fairness import PEOPLE_COLUMNS
from workbench.network.rolling import _DistinctPeople, _factorize


def test_distinct_people_equal_brute_force_over_cutoffs():
    rng = np.random.default_rng(3)
    n_universe = 500
    dp = _DistinctPeople(n_universe)
    rows = []
    for cut in range(6):
        pop = np.sort(rng.choice(n_universe, 200 + 40 * cut, replace=False))
        y = rng.random(len(pop)) < 0.1
        sel = rng.random(len(pop)) < 0.05
        # groups change between cutoffs (age groups) and new ones appear late
        age = rng.choice(["18-24", "25-34", "35+"] + (["under 18"] if cut >= 3 else []), len(pop))
        sex = rng.choice(["male", "female"], len(pop))
        attrs = pd.DataFrame({"sex": sex, "age_group": age})
        groups = [(a, *_factorize(attrs[a])) for a in attrs.columns]
        gids = dp.add_population(groups, pop, y)
        dp.add_selected("m", groups, pop, sel, gids)
        rows.append(pd.DataFrame({"person": pop, "y": y, "sel": sel, **attrs}))
    got = dp.table("m").set_index(["attribute", "group"])
    all_rows = pd.concat(rows)
    for attr in ("sex", "age_group"):
        for g, d in [*all_rows.groupby(attr), ("all", all_rows)]:
            key = d if g == "all" else d
            by = ["person"] if g == "all" else ["person", attr]
            want = {
                "n_people": len(key.drop_duplicates(by)),
                "n_outcome_people": len(key.loc[key["y"]].drop_duplicates(by)),
                "n_negative_people": len(key.loc[~key["y"]].drop_duplicates(by)),
                "n_selected_people": len(key.loc[key["sel"]].drop_duplicates(by)),
            }
            for col in (*PEOPLE_COLUMNS, "n_negative_people"):
                assert got.loc[(attr, g), col] == want[col], (attr, g, col)


def test_calibration_ranks_from_the_descending_order_equal_a_second_sort():
    from workbench.network.risklist import calibration_table

    rng = np.random.default_rng(5)
    for n in (1, 2, 7, 1000, 2531):
        p = np.round(rng.random(n), 1 if n > 7 else 3)  # many ties
        p[: n // 3] = 0.0
        y = rng.random(n) < 0.2
        want = calibration_table(p, y)
        got = calibration_table(p, y, order=np.argsort(-p, kind="stable"))
        pd.testing.assert_frame_equal(got, want)


def test_group_counts_from_one_bincount_equal_the_fairness_module():
    from workbench.fairness import group_counts
    from workbench.network.rolling import _counts

    rng = np.random.default_rng(8)
    n = 3000
    df = pd.DataFrame({"race_ethnicity": rng.choice(["a", "b", "c"], n), "sex": rng.choice(["f", "m"], n)})
    sel, y, p = rng.random(n) < 0.05, rng.random(n) < 0.1, rng.random(n) / 10
    groups = [(a, *_factorize(df[a])) for a in df.columns]
    got = _counts(groups, sel, y, p)
    want = group_counts(df.assign(selected=sel, outcome=y, probability=p), ["race_ethnicity", "sex"])
    cols = ["n", "n_selected", "n_outcome", "tp", "fp", "sum_predicted"]
    key = ["attribute", "group"]
    w = want.set_index(key)[cols].sort_index()
    g = got.set_index(key)[cols].sort_index()
    pd.testing.assert_frame_equal(g, w, check_dtype=False, rtol=1e-12)
    assert (got[cols[:-1]].dtypes == np.int64).all()


REFERENCE = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def demo():
    from workbench.network import PeopleHistory
    from workbench.synth import generate_city

    return PeopleHistory.from_dataset(generate_city("demo", seed=20261125).dataset)


def _assert_close(got: pd.DataFrame, want: pd.DataFrame, rtol: float) -> None:
    assert list(got.columns) == list(want.columns) and len(got) == len(want)
    for c in want.columns:
        if pd.api.types.is_numeric_dtype(want[c]) and not pd.api.types.is_bool_dtype(want[c]):
            np.testing.assert_allclose(got[c].to_numpy(float), want[c].to_numpy(float), rtol=rtol,
                                       atol=1e-300, equal_nan=True, err_msg=c)
        else:
            assert got[c].astype(str).tolist() == want[c].astype(str).tolist(), c


def test_rolling_evaluation_equals_the_previous_implementation_on_the_demo_city(demo):
    """Reference written by the implementation before the speed-ups (union1d distinct people,
    a sort per use, multithreaded BLAS): every count equal, every figure within 1e-9."""
    from workbench.network import rolling_evaluation

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = rolling_evaluation(demo, horizon_days=365, n_cutoffs=6, refit_months=3, top_k=(100,))
    ev = pd.read_csv(REFERENCE / "people_rolling_demo_evaluation.csv")
    _assert_close(r.evaluation_.assign(cutoff=r.evaluation_["cutoff"].astype(str)), ev, 1e-9)
    audit = pd.read_csv(REFERENCE / "people_rolling_demo_audit.csv", keep_default_na=False,
                        na_values=[""])
    got = r.audit_.copy()
    got["flags"] = got["flags"].replace("", np.nan)
    _assert_close(got, audit, 1e-9)


def test_contagion_fit_and_bootstrap_equal_the_previous_implementation_on_the_demo_city(demo):
    from workbench.network import NetworkHawkes

    as_of = demo.end.normalize() + pd.Timedelta(days=1)
    g = demo.graph(as_of, demo.population(as_of))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the reference predates the profile-likelihood delay interval: compare the bootstrap one
        fit = NetworkHawkes(weights="share", seasonality=True, self_excitation=True, n_boot=4, seed=0,
                            ci_method="lognormal").fit(
            g, demo.events_before(as_of), start=demo.start.normalize(), end=as_of)
    want = pd.read_csv(REFERENCE / "people_hawkes_demo_summary.csv", index_col="parameter")
    pd.testing.assert_frame_equal(fit.summary_, want, rtol=1e-7, check_names=False)


def test_audit_groups_equal_factorized_attributes(demo):
    from workbench.network.rolling import _AuditGroups

    groups = _AuditGroups(demo)
    for c in ("2022-03-01", "2023-01-01", "2024-07-01"):
        ts = demo.timestamp(c)
        pop = demo.population(ts)
        attrs = demo.attributes(ts, pop)
        got = groups(ts, pop)
        assert [g[0] for g in got] == list(attrs.columns)
        for (attr, names, code), col in zip(got, attrs.columns):
            want_names, want_code = _factorize(attrs[col])
            assert list(names) == list(want_names)
            np.testing.assert_array_equal(code, want_code)


def test_kept_lists_carry_the_audit_attributes(demo):
    from workbench.network import rolling_evaluation

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = rolling_evaluation(demo, horizon_days=365, n_cutoffs=2, models=("demographics",),
                               keep_lists=True)
    rl = r.lists_["demographics"]
    assert {"race_ethnicity", "sex", "age_group"} <= set(rl.ranking.columns)
    assert int(rl.ranking["selected"].sum()) == r.evaluation_["k"].iloc[-1]
