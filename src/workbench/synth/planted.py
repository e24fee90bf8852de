"""Planted recent spots: known "now" patterns added at the end of the demo city's period.

The Hawkes process gives realistic but unplanned recent patterns. To prove that the report's *Now*
block names what it should, a city whose scale sets ``plant_recent`` gets two planted patterns
on top of the simulated shootings (own random stream; nothing else changes):

- an **emerging spot**: non-fatal shootings in one area of average background risk, in the last
  three 28-day steps before the end of the incidents (``EMERGING_COUNTS`` per step, most recent
  last), so the area turns into a new/consecutive hot spot;
- a **recent near-repeat chain**: ``CHAIN_SIZE`` non-fatal shootings within ``CHAIN_RADIUS_M``
  meters of each other in the last ``CHAIN_DAYS`` days, in the area with the most schools and
  parks, attended by police only and never referred (a co-response gap).

Each planted shooting has one new victim (a resident of the area who is in no co-arrest network)
and one police response; emerging-spot shootings every second one also a victim advocate.
Their parents' ``parent_type`` is ``"planted"``. ``truth["planted"]`` names the areas and ids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from .geography import Geography, sample_in_areas

#: Planted emerging-spot shootings per 28-day step, the last three steps (oldest first).
EMERGING_COUNTS: tuple[int, ...] = (2, 4, 6)
STEP_DAYS = 28.0
CHAIN_SIZE = 4
CHAIN_DAYS = 6.0
CHAIN_RADIUS_M = 120.0


def _neighbours(geo: Geography) -> np.ndarray:
    """Number of touching areas per area."""
    tree = shapely.STRtree(geo.polygons)
    src, dst = tree.query(geo.polygons, predicate="intersects")
    keep = src != dst
    return np.bincount(src[keep], minlength=geo.n)


def choose_areas(geo: Geography, weight: np.ndarray, places: pd.DataFrame) -> tuple[int, int]:
    """(emerging area, chain area) indices.

    The emerging area is the one with the median background weight among areas with at least five
    neighbours (an ordinary place, not already a hot spot); the chain area has the most schools
    and parks among the other areas that do not touch the emerging one.
    """
    nb = _neighbours(geo)
    inner = np.flatnonzero(nb >= 5)
    order = inner[np.argsort(weight[inner], kind="stable")]
    emerging = int(order[order.size // 2])
    touching = shapely.intersects(geo.polygons, geo.polygons[emerging])
    kind_ok = places["kind"].isin(["school", "park"]).to_numpy()
    n_sp = np.bincount(places["area"].to_numpy()[kind_ok], minlength=geo.n).astype(float)
    n_sp[touching] = -1
    n_sp[nb < 3] = -1
    chain = int(np.argmax(n_sp + weight / (weight.max() + 1e-12) * 0.5))  # ties: the busier area
    return emerging, chain


def plant_recent(geo: Geography, weight: np.ndarray, places: pd.DataFrame, horizon: float,
                 rng: np.random.Generator) -> dict:
    """Times (days), coordinates (meters) and areas of the planted shootings.

    Parameters
    ----------
    geo : Geography
    weight : ndarray
        Background victim weight per area.
    places : DataFrame
        Places in index form (``kind``, ``area``).
    horizon : float
        Last possible incident time, days since the start.
    rng : numpy.random.Generator

    Returns
    -------
    dict
        ``t``, ``x``, ``y``, ``area`` (arrays), ``pattern`` ('emerging' / 'near_repeat' per
        shooting), ``emerging_area``, ``chain_area`` (indices).
    """
    emerging, chain = choose_areas(geo, weight, places)
    counts = np.asarray(EMERGING_COUNTS)
    step = np.repeat(np.arange(counts.size), counts)
    t_e = horizon - (counts.size - step - rng.uniform(0.05, 0.95, step.size)) * STEP_DAYS
    x_e, y_e = sample_in_areas(geo, np.full(step.size, emerging), rng)
    # the chain: a seed point inside the chain area, the rest within CHAIN_RADIUS_M of it
    poly = geo.polygons[chain]
    c = shapely.centroid(poly)
    if not shapely.contains(poly, c):
        c = shapely.point_on_surface(poly)
    x0, y0 = np.array([shapely.get_x(c)]), np.array([shapely.get_y(c)])
    x_c, y_c = np.repeat(x0, CHAIN_SIZE), np.repeat(y0, CHAIN_SIZE)
    todo = np.arange(1, CHAIN_SIZE)
    for _ in range(100):  # rejection: offsets that stay inside the area
        if todo.size == 0:
            break
        ang = rng.uniform(0, 2 * np.pi, todo.size)
        rad = CHAIN_RADIUS_M * np.sqrt(rng.uniform(0.05, 1.0, todo.size))
        tx, ty = x0[0] + rad * np.cos(ang), y0[0] + rad * np.sin(ang)
        ok = shapely.contains_xy(poly, tx, ty)
        x_c[todo[ok]], y_c[todo[ok]] = tx[ok], ty[ok]
        todo = todo[~ok]
    t_c = horizon - CHAIN_DAYS + np.sort(rng.uniform(0.0, CHAIN_DAYS - 0.2, CHAIN_SIZE))
    return {
        "t": np.concatenate([t_e, t_c]),
        "x": np.concatenate([x_e, x_c]),
        "y": np.concatenate([y_e, y_c]),
        "area": np.concatenate([np.full(t_e.size, emerging), np.full(t_c.size, chain)]),
        "pattern": np.array(["emerging"] * t_e.size + ["near_repeat"] * t_c.size, dtype=object),
        "emerging_area": emerging,
        "chain_area": chain,
    }


def _next_ids(existing: pd.Series, prefix: str, n: int) -> np.ndarray:
    """``n`` new ids after the largest existing one, same zero padding."""
    width = max((len(str(v)) - len(prefix) for v in existing.iloc[:1]), default=6)
    last = int(existing.str.slice(len(prefix)).astype(np.int64).max()) if len(existing) else 0
    return np.asarray([f"{prefix}{k:0{width}d}" for k in range(last + 1, last + 1 + n)], dtype=object)


def append_planted(tables: dict[str, pd.DataFrame], parents: pd.DataFrame, plan: dict, start: pd.Timestamp,
                   area_ids: np.ndarray, lonlat: tuple[np.ndarray, np.ndarray], rng: np.random.Generator
                   ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict]:
    """Add the planted shootings (from :func:`plant_recent`) to the contract tables.

    Returns
    -------
    tables : dict
        ``incidents``, ``people``, ``victimizations``, ``responses`` with the planted rows.
    parents : DataFrame
        With one ``"planted"`` row per planted victimization.
    truth : dict
        What ``truth["planted"]`` records.
    """
    n = plan["t"].size
    tz = start.tz
    secs = np.round(plan["t"] * 86400.0).astype(np.int64)
    when = pd.Series(start + pd.to_timedelta(secs, unit="s")).astype(f"datetime64[ns, {tz}]")
    inc = tables["incidents"]
    inc_ids = _next_ids(inc["incident_id"], "I", n)
    new_inc = pd.DataFrame({"incident_id": inc_ids, "occurred_at": when.to_numpy(),
                            "lon": lonlat[0], "lat": lonlat[1], "kind": "nonfatal_shooting"})
    new_inc["occurred_at"] = when.to_numpy()
    people = tables["people"]
    pid = _next_ids(people["person_id"], "P", n)
    home = area_ids[plan["area"]]
    pool = people.set_index("home_area_id")
    rows = []
    for a in home:  # a dozen rows: template residents of the same area
        cand = pool.loc[[a]] if a in pool.index else people
        rows.append(cand.iloc[int(rng.integers(0, len(cand)))])
    tmpl = pd.DataFrame(rows).reset_index(drop=True)
    age = rng.integers(16, 36, n)
    new_people = pd.DataFrame({
        "person_id": pid,
        "birth_year": pd.array(when.dt.year.to_numpy() - age, dtype="Int64"),
        "sex": tmpl["sex"].to_numpy(),
        "race_ethnicity": tmpl["race_ethnicity"].to_numpy(),
        "home_area_id": home,
    })
    new_vic = pd.DataFrame({"incident_id": inc_ids, "person_id": pid, "fatal": np.zeros(n, bool)})
    resp = tables["responses"]
    advocate = (plan["pattern"] == "emerging") & (np.arange(n) % 2 == 1)
    r_inc = np.concatenate([inc_ids, inc_ids[advocate]])
    r_type = np.array(["police"] * n + ["victim_advocate"] * int(advocate.sum()), dtype=object)
    r_t = np.concatenate([plan["t"], plan["t"][advocate]])
    arrive = r_t + rng.uniform(4, 15, r_t.size) / 1440.0
    depart = arrive + rng.uniform(20, 90, r_t.size) / 1440.0
    agency = np.where(r_type == "police", "Police Department", "Victim Services")
    order = np.lexsort((r_type != "police", r_inc))

    def stamp(days):
        s = np.round(np.asarray(days) * 86400.0).astype(np.int64)
        return pd.Series(start + pd.to_timedelta(s, unit="s")).astype(f"datetime64[ns, {tz}]").to_numpy()

    new_resp = pd.DataFrame({
        "response_id": _next_ids(resp["response_id"], "R", r_t.size),
        "incident_id": r_inc[order], "responder_type": r_type[order], "agency": agency[order].astype(object),
        "arrived_at": stamp(arrive[order]), "departed_at": stamp(depart[order]),
    })
    out = dict(tables)
    out["incidents"] = pd.concat([inc, new_inc], ignore_index=True)
    out["people"] = pd.concat([people, new_people], ignore_index=True)
    out["victimizations"] = pd.concat([tables["victimizations"], new_vic], ignore_index=True)
    out["responses"] = pd.concat([resp, new_resp], ignore_index=True)
    for k in ("incidents", "people", "victimizations", "responses"):
        for c, dt in tables[k].dtypes.items():
            out[k][c] = out[k][c].astype(dt)
    new_par = pd.DataFrame({"incident_id": inc_ids, "person_id": pid, "parent_type": "planted",
                            "parent_incident_id": None, "parent_person_id": None,
                            "generation": np.zeros(n, np.int64), "primary": np.ones(n, bool)})
    par = pd.concat([parents, new_par.astype(parents.dtypes.to_dict())], ignore_index=True)
    truth = {
        "note": "shootings planted on top of the simulation near the end of the period: an emerging spot "
                f"({'/'.join(map(str, EMERGING_COUNTS))} shootings in the last three {STEP_DAYS:g}-day steps) "
                f"and a near-repeat chain of {CHAIN_SIZE} shootings within {CHAIN_RADIUS_M:g} m in the last "
                f"{CHAIN_DAYS:g} days, police only and never referred; parent_type 'planted'",
        "emerging_area": str(area_ids[plan["emerging_area"]]),
        "chain_area": str(area_ids[plan["chain_area"]]),
        "emerging_incident_ids": [str(i) for i in inc_ids[plan["pattern"] == "emerging"]],
        "chain_incident_ids": [str(i) for i in inc_ids[plan["pattern"] == "near_repeat"]],
    }
    return out, par, truth
