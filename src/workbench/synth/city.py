"""Assemble the synthetic city: contract tables, truth and parent links.

:func:`generate_city` runs geography -> people and co-arrests -> shootings (Hawkes) ->
responses -> referrals -> follow-ups, then turns index-form tables into contract tables with
readable string ids and tz-aware timestamps. :func:`write_city` writes the contract folder
plus ``truth.json`` and ``truth_parents.parquet``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from workbench.data.dataset import Dataset

from . import hawkes
from .geography import make_geography, make_places, sample_in_areas, to_wgs84
from .names import area_names
from .planted import append_planted, plant_recent
from .params import Params
from .population import make_population, network_summary
from .residents import residents_by_group, victims_truth
from .scales import SCALES, Scale
from .patrols import make_patrols
from .services import make_family, make_followups, make_referrals, make_responses

#: Id prefixes by table (numbers are zero-padded to a width fixed by the row count).
ID_PREFIXES: dict[str, str] = {
    "areas": "A", "places": "L", "incidents": "I", "people": "P", "arrests": "AR",
    "responses": "R", "referrals": "F", "followups": "FU", "patrols": "PT",
}
_MIN_WIDTH = {"areas": 4, "places": 4, "incidents": 6, "people": 6, "arrests": 6,
              "responses": 6, "referrals": 6, "followups": 6, "patrols": 6}
DEFAULT_SEED = 20261125


@dataclass
class SyntheticCity:
    """A synthetic city with known truth.

    Attributes
    ----------
    dataset : workbench.data.dataset.Dataset
        All ten contract tables (with ``patrols``).
    truth : dict
        Every generating parameter plus realized summaries (JSON-serializable).
    parents : pandas.DataFrame
        One row per victimization: ``incident_id``, ``person_id``, ``parent_type``
        (background / near_repeat / contagion), ``parent_incident_id``, ``parent_person_id``
        (the infector, contagion only), ``generation``, ``primary`` (primary victim of the
        incident; co-victims inherit the incident's parent).
    engagement : pandas.DataFrame
        Latent follow-up truth per referral: ``referral_id``, ``log_hazard``, ``duration``
        (days from referral to engagement, decline or censoring), ``outcome`` (engaged /
        declined / censored), ``age``.
    """

    dataset: Dataset
    truth: dict
    parents: pd.DataFrame
    engagement: pd.DataFrame = field(default_factory=pd.DataFrame)


def _ids(table: str, n: int) -> np.ndarray:
    if n == 0:  # a small city can have no referrals (or follow-ups, patrols...)
        return np.array([], dtype=object)
    width = max(_MIN_WIDTH[table], len(str(n)))
    return np.char.add(ID_PREFIXES[table], np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _timestamps(start: pd.Timestamp, days: np.ndarray) -> pd.Series:
    """tz-aware timestamps ``start + days`` (rounded to whole seconds, absolute time)."""
    secs = np.round(np.asarray(days, dtype=float) * 86400.0).astype(np.int64)
    return pd.Series(start + pd.to_timedelta(secs, unit="s")).astype(f"datetime64[ns, {start.tz}]")


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return None if not np.isfinite(obj) else round(float(obj), 10)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def resolve(scale: str | Scale, overrides: dict) -> tuple[Scale, Params]:
    """Scale preset and parameters with ``overrides`` applied (fields of either)."""
    sc = SCALES[scale] if isinstance(scale, str) else scale
    s_fields = {f.name for f in dataclasses.fields(Scale)}
    p_fields = {f.name for f in dataclasses.fields(Params)}
    unknown = set(overrides) - s_fields - p_fields
    if unknown:
        raise TypeError(f"unknown synthetic-city parameter(s): {', '.join(sorted(unknown))}")
    sc = dataclasses.replace(sc, **{k: v for k, v in overrides.items() if k in s_fields})
    params = Params(**{k: v for k, v in overrides.items() if k in p_fields})
    return sc, params


def generate_city(scale: str | Scale = "demo", seed: int = DEFAULT_SEED, incidents: int | None = None,
                  **overrides) -> SyntheticCity:
    """Generate a synthetic city with known truth.

    Parameters
    ----------
    scale : {"tiny", "demo", "city"} or Scale
        Preset from :data:`~workbench.synth.scales.SCALES` (or a custom :class:`Scale`).
    seed : int
        Seed of every random draw; the same seed gives identical tables.
    incidents : int, optional
        Expected number of incidents (shootings plus shots fired). The shootings follow the
        scale; ``shots_fired_ratio`` is set so that the shots fired make up the rest (for
        large-input benchmarks: ``generate_city("city", incidents=2_000_000)``; vectorized).
    **overrides
        Any field of :class:`Scale` or :class:`~workbench.synth.params.Params`
        (``contagion_branching=0.5``, ``years=2``, ...).

    Returns
    -------
    SyntheticCity
    """
    sc, params = resolve(scale, overrides)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    tz = params.timezone
    start = pd.Timestamp(sc.start, tz=tz)
    start_year = start.year
    doy0 = float(start.dayofyear - 1)
    data_end_days = sc.days
    horizon = float(np.floor(sc.days) - 1.0)  # incidents stop a day early: responses complete
    program_t = float(np.floor(params.program_start_fraction * sc.days))

    geo = make_geography(sc, params, rngs[0])
    places = make_places(geo, params, rngs[0])
    popn = make_population(sc, params, geo, rngs[1])

    p_plus = hawkes.p_transmitting(popn)
    unit = hawkes.expected_counts(params, 1.0, horizon, doy0, p_plus)
    mu0 = sc.target_victimizations / unit["victimizations"]
    expected = hawkes.expected_counts(params, mu0, horizon, doy0, p_plus)
    if incidents is not None:
        ratio = max(0.0, float(incidents) / expected["incidents"] - 1.0)
        params = dataclasses.replace(params, shots_fired_ratio=ratio)
    shoot = hawkes.simulate(geo, popn, params, mu0, horizon, doy0, rngs[2])

    # shots fired without a victim: seasonal background placed by disadvantage-weighted population
    rng = rngs[3]
    a = params.season_amplitude
    n_cand = rng.poisson(params.shots_fired_ratio * expected["incidents"] / horizon * (1 + a) * horizon)
    t_sf = rng.uniform(0, horizon, n_cand)
    t_sf = t_sf[rng.random(n_cand) * (1 + a) < hawkes.season(t_sf, params, doy0)]
    w_area = geo.population * np.exp(params.beta_disadvantage * geo.disadvantage)
    sf_area = rng.choice(geo.n, size=t_sf.size, p=w_area / w_area.sum())
    sf_x, sf_y = sample_in_areas(geo, sf_area, rng)

    # ---- incidents -----------------------------------------------------------------------
    si = shoot.incidents
    sv = shoot.victimizations
    n_sh = len(si)
    t_all = np.concatenate([si["t"].to_numpy(), t_sf])
    t_all = np.round(t_all * 86400.0) / 86400.0
    order = np.argsort(t_all, kind="stable")  # final row -> original row
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)  # original row -> final row
    inc_ids = _ids("incidents", order.size)
    x_all = np.concatenate([si["x"].to_numpy(), sf_x])[order]
    y_all = np.concatenate([si["y"].to_numpy(), sf_y])[order]
    lon, lat = to_wgs84(params).transform(x_all, y_all)
    any_fatal = np.zeros(order.size, bool)
    np.logical_or.at(any_fatal, sv["incident"].to_numpy(), sv["fatal"].to_numpy())
    kind = np.where(np.arange(order.size) >= n_sh, "shots_fired",
                    np.where(any_fatal, "fatal_shooting", "nonfatal_shooting")).astype(object)[order]
    t_final = t_all[order]
    incidents = pd.DataFrame({
        "incident_id": inc_ids,
        "occurred_at": _timestamps(start, t_final),
        "lon": np.asarray(lon, dtype=float),
        "lat": np.asarray(lat, dtype=float),
        "kind": kind,
    })
    has_victim = kind != "shots_fired"

    # ---- responses, family, referrals, follow-ups ----------------------------------------
    rng = rngs[4]
    resp = make_responses(t_final, has_victim, program_t, params, rng)
    vic = pd.DataFrame({"incident": rank[sv["incident"].to_numpy()], "person": sv["person"].to_numpy(),
                        "fatal": sv["fatal"].to_numpy(), "primary": sv["primary"].to_numpy()})
    served = np.unique(resp.loc[resp["responder_type"] != "police", "incident"].to_numpy())
    prim = vic[vic["primary"]].set_index("incident")["person"]
    prim_person = prim.reindex(served).to_numpy()
    fam = make_family(served, kind[served] == "fatal_shooting", popn.area[prim_person],
                      popn.race[prim_person], start_year, params, rngs[5])
    fam["person"] = popn.n + np.arange(len(fam))
    ref = make_referrals(resp, vic, fam[["incident", "person"]], params, rngs[5])
    birth_year = np.concatenate([popn.birth_year, fam["birth_year"].to_numpy()])
    age = start_year + ref["referred"].to_numpy() / 365.25 - birth_year[ref["person"].to_numpy()]
    att, latent = make_followups(ref, age, data_end_days, params, rngs[6])

    # ---- people --------------------------------------------------------------------------
    area_all = np.concatenate([popn.area, fam["area"].to_numpy()])
    sex_all = np.concatenate([popn.sex, fam["sex"].to_numpy()])
    race_all = np.concatenate([popn.race, fam["race"].to_numpy()])
    appear = np.zeros(area_all.size, bool)
    appear[: popn.n_network] = True
    appear[vic["person"].to_numpy()] = True
    appear[ref["person"].to_numpy()] = True
    who = np.flatnonzero(appear)
    perm = rngs[7].permutation(who.size)  # pseudonymous: ids in random order
    pid = np.full(area_all.size, None, dtype=object)
    pid[who] = _ids("people", who.size)[perm]
    area_ids = _ids("areas", geo.n)
    people = pd.DataFrame({
        "person_id": pid[who],
        "birth_year": pd.array(birth_year[who], dtype="Int64"),
        "sex": sex_all[who],
        "race_ethnicity": race_all[who],
        "home_area_id": area_ids[area_all[who]],
    }).sort_values("person_id", kind="stable").reset_index(drop=True)

    victimizations = pd.DataFrame({
        "incident_id": inc_ids[vic["incident"].to_numpy()],
        "person_id": pid[vic["person"].to_numpy()],
        "fatal": vic["fatal"].to_numpy().astype(bool),
    })
    vorder = np.lexsort((victimizations["person_id"].to_numpy(), victimizations["incident_id"].to_numpy()))
    victimizations = victimizations.iloc[vorder].reset_index(drop=True)

    ar = popn.arrests
    arrest_ids = _ids("arrests", int(ar["group"].max()) + 1)
    arrests = pd.DataFrame({
        "arrest_id": arrest_ids[ar["group"].to_numpy()],
        "person_id": pid[ar["person"].to_numpy()],
        "arrested_at": _timestamps(start, ar["t"].to_numpy()),
        "offense_category": ar["offense"].to_numpy(),
    })
    arrests = arrests.iloc[np.lexsort((arrests["person_id"].to_numpy(), arrests["arrest_id"].to_numpy()))]
    arrests = arrests.reset_index(drop=True)

    resp_ids = _ids("responses", len(resp))
    responses = pd.DataFrame({
        "response_id": resp_ids,
        "incident_id": inc_ids[resp["incident"].to_numpy()],
        "responder_type": resp["responder_type"].to_numpy().astype(object),
        "agency": resp["agency"].to_numpy(),
        "arrived_at": _timestamps(start, resp["arrived"].to_numpy()),
        "departed_at": _timestamps(start, resp["departed"].to_numpy()),
    })
    ref_ids = _ids("referrals", len(ref))
    referrals = pd.DataFrame({
        "referral_id": ref_ids,
        "response_id": resp_ids[ref["response"].to_numpy()],
        "person_id": pid[ref["person"].to_numpy()],
        "service": ref["service"].to_numpy(),
        "provider": ref["provider"].to_numpy(),
        "referred_at": _timestamps(start, ref["referred"].to_numpy()),
    })
    followups = pd.DataFrame({
        "followup_id": _ids("followups", len(att)),
        "referral_id": ref_ids[att["referral"].to_numpy()],
        "attempted_at": _timestamps(start, att["attempted"].to_numpy()),
        "outcome": att["outcome"].to_numpy(),
    })

    # ---- patrols (own random stream: spawn key 8 leaves the other tables unchanged) --------
    inc_area = np.concatenate([si["area"].to_numpy(), sf_area])[order]
    prng = np.random.default_rng(np.random.SeedSequence(seed).spawn(9)[8])
    pat, pat_truth = make_patrols(t_final, inc_area, geo.population.astype(float), data_end_days,
                                  params, prng)
    patrols = pd.DataFrame({
        "patrol_id": _ids("patrols", len(pat)) if len(pat) else np.array([], dtype=object),
        "unit": pat["unit"].to_numpy(),
        "area_id": area_ids[pat["area"].to_numpy()],
        "started_at": _timestamps(start, pat["start"].to_numpy()),
        "ended_at": _timestamps(start, pat["end"].to_numpy()),
        "activity": pat["activity"].to_numpy(),
    })

    # ---- geo tables ----------------------------------------------------------------------
    attrs = geo.attributes
    # area names from their own random stream (spawn key 9): the other tables stay unchanged
    nrng = np.random.default_rng(np.random.SeedSequence(seed).spawn(10)[9])
    areas = gpd.GeoDataFrame({
        "area_id": area_ids,
        "name": area_names(geo.n, nrng),
        "geometry": gpd.GeoSeries(geo.polygons, crs=params.crs).to_crs("EPSG:4326").to_numpy(),
        "population": pd.array(attrs["population"], dtype="Int64"),
        "households": pd.array(attrs["households"], dtype="Int64"),
        "unemployment_rate": attrs["unemployment_rate"].astype(float).to_numpy(),
        "food_insecurity_rate": attrs["food_insecurity_rate"].astype(float).to_numpy(),
        "vacancy_rate": attrs["vacancy_rate"].astype(float).to_numpy(),
        "median_income": attrs["median_income"].astype(float).to_numpy(),
        "children": pd.array(attrs["children"], dtype="Int64"),
    }, geometry="geometry", crs="EPSG:4326")
    # residents by sex, race and age band from their own random stream (spawn key 11)
    rrng = np.random.default_rng(np.random.SeedSequence(seed).spawn(12)[11])
    by_group = residents_by_group(attrs["population"].to_numpy(), attrs["children"].to_numpy(),
                                  geo.disadvantage, rrng)
    for c in by_group.columns:
        areas[c] = pd.array(by_group[c].to_numpy(), dtype="Int64")
    places_gdf = gpd.GeoDataFrame({
        "place_id": _ids("places", len(places)),
        "kind": places["kind"].to_numpy(),
        "name": places["name"].to_numpy(),
        "geometry": gpd.points_from_xy(places["x"], places["y"], crs=params.crs).to_crs("EPSG:4326"),
    }, geometry="geometry", crs="EPSG:4326")

    # ---- parents -------------------------------------------------------------------------
    inc_origin = si["origin"].to_numpy()[sv["incident"].to_numpy()]
    inc_parent = si["parent"].to_numpy()[sv["incident"].to_numpy()]
    par_person = sv["parent_person"].to_numpy()
    parents = pd.DataFrame({
        "incident_id": inc_ids[vic["incident"].to_numpy()],
        "person_id": pid[vic["person"].to_numpy()],
        "parent_type": hawkes.ORIGINS[inc_origin],
        "parent_incident_id": np.where(inc_parent >= 0, inc_ids[rank[np.maximum(inc_parent, 0)]], None),
        "parent_person_id": np.where(par_person >= 0, pid[np.maximum(par_person, 0)], None),
        "generation": si["generation"].to_numpy()[sv["incident"].to_numpy()].astype(np.int64),
        "primary": vic["primary"].to_numpy().astype(bool),
    }).iloc[vorder].reset_index(drop=True)
    parents["parent_incident_id"] = parents["parent_incident_id"].astype(object)
    parents["parent_person_id"] = parents["parent_person_id"].astype(object)

    engagement = pd.DataFrame({
        "referral_id": ref_ids, "log_hazard": latent["log_hazard"].to_numpy(),
        "duration": latent["duration"].to_numpy(), "outcome": latent["outcome"].to_numpy(),
        "age": age,
    })

    planted_truth = None
    if sc.plant_recent:  # own random stream (spawn key 10): the simulated tables stay unchanged
        plrng = np.random.default_rng(np.random.SeedSequence(seed).spawn(11)[10])
        w_bg = np.bincount(popn.area, weights=popn.weight, minlength=geo.n)
        plan = plant_recent(geo, w_bg, places, horizon, plrng)
        pl_lon, pl_lat = to_wgs84(params).transform(plan["x"], plan["y"])
        planted_tables, parents, planted_truth = append_planted(
            {"incidents": incidents, "people": people, "victimizations": victimizations,
             "responses": responses}, parents, plan, start, area_ids,
            (np.asarray(pl_lon, float), np.asarray(pl_lat, float)), plrng)
        incidents, people = planted_tables["incidents"], planted_tables["people"]
        victimizations, responses = planted_tables["victimizations"], planted_tables["responses"]

    dataset = Dataset(
        tables={"areas": areas, "places": places_gdf, "incidents": incidents, "people": people,
                "victimizations": victimizations, "arrests": arrests, "responses": responses,
                "referrals": referrals, "followups": followups, "patrols": patrols},
        timezone=tz, crs=params.crs, name=f"synthetic-{sc.name}",
        sources={t: f"synthetic:{sc.name}:{seed}" for t in
                 ("areas", "places", "incidents", "people", "victimizations", "arrests",
                  "responses", "referrals", "followups", "patrols")},
    )
    truth = _truth(sc, params, seed, start, data_end_days, horizon, program_t, doy0, mu0, p_plus,
                   expected, dataset, parents, popn, vic, t_final, shoot, rank, geo, engagement)
    truth["patrols"] = _patrol_truth(pat_truth, area_ids, pat)
    vp = vic["person"].to_numpy()
    truth["victims"] = victims_truth(
        popn.sex[vp], popn.race[vp], popn.birth_year[vp],
        pd.DatetimeIndex(_timestamps(start, t_final[vic["incident"].to_numpy()])),
        vic["fatal"].to_numpy(), by_group, data_end_days / 365.25)
    if planted_truth is not None:
        truth["planted"] = planted_truth
        # the planted victims are background to a person-level contagion model
        n_pl = len(victimizations) - len(vic)
        t_new = (incidents.set_index("incident_id").loc[victimizations["incident_id"].iloc[-n_pl:], "occurred_at"]
                 - start) / pd.Timedelta(days=1)
        contagion = (si["origin"].to_numpy()[sv["incident"].to_numpy()] == hawkes.CONTAGION) & vic["primary"].to_numpy()
        truth["realized"]["model_view"] = _realized_model_view(
            np.concatenate([contagion, np.zeros(n_pl, bool)]), np.concatenate([t_v_all(vic, t_final), t_new.to_numpy()]),
            doy0)
        truth["realized"]["model_view_note"] = "includes the planted victimizations (as background)"
    return SyntheticCity(dataset=dataset, truth=_jsonable(truth), parents=parents,
                         engagement=engagement)


def _patrol_truth(pt: dict, area_ids: np.ndarray, pat: pd.DataFrame) -> dict:
    """Truth of the patrols (``pat`` in index form: start/end in days)."""
    hours = (np.round(pat["end"].to_numpy() * 86400.0) - np.round(pat["start"].to_numpy() * 86400.0)) / 3600.0
    act = pat["activity"].to_numpy().astype(str)
    on = act == "patrol"
    codes, n = np.unique(act, return_counts=True)
    return {
        "note": "areas patrolled patrol_bias_multiplier times what their recent incidents call for "
                "(drawn at random regardless of risk); expected patrol hours over the period per area",
        "biased_areas": [str(a) for a in area_ids[pt["biased_areas"]]],
        "cycles": pt["cycles"],
        "expected_hours": dict(zip(area_ids, pt["expected_hours"])),
        "expected_hours_without_bias": dict(zip(area_ids, pt["expected_hours_without_bias"])),
        "realized": {
            "patrol_hours": float(hours[on].sum()),
            "activity": dict(zip(codes.tolist(), n.tolist())),
        },
    }


#: What ``expected.model_view`` and ``realized.model_view`` in ``truth.json`` mean.
MODEL_VIEW_NOTE = (
    "what a person-level contagion model (NetworkHawkes) should recover: contagion_share counts "
    "only primary victims of contagion incidents (the infector's contacts); near-repeat victims and "
    "all co-victims are background to such a model, so its background cycle is flatter and later "
    "than season_amplitude/season_peak_doy"
)


def t_v_all(vic: pd.DataFrame, t_final: np.ndarray) -> np.ndarray:
    """Time (days) of every simulated victimization."""
    return t_final[vic["incident"].to_numpy()]


def _realized_model_view(contagion: np.ndarray, t_v: np.ndarray, doy0: float) -> dict:
    """Realized counterpart of :func:`hawkes.expected_model_view`.

    Parameters
    ----------
    contagion : ndarray of bool
        Per victimization: the primary victim of a contagion incident.
    t_v : ndarray
        Per victimization (same rows): time, days since the start.
    doy0 : float
        Day of year of the start (0 = January 1).
    """
    if not contagion.size or contagion.all():
        return {"contagion_share": float(contagion.mean()) if contagion.size else 0.0,
                "background_season_amplitude": 0.0, "background_season_peak_doy": 0.0}
    z = np.exp(2j * np.pi * (doy0 + t_v[~contagion]) / hawkes.YEAR).mean()
    return {"contagion_share": float(contagion.mean()),
            "background_season_amplitude": float(2 * abs(z)),
            "background_season_peak_doy": float(np.angle(z) * hawkes.YEAR / (2 * np.pi) % hawkes.YEAR)}


def _truth(sc, params, seed, start, data_end_days, horizon, program_t, doy0, mu0, p_plus,
           expected, dataset, parents, popn, vic, t_final, shoot, rank, geo, engagement) -> dict:
    tables = dataset.tables
    n_vic = len(parents)
    simulated = parents[parents["parent_type"] != "planted"]  # shares of the Hawkes process itself
    share = simulated["parent_type"].value_counts(normalize=True).reindex(hawkes.ORIGINS, fill_value=0.0)
    in_net = vic["person"].to_numpy() < popn.n_network
    net = network_summary(popn, sc.residents)

    # infector -> infectee delays of contagion incidents
    si = shoot.incidents
    ct = si[si["origin"] == hawkes.CONTAGION]
    delay = (ct["t"].to_numpy() - si["t"].to_numpy()[ct["parent"].to_numpy()])

    # re-victimization among victims
    t_v = t_final[vic["incident"].to_numpy()]
    per = pd.DataFrame({"person": vic["person"].to_numpy(), "t": t_v}).sort_values(["person", "t"])
    first = per.groupby("person")["t"].first()
    second = per.groupby("person")["t"].nth(1)
    second = pd.Series(second.to_numpy(), index=per.loc[second.index, "person"].to_numpy())
    gap = (second - first.reindex(second.index)).reindex(first.index)
    eligible = first < (horizon - 365.0)
    resp = tables["responses"]
    fol = tables["followups"]
    exp_share = {k: expected[k] / expected["incidents"] for k in ("background", "near_repeat", "contagion")}
    model_view = hawkes.expected_model_view(params, mu0, horizon, doy0, p_plus)
    return {
        "seed": seed,
        "scale": sc.to_dict(),
        "params": params.to_dict(),
        "id_prefixes": ID_PREFIXES,
        "period": {
            "start": start.isoformat(),
            "end": (start + pd.Timedelta(days=data_end_days)).isoformat(),
            "incidents_end": (start + pd.Timedelta(days=horizon)).isoformat(),
            "days": data_end_days,
            "program_start": (start + pd.Timedelta(days=program_t)).isoformat(),
            "start_day_of_year": doy0,
        },
        "derived": {
            "background_rate_per_day": mu0,
            "background_rate_per_day_note": "incidents/day before seasonality, solved from target_victimizations",
            "p_transmitting": p_plus,
            "contagion_second_step_weight": 0.0,
            "areas": geo.n,
            "residents": int(geo.population.sum()),
        },
        "areas": {
            "note": "per area: latent disadvantage D (SD units) and share of the background victim weight of its residents",
            "disadvantage": dict(zip(tables["areas"]["area_id"], geo.disadvantage)),
            "background_weight": dict(zip(
                tables["areas"]["area_id"],
                np.bincount(popn.area, weights=popn.weight, minlength=geo.n))),
        },
        "expected": {
            "window": expected,
            "window_shares": exp_share,
            "stationary": hawkes.stationary(params, p_plus),
            "model_view": {**model_view, "note": MODEL_VIEW_NOTE},
        },
        "realized": {
            "counts": {name: int(len(df)) for name, df in tables.items()},
            "shooting_incidents": int((tables["incidents"]["kind"] != "shots_fired").sum()),
            "shots_fired": int((tables["incidents"]["kind"] == "shots_fired").sum()),
            "victimizations": n_vic,
            "fatal_share": float(tables["victimizations"]["fatal"].mean()) if n_vic else 0.0,
            "victims": int(vic["person"].nunique()),
            "shares": {k: float(v) for k, v in share.items()},
            "model_view": _realized_model_view(
                (si["origin"].to_numpy()[shoot.victimizations["incident"].to_numpy()] == hawkes.CONTAGION)
                & vic["primary"].to_numpy(), t_v, doy0),
            "share_victimizations_in_network": float(in_net.mean()) if n_vic else 0.0,
            "share_victims_in_network": float(
                pd.Series(in_net).groupby(vic["person"].to_numpy()).first().mean()) if n_vic else 0.0,
            "network": net,
            "generations": int(si["generation"].max()) if len(si) else 0,
            "contagion_delay_days_mean": float(delay.mean()) if delay.size else None,
            "revictimization": {
                "share_victims_repeat": float((per.groupby("person").size() > 1).mean()) if n_vic else 0.0,
                "share_within_365d": float((gap[eligible] <= 365.0).mean()) if eligible.any() else None,
                "eligible_victims_365d": int(eligible.sum()),
            },
            "responses_by_type": resp["responder_type"].value_counts().sort_index().to_dict(),
            "referrals": int(len(tables["referrals"])),
            "followup_outcomes": fol["outcome"].value_counts().sort_index().to_dict(),
            "engagement_outcomes": engagement["outcome"].value_counts().sort_index().to_dict(),
        },
    }


#: Version of the generating story. Bump it whenever a change alters what a seed generates, so
#: that folders generated by an older version are regenerated (see :func:`synthetic_meta`).
GENERATOR_VERSION = 5  # 3: truth.json gains model_view (same tables); 4: area names, planted recent spots (demo);
# 5: areas gain residents by group (population_<group>), truth.json gains "victims" (other tables unchanged)


def synthetic_meta(scale: str, seed: int) -> dict:
    """What ``dataset.json`` records of a synthetic folder's origin: scale, seed, generator version."""
    return {"scale": scale, "seed": int(seed), "generator": GENERATOR_VERSION}


def write_city(scale: str = "demo", seed: int = DEFAULT_SEED, out: str | Path = "data/demo",
               incidents: int | None = None, **overrides) -> Path:
    """Generate a city and write its contract folder plus the truth files.

    Writes ``<table>.parquet`` and ``dataset.json`` (via :meth:`Dataset.to_folder`),
    ``truth.json`` (every parameter and realized summary) and ``truth_parents.parquet`` (one
    row per victimization). The same seed gives byte-identical files.

    Returns
    -------
    pathlib.Path
        The output folder.
    """
    city = generate_city(scale, seed, incidents=incidents, **overrides)
    out = Path(out)
    dataset = city.dataset  # an empty table is left out: the contract reads absence, not emptiness
    dataset = dataclasses.replace(dataset, tables={k: v for k, v in dataset.tables.items() if len(v)})
    dataset.to_folder(out, extra_meta={"synthetic": synthetic_meta(city.truth["scale"]["name"],
                                                                        seed)})
    (out / "truth.json").write_text(json.dumps(city.truth, indent=2, sort_keys=True) + "\n")
    city.parents.to_parquet(out / "truth_parents.parquet", index=False, compression="zstd",
                            engine="pyarrow")
    return out
