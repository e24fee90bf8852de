"""Who is shot (workbench.sections.victims): truth recovery, suppression, Philadelphia."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.data.dataset import Dataset
from workbench.privacy import HIDDEN_TOTAL
from workbench.sections.victims import (AGE_GROUPS, group_population, period_bounds, rate_per_100k,
                                        victims_section)
from workbench.synth import generate_city

REPO = Path(__file__).resolve().parents[1]
PHILLY = REPO.parent / "shared" / "data" / "philadelphia"


def _raw(sec) -> dict[str, pd.Series]:
    r = sec.victimizations.assign(key=lambda d: d["dimension"] + ":" + d["group"]).set_index("key")
    return {c: r[c] for c in ("n", "fatal", "residents", "rate")}


@pytest.mark.parametrize("seed", [20261125, 3])
def test_synthetic_truth_is_recovered(seed):
    city = generate_city("tiny", seed)
    truth = city.truth["victims"]
    sec = victims_section(city.dataset, min_count=11)
    raw = _raw(sec)
    for key, n in truth["victimizations"].items():
        assert raw["n"][key] == n, key
        assert raw["fatal"][key] == truth["fatal"][key], key
    for key, res in truth["residents"].items():
        assert raw["residents"][key] == res, key
    assert sec.years == pytest.approx(truth["period_years"], rel=1e-6)
    for key, rate in truth["rate_per_100k_per_year"].items():
        assert raw["rate"][key] == pytest.approx(rate, rel=1e-6), key
    for pair, ratio in truth["rate_ratio"].items():
        a, b = pair.split("/")
        if ratio is not None:
            assert raw["rate"][a] / raw["rate"][b] == pytest.approx(ratio, rel=1e-6), pair
    # the generating story: men and young adults are shot far more often per resident
    assert truth["rate_ratio"]["sex:male/sex:female"] > 2
    assert truth["rate_ratio"]["age:18_24/age:45_64"] > 2


def test_residents_by_group_add_up_and_leave_the_other_tables_alone(synthetic_tiny):
    areas = synthetic_tiny.dataset["areas"]
    pop = areas["population"].astype(int)
    sexes = areas[["population_male", "population_female"]].astype(int).sum(axis=1)
    races = areas[[f"population_{r}" for r in ("black", "hispanic", "white", "asian", "other")]].astype(int).sum(axis=1)
    ages = areas[[f"population_age_{c}" for c, *_ in AGE_GROUPS]].astype(int).sum(axis=1)
    assert (sexes == pop).all() and (races == pop).all() and (ages == pop).all()
    assert (areas["population_age_under_18"] == areas["children"]).all()
    # the new columns come from their own stream: every other table as before (fixed figures of seed 20261125)
    t = synthetic_tiny.truth["realized"]
    assert t["victimizations"] == len(synthetic_tiny.dataset["victimizations"])
    assert sum(synthetic_tiny.truth["victims"]["victimizations"][f"sex:{s}"] for s in ("male", "female")) \
        == t["victimizations"]


def test_rates_survive_the_contract_folder(tiny_dataset, synthetic_tiny):
    sec = victims_section(tiny_dataset, min_count=11)
    assert "per 100,000 residents a year" in sec.item("race").table.columns
    assert _raw(sec)["residents"]["race:black"] == synthetic_tiny.truth["victims"]["residents"]["race:black"]


def _hidden(cells) -> np.ndarray:
    return np.array([isinstance(c, str) for c in cells])


@pytest.mark.parametrize("min_count", [11, 25])
def test_suppression_and_complementary_cells(synthetic_tiny, min_count):
    sec = victims_section(synthetic_tiny.dataset, min_count=min_count)
    cross = sec.item("age_sex").table.drop(columns="age group")
    # no count 1..min_count-1 is visible anywhere
    for it in sec.items:
        for col in [c for c in it.table.columns if c in ("victims", "Male", "Female", "All")]:
            vals = [v for v in it.table[col] if not isinstance(v, str)]
            assert all(v == 0 or v >= min_count for v in vals), (it.key, col)
    # every line (row with its total; column with its total) has zero or at least two hidden entries
    h = np.array([_hidden(cross[c]) for c in cross.columns]).T
    assert h.any()
    assert not (h.sum(axis=1) == 1).any() and not (h.sum(axis=0) == 1).any()
    race = sec.item("race").table
    assert _hidden(race["victims"]).sum() != 1
    # the age and sex tables are the margins of the age x sex table and hide the same cells
    assert list(sec.item("age").table["victims"]) == list(cross["All"])
    assert list(sec.item("sex").table["victims"]) == list(cross.iloc[-1, :])
    # derived figures of a hidden count are blank
    for key in ("age", "sex", "race"):
        t = sec.item(key).table
        gone = _hidden(t["victims"])
        for col in ("share of victims", "share fatal", "per 100,000 residents a year", "times the overall rate"):
            assert (t.loc[gone, col] == "").all(), (key, col)
    if min_count == 25:
        assert HIDDEN_TOTAL in set(cross.to_numpy().ravel()) | set(race["victims"])


def test_hidden_cells_cannot_be_recovered_by_linear_algebra(synthetic_tiny):
    """Brute force: every hidden cell of the age x sex table (with margins) is not fixed by the
    shown cells and the additive constraints (a hidden cell is determined iff its unit vector lies
    in the row space of the constraints restricted to hidden cells)."""
    min_count = 25
    sec = victims_section(synthetic_tiny.dataset, min_count=min_count)
    t = sec.item("age_sex").table.drop(columns="age group")
    h = np.array([_hidden(t[c]) for c in t.columns]).T
    r, c = h.shape
    idx = {cell: k for k, cell in enumerate(zip(*np.nonzero(h)))}
    rows = []
    for i in range(r):  # row i: cells - total = 0
        rows.append([(i, j, 1.0) for j in range(c - 1)] + [(i, c - 1, -1.0)])
    for j in range(c):
        rows.append([(i, j, 1.0) for i in range(r - 1)] + [(r - 1, j, -1.0)])
    a = np.zeros((len(rows), len(idx)))
    for k, line in enumerate(rows):
        for i, j, w in line:
            if (i, j) in idx:
                a[k, idx[(i, j)]] = w
    rank = np.linalg.matrix_rank(a)
    for k in range(len(idx)):
        e = np.zeros(len(idx))
        e[k] = 1.0
        assert np.linalg.matrix_rank(np.vstack([a, e])) > rank, "a hidden cell is recoverable"


def test_period_and_no_victims(synthetic_tiny):
    ds = synthetic_tiny.dataset
    lo, hi = period_bounds(ds)
    assert (lo.day, hi.day) == (1, 1) and lo.tzinfo is not None
    half = victims_section(ds, 11, start="2024-07-01")
    full = victims_section(ds, 11)
    assert 0 < _raw(half)["n"]["sex:male"] < _raw(full)["n"]["sex:male"]
    assert half.years == pytest.approx((hi - pd.Timestamp("2024-07-01", tz=ds.timezone)) / pd.Timedelta(days=365.25))
    empty = victims_section(ds, 11, start="2030-01-01")
    assert not any(i.available for i in empty.items)
    assert "cannot be described" in empty.readings[0]
    tables = {k: v for k, v in ds.tables.items() if k not in ("victimizations", "referrals", "followups")}
    no_vic = Dataset(tables=tables, timezone=ds.timezone, crs=ds.crs, name="no-victims")
    assert "no victim records" in victims_section(no_vic, 11).readings[0]


def test_rates_need_complete_group_columns(synthetic_tiny):
    areas = synthetic_tiny.dataset["areas"].copy()
    assert group_population(areas, "sex", "male") == areas["population_male"].astype(int).sum()
    areas.loc[0, "population_male"] = pd.NA
    assert np.isnan(group_population(areas, "sex", "male"))
    assert np.isnan(group_population(areas, "race", "unknown"))
    assert np.isnan(group_population(None, "age", "18_24"))
    np.testing.assert_allclose(rate_per_100k([10, 5, 1], [1000, 0, np.nan], 2.0), [500.0, np.nan, np.nan])


@pytest.mark.philadelphia
@pytest.mark.skipif(not PHILLY.is_dir(), reason=f"real data not found at {PHILLY}")
def test_philadelphia_shows_age_sex_and_race():
    from workbench.data import load_dataset

    ds = load_dataset(REPO / "parameters" / "philadelphia.yaml")
    sec = victims_section(ds, min_count=11)
    raw = _raw(sec)
    total = sum(raw["n"][k] for k in raw["n"].index if k.startswith("sex:"))
    assert 16_200 <= total <= 16_700
    assert 0.85 <= raw["n"]["sex:male"] / total <= 0.92
    assert 0.75 <= raw["n"]["race:black"] / total <= 0.85
    assert raw["n"]["age:18_24"] + raw["n"]["age:25_34"] > total / 2
    # independent count from the source files: victims under 18 by the published age
    src = pd.concat([pd.json_normalize(json.loads(p.read_text())["features"])
                     for p in sorted(PHILLY.glob("shootings_*.json"))])
    under = int((src["properties.age"] < 18).sum())
    assert abs(raw["n"]["age:under_18"] - under) <= 30
    for key, col in (("age", "age group"), ("sex", "sex"), ("race", "race/ethnicity")):
        t = sec.item(key).table
        assert t[col].iloc[-1] == "All" and t["victims"].iloc[-1] == total
        assert any(isinstance(v, int) and v > 1000 for v in t["victims"].iloc[:-1])
    assert "18-24" in list(sec.item("age").table["age group"])
    # no population by group: said plainly, no rate column
    assert "per 100,000 residents a year" not in sec.item("race").table.columns
    assert any("no residents by race/ethnicity" in r for r in sec.readings)
