"""Dosage: support classed on the program period; a before/after comparison group that means something."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench import dosage
from workbench.dosage.change import _finish
from workbench.synth import generate_city


def test_victims_program_match_a_direct_count(tiny_dataset):
    ds = tiny_dataset
    ps = dosage.infer_program_start(ds)
    c = dosage.dose_counts(ds, exposure_radius_m=None).set_index("area_id")
    assert c.attrs["program_start"] == ps
    inc = ds["incidents"].assign(area_id=dosage.incident_areas(ds))
    v = ds["victimizations"].merge(inc.loc[inc["kind"] != "shots_fired"], on="incident_id")
    want = v.loc[v["occurred_at"] >= ps].groupby("area_id").size()
    got = c["victims_program"]
    assert got.sum() == want.sum() and (got.reindex(want.index) == want).all()
    assert (c["victims_program"] <= c["victims"]).all()


def _counts(victims, victims_program, visits, seed=0):
    n = len(victims)
    rng = np.random.default_rng(seed)
    pop = np.full(n, 5000.0)
    shoot = np.asarray(victims, float)
    return pd.DataFrame({"area_id": [f"A{i}" for i in range(n)], "period": "all", "population": pop,
                         "resident_years": pop * 6, "shootings": shoot,
                         "patrol_hours": (0.1 + 40 * shoot / pop) * pop * rng.uniform(0.9, 1.1, n),
                         "victims": victims, "victims_program": victims_program,
                         "coresponder_visits": visits, "police_contacts": np.nan})


@pytest.mark.parametrize("seed", range(3))
def test_area_shot_before_the_program_is_not_underserved(seed):
    """Areas A0-A2 had nine in ten of their victims before the program, which then served every
    victim it could; A3-A5 really are served at a fifth of the rate. On the whole window A0-A2
    look underserved too; on the program period (the default) only A3-A5 are."""
    rng = np.random.default_rng(seed)
    n = 30
    after = rng.integers(40, 80, n).astype(float)
    victims = after * 2
    visits = after * rng.uniform(0.8, 1.2, n)
    victims[:3] = after[:3] * 10
    visits[3:6] = after[3:6] * 0.2
    c = _counts(victims, after, visits, seed)
    low = ("underserved", "over-policed and underserved")
    prog = dosage.balance(c, seed=seed).table.set_index("area_id")
    whole = dosage.balance(c, seed=seed, support_period="window").table.set_index("area_id")
    assert whole.loc[["A0", "A1", "A2"], "class"].isin(low).all()
    assert not prog.loc[["A0", "A1", "A2"], "class"].isin(low).any()
    assert prog.loc[["A3", "A4", "A5"], "class"].isin(low).all()
    assert set(prog.index[prog["class"].isin(low)]) == {"A3", "A4", "A5"}
    assert (prog["support_victims"] == c["victims_program"].to_numpy()).all()


def _areas(before_r, after_r, before_c, after_c):
    rows = []
    for g, b, a in (("reached", before_r, after_r), ("not reached", before_c, after_c)):
        for i, (x, y) in enumerate(zip(b, a)):
            rows.append({"area_id": f"{g[0]}{i}", "group": g, "before": float(x), "after": float(y),
                         "resident_years_before": 5000.0, "resident_years_after": 5000.0})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("seed", range(4))
def test_comparison_group_must_have_areas_and_events(seed):
    rng = np.random.default_rng(seed)
    rb, ra = rng.poisson(8, 8), rng.poisson(8, 8)
    ps = pd.Timestamp("2024-01-01", tz="UTC")
    # the old loophole: three comparison areas with no shooting before the start
    three = _finish(_areas(rb, ra, [0, 0, 0], rng.poisson(3, 3)), ps, "shootings", 5, 200, 0.9, seed)
    assert three.did is None and "fewer than 5 areas" in three.reason
    old = _finish(_areas(rb, ra, [0, 0, 0], rng.poisson(3, 3)), ps, "shootings", 3, 200, 0.9, seed, 0)
    assert old.did is not None  # what the old defaults accepted
    # enough areas but no shootings before the start in the comparison group
    empty = _finish(_areas(rb, ra, np.zeros(6), rng.poisson(3, 6)), ps, "shootings", 5, 200, 0.9, seed)
    assert empty.did is None and "not reached areas had 0 shootings before" in empty.reason
    ok = _finish(_areas(rb, ra, rng.poisson(6, 6), rng.poisson(6, 6)), ps, "shootings", 5, 200, 0.9, seed)
    assert ok.did is not None and ok.reason == ""


@pytest.mark.parametrize("seed", [1, 2])
def test_program_change_on_synthetic_cities_only_compares_supported_groups(seed):
    ds = generate_city("tiny", seed).dataset
    pc = dosage.program_change(ds, n_boot=100)
    g = pc.areas.groupby("group")
    if pc.did is not None:
        for name in ("reached", "not reached"):
            assert g.size()[name] >= 5
            assert g["before"].sum()[name] >= 10 and g["after"].sum()[name] >= 10
    else:
        assert pc.reason
