"""The rolling evaluation's fast paths equal their brute-force definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
