"""Police patrols of the synthetic city: hot-spot deployment with a gut-feel bias.

Time is cut into deployment cycles of ``patrol_cycle_days`` (28 days, a CompStat cycle). The
expected patrol hours in area ``a`` during cycle ``c`` are

    E[a, c] = b_a (h_0 pop_a / 1000 + h_s S[a, c]),

where ``S[a, c]`` is the number of incidents (shootings and shots fired) in the area during the
previous ``patrol_lag_cycles`` cycles (the hot spots the command staff looks at; before enough
history exists the missing cycles count at the area's whole-period mean), ``h_0`` the baseline
hours per 1,000 residents per cycle and ``h_s`` the hours per recent incident. ``b_a`` is the
gut-feel bias: a random ``patrol_biased_share`` of the areas (at least two), drawn uniformly
regardless of their risk, get ``b_a = patrol_bias_multiplier``; the others 1.

Shifts per area and cycle are ``Poisson(E / median shift hours)`` with lognormal lengths; stops
``Poisson(stops_per_hour x length)`` per shift, each stop an arrest with probability
``patrol_arrest_per_stop``, and ``Poisson(engagements_per_hour x length)`` community
engagement contacts. Events fall uniformly inside their shift. Everything is vectorized.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .params import Params

#: Minutes an event row lasts, by activity (stop, arrest, community engagement).
EVENT_MIN = {"stop": 15.0, "arrest": 90.0, "community_engagement": 30.0}


def biased_areas(n_areas: int, params: Params, rng: np.random.Generator) -> np.ndarray:
    """Indices of the areas patrolled more by gut feel (sorted)."""
    k = int(min(n_areas, max(2, round(params.patrol_biased_share * n_areas))))
    return np.sort(rng.choice(n_areas, size=k, replace=False))


def recent_incidents(inc_area: np.ndarray, inc_t: np.ndarray, n_areas: int, n_cycles: int,
                     params: Params) -> np.ndarray:
    """``S[a, c]``: incidents in area ``a`` during the ``patrol_lag_cycles`` cycles before ``c``."""
    L = int(params.patrol_lag_cycles)
    cyc = np.minimum((inc_t // params.patrol_cycle_days).astype(np.int64), n_cycles - 1)
    counts = np.zeros((n_areas, n_cycles))
    np.add.at(counts, (inc_area, cyc), 1.0)
    cs = np.concatenate([np.zeros((n_areas, 1)), np.cumsum(counts, axis=1)], axis=1)
    c = np.arange(n_cycles)
    lo = np.maximum(c - L, 0)
    s = cs[:, c] - cs[:, lo]
    missing = np.maximum(L - c, 0)  # cycles before the data start count at the area mean
    return s + counts.mean(axis=1, keepdims=True) * missing[None, :]


def make_patrols(inc_t: np.ndarray, inc_area: np.ndarray, population: np.ndarray, days: float,
                 params: Params, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    """Patrol and event rows in index form, plus their truth.

    Parameters
    ----------
    inc_t : ndarray
        Incident times (days since the period start), shootings and shots fired.
    inc_area : ndarray of int
        Area index of each incident.
    population : ndarray
        Residents per area.
    days : float
        Length of the period (days); rows end before it.
    params : Params
    rng : numpy.random.Generator

    Returns
    -------
    rows : DataFrame
        ``area`` (index), ``unit`` (str), ``start``, ``end`` (days), ``activity``; sorted by
        start.
    truth : dict
        ``biased_areas`` (indices), ``expected_hours`` per area over the period (with and
        without the bias).
    """
    n = population.size
    n_cycles = int(np.ceil(days / params.patrol_cycle_days))
    biased = biased_areas(n, params, rng)
    bias = np.ones(n)
    bias[biased] = params.patrol_bias_multiplier
    s = recent_incidents(inc_area, inc_t, n, n_cycles, params)
    need_hours = (params.patrol_base_hours_per_1k * population[:, None] / 1000.0
                  + params.patrol_hours_per_recent_incident * s)
    c0 = np.arange(n_cycles) * params.patrol_cycle_days
    cycle_len = np.minimum(c0 + params.patrol_cycle_days, days) - c0
    need_hours = need_hours * (cycle_len / params.patrol_cycle_days)[None, :]
    expected = bias[:, None] * need_hours

    med, sd = params.patrol_shift_hours
    n_shift = rng.poisson(expected / (med * np.exp(sd**2 / 2)))  # mean length = med e^{sd^2/2}
    area = np.repeat(np.repeat(np.arange(n), n_cycles), n_shift.ravel())
    cyc = np.repeat(np.tile(np.arange(n_cycles), n), n_shift.ravel())
    hours = np.minimum(med * np.exp(sd * rng.standard_normal(area.size)), 12.0)
    start = c0[cyc] + rng.random(area.size) * cycle_len[cyc]
    start = np.floor(np.minimum(start, days - hours / 24.0) * 96.0) / 96.0  # quarter hours
    end = start + hours / 24.0
    units_per_district = 2
    unit_no = (area // 4) * units_per_district + rng.integers(0, units_per_district, area.size)

    n_stop = rng.poisson(params.patrol_stops_per_hour * hours)
    n_eng = rng.poisson(params.patrol_engagements_per_hour * hours)
    parent = np.concatenate([np.repeat(np.arange(area.size), n_stop),
                             np.repeat(np.arange(area.size), n_eng)])
    is_stop = np.arange(parent.size) < n_stop.sum()
    arrest = is_stop & (rng.random(parent.size) < params.patrol_arrest_per_stop)
    ev_act = np.where(arrest, "arrest", np.where(is_stop, "stop", "community_engagement"))
    ev_min = np.where(arrest, EVENT_MIN["arrest"],
                      np.where(is_stop, EVENT_MIN["stop"], EVENT_MIN["community_engagement"]))
    ev_start = start[parent] + rng.random(parent.size) * (end[parent] - start[parent])
    ev_end = np.minimum(ev_start + ev_min / 1440.0, days)

    rows = pd.DataFrame({
        "area": np.concatenate([area, area[parent]]),
        "unit_no": np.concatenate([unit_no, unit_no[parent]]),
        "start": np.concatenate([start, ev_start]),
        "end": np.concatenate([end, ev_end]),
        "activity": np.concatenate([np.full(area.size, "patrol", dtype=object), ev_act.astype(object)]),
    })
    rows = rows.iloc[np.argsort(rows["start"].to_numpy(), kind="stable")].reset_index(drop=True)
    labels = np.char.add("Unit ", (np.arange(unit_no.max() + 1 if unit_no.size else 1) + 1).astype(str))
    rows["unit"] = labels.astype(object)[rows.pop("unit_no").to_numpy()]
    truth = {
        "biased_areas": biased,
        "expected_hours": expected.sum(axis=1),
        "expected_hours_without_bias": need_hours.sum(axis=1),
        "cycles": n_cycles,
    }
    return rows, truth
