"""Counts per area (and period): need, police dose and support dose.

Every count is attached to an area:

- shootings (incidents with a victim) and shots fired: by the incident's location (point in
  polygon);
- victims: victimizations at those shootings; *unserved* victims are victimizations whose
  person has no referral dated at or after the shooting;
- police dose: from ``patrols`` (patrol hours = sum of ``ended_at - started_at`` of ``patrol``
  rows; ``stop``, ``arrest`` and ``community_engagement`` rows counted) by the row's
  ``area_id``; a city without patrol records uses police responses at its incidents plus
  arrests of its residents (``people.home_area_id``) as the police-contact measure
  (``police_source`` says which);
- support dose: co-responder (non-police) responses at its incidents, referrals made by them
  and referrals with at least one ``engaged`` follow-up;
- people exposed: resident-exposures (each shooting counts the residents within
  ``exposure_radius_m``; a person near two shootings counts twice) from
  :func:`workbench.spatial.exposure_zones` when available, else the fallback
  ``min(1, pi r^2 / area) x population`` per shooting in the area (residents spread evenly,
  zone inside its area);
- trauma context index: :func:`workbench.spatial.trauma_index` with the shooting rate as its
  violence component (absent when the spatial package or the indicators are unavailable).

Times are read in the dataset's time zone; a window is ``[start, end)``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from workbench.data.timestamps import local_timestamp
from workbench._warnings import StatisticalWarning
from workbench.data.dataset import Dataset
from workbench.data.errors import DataError

#: Police measures by source.
POLICE_SOURCES = {
    "patrols": "patrol records (patrol hours, stops, arrests)",
    "responses_and_arrests": "police responses to incidents plus arrests of residents (no patrol records)",
    "none": "no police records",
}
SUPPORT_COLUMNS = ("coresponder_visits", "referrals", "engaged")
DEFAULT_EXPOSURE_RADIUS_M = 400.0
DAYS_PER_YEAR = 365.25


def _ts(value, tz: str) -> pd.Timestamp | None:
    return local_timestamp(value, tz)


def data_window(dataset: Dataset, start=None, end=None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)``; defaults: first day and day after the last of the incidents and
    patrol records."""
    tz = dataset.timezone
    occ = [dataset["incidents"]["occurred_at"]]
    if dataset.has("patrols"):
        occ.append(dataset["patrols"]["started_at"])
    lo = min(o.min() for o in occ).tz_convert(tz).normalize()
    hi = max(o.max() for o in occ).tz_convert(tz).normalize() + pd.Timedelta(days=1)
    s = _ts(start, tz) if start is not None else lo
    e = _ts(end, tz) if end is not None else hi
    if not e > s:
        raise ValueError(f"empty window: start {s} is not before end {e}")
    return s, e


def infer_program_start(dataset: Dataset) -> pd.Timestamp | None:
    """Local midnight of the first co-responder arrival (``None`` without co-responders)."""
    if not dataset.has("responses"):
        return None
    r = dataset["responses"]
    co = r.loc[r["responder_type"] != "police", "arrived_at"].dropna()
    return None if co.empty else co.min().tz_convert(dataset.timezone).normalize()


def incident_areas(dataset: Dataset) -> np.ndarray:
    """Area id of every incident (its own ``area_id`` when the source gives area codes, else point
    in polygon; ``None`` outside every area): :func:`workbench.data.incident_area_ids`."""
    from workbench.data.areas import incident_area_ids

    return incident_area_ids(dataset).to_numpy()


def police_source(dataset: Dataset) -> str:
    """``patrols``, ``responses_and_arrests`` or ``none`` (see :data:`POLICE_SOURCES`)."""
    if dataset.has("patrols"):
        return "patrols"
    if dataset.has("responses") and (dataset["responses"]["responder_type"] == "police").any():
        return "responses_and_arrests"
    if dataset.has("arrests", "people") and "home_area_id" in dataset["people"]:
        return "responses_and_arrests"
    return "none"


def _period_key(ts: pd.Series, freq: str | None) -> pd.Series:
    if freq is None:
        return pd.Series("all", index=ts.index, dtype=object)
    naive = ts.dt.tz_localize(None)
    return naive.dt.to_period(freq).astype(str)


def _count(area: pd.Series, period: pd.Series, weights=None, name: str = "n") -> pd.Series:
    df = pd.DataFrame({"area_id": area.to_numpy(), "period": period.to_numpy(),
                       name: 1.0 if weights is None else np.asarray(weights, float)})
    df = df[df["area_id"].notna()]
    return df.groupby(["area_id", "period"])[name].sum()


def _in(ts: pd.Series, s: pd.Timestamp, e: pd.Timestamp) -> np.ndarray:
    return ((ts >= s) & (ts < e)).to_numpy()


def _check_patrol_areas(patrols: pd.DataFrame, area_ids: pd.Index, source: str) -> None:
    bad = ~patrols["area_id"].isin(area_ids)
    if bad.any():
        raise DataError.single(
            source, "area_id", f"refers to area_id not in areas ({int(bad.sum())} rows; first: "
            + ", ".join(map(str, patrols.loc[bad, "patrol_id"].head(5))) + ")")


def dose_counts(dataset: Dataset, start=None, end=None, freq: str | None = None,
                exposure_radius_m: float | None = DEFAULT_EXPOSURE_RADIUS_M,
                include_shots_fired: bool = False, program_start="infer") -> pd.DataFrame:
    """Need, police and support counts per area (and period).

    Parameters
    ----------
    dataset : Dataset
        Needs ``incidents`` and ``areas`` with ``population``; the other tables are used when
        present.
    start, end : str or Timestamp, optional
        Window ``[start, end)`` (local time); default the incidents' first and last day.
    freq : str, optional
        pandas period alias (``"Y"``, ``"Q"``, ``"M"``) for one row per area and period;
        default one row per area for the whole window (``period == "all"``).
    exposure_radius_m : float or None, default 400
        Radius of the exposure zone around a shooting (m); ``None`` skips the people exposed
        (``exposed`` is NaN).
    include_shots_fired : bool, default False
        Count shots-fired incidents (no victim) in ``shootings`` too.
    program_start : "infer", str, Timestamp or None, default "infer"
        Start of the co-responder program (``"infer"``: the first co-responder arrival,
        :func:`infer_program_start`). ``victims_program`` counts the victims at shootings on
        or after it: the denominator of support per victim in :func:`~workbench.dosage.balance`,
        since no co-responder could serve a victim shot before the program existed.

    Returns
    -------
    DataFrame
        One row per area (and period): ``area_id``, ``period``, ``population``,
        ``resident_years`` (population x years in the period window), ``shootings``,
        ``shots_fired``, ``victims``, ``victims_unserved``, ``exposed`` (resident-exposures),
        ``patrol_hours``, ``stops``, ``police_arrests``, ``community_engagements`` (patrol
        records), ``police_responses``, ``resident_arrests`` (fallback),
        ``police_contacts`` (the police count of the fallback, else stops + arrests),
        ``coresponder_visits``, ``referrals``, ``engaged``, ``victims_program`` (victims at
        shootings on or after the program start; NaN without one). ``attrs``: ``police_source``,
        ``program_start``,
        ``exposure_source``, ``window`` (start, end), ``notes``, ``police_units`` (median hours
        of a patrol row, the counting unit of patrol hours in :func:`balance`).

    Examples
    --------
    >>> from workbench.synth import generate_city
    >>> ds = generate_city("tiny", seed=1).dataset  # doctest: +SKIP
    >>> from workbench.dosage import dose_counts
    >>> doses = dose_counts(ds)
    >>> len(doses) == len(ds["areas"]), int(doses["shootings"].sum()) == int((ds["incidents"]["kind"] != "shots_fired").sum())
    (True, True)
    """
    dataset.require("incidents", "areas", analysis="Dosage")
    areas = dataset["areas"]
    if "population" not in areas.columns or areas["population"].isna().all():
        raise DataError.single(dataset.name, "population",
                               "dosage needs area populations (rates per resident)")
    tz = dataset.timezone
    s, e = data_window(dataset, start, end)
    ps = infer_program_start(dataset) if isinstance(program_start, str) and program_start == "infer" \
        else _ts(program_start, tz)
    notes: list[str] = []
    units: dict[str, float] = {}
    ids = pd.Index(areas["area_id"].astype(str), name="area_id")
    pop = pd.Series(pd.to_numeric(areas["population"], errors="coerce").fillna(0).to_numpy(float),
                    index=ids)

    inc = dataset["incidents"].copy()
    inc["area_id"] = incident_areas(dataset)
    inc = inc[_in(inc["occurred_at"], s, e)]
    inc["period"] = _period_key(inc["occurred_at"].dt.tz_convert(tz), freq)
    shooting = inc["kind"] != "shots_fired"
    cols: dict[str, pd.Series] = {}
    counted = shooting | include_shots_fired
    cols["shootings"] = _count(inc.loc[counted, "area_id"], inc.loc[counted, "period"])
    sf = ~shooting
    cols["shots_fired"] = _count(inc.loc[sf, "area_id"], inc.loc[sf, "period"])
    inc_idx = inc.set_index("incident_id")

    # victims and unserved victims
    if dataset.has("victimizations"):
        v = dataset["victimizations"].merge(inc.loc[shooting, ["incident_id", "area_id", "period",
                                                                "occurred_at"]], on="incident_id")
        cols["victims"] = _count(v["area_id"], v["period"])
        if ps is not None:
            on = (v["occurred_at"] >= ps).to_numpy()
            cols["victims_program"] = _count(v.loc[on, "area_id"], v.loc[on, "period"])
        if dataset.has("referrals"):
            last = dataset["referrals"].groupby("person_id")["referred_at"].max()
            lr = v["person_id"].map(last)
            unserved = (lr.isna() | (lr < v["occurred_at"])).to_numpy()
        else:
            unserved = np.ones(len(v), bool)
        cols["victims_unserved"] = _count(v.loc[unserved, "area_id"], v.loc[unserved, "period"])

    # police dose
    src = police_source(dataset)
    if src == "patrols":
        p = dataset["patrols"]
        _check_patrol_areas(p, ids, dataset.sources.get("patrols", "patrols"))
        p = p[_in(p["started_at"], s, e)]
        per = _period_key(p["started_at"].dt.tz_convert(tz), freq)
        act = p["activity"].to_numpy()
        hours = ((p["ended_at"] - p["started_at"]).dt.total_seconds() / 3600.0).to_numpy()
        bad = (act == "patrol") & ~(np.isfinite(hours) & (hours >= 0) & (hours <= 24))
        if bad.any():
            notes.append(f"{int(bad.sum())} patrol rows without a valid duration (missing end, "
                         "end before start or over 24 h) add no patrol hours")
        pr = (act == "patrol") & ~bad
        if pr.any():
            units["patrol_hours"] = float(np.median(hours[pr]))
        cols["patrol_hours"] = _count(p.loc[pr, "area_id"], per[pr], hours[pr])
        for name, code in (("stops", "stop"), ("police_arrests", "arrest"),
                           ("community_engagements", "community_engagement")):
            m = act == code
            cols[name] = _count(p.loc[m, "area_id"], per[m])
    if dataset.has("responses"):
        r = dataset["responses"]
        r = r[r["incident_id"].isin(inc_idx.index)]
        r_area = r["incident_id"].map(inc_idx["area_id"])
        r_per = r["incident_id"].map(inc_idx["period"])
        pol = (r["responder_type"] == "police").to_numpy()
        cols["police_responses"] = _count(r_area[pol], r_per[pol])
        co = ~pol
        cols["coresponder_visits"] = _count(r_area[co], r_per[co])
        if dataset.has("referrals"):
            ref = dataset["referrals"]
            rco = r[co].set_index("response_id")
            ref = ref[ref["response_id"].isin(rco.index)]
            inc_of = ref["response_id"].map(rco["incident_id"])
            ref_area, ref_per = inc_of.map(inc_idx["area_id"]), inc_of.map(inc_idx["period"])
            cols["referrals"] = _count(ref_area, ref_per)
            if dataset.has("followups"):
                fu = dataset["followups"]
                eng = set(fu.loc[fu["outcome"] == "engaged", "referral_id"])
                m = ref["referral_id"].isin(eng).to_numpy()
                cols["engaged"] = _count(ref_area[m], ref_per[m])
    if src == "responses_and_arrests" and dataset.has("arrests", "people") \
            and "home_area_id" in dataset["people"].columns:
        a = dataset["arrests"].drop_duplicates(["arrest_id", "person_id"])
        a = a[_in(a["arrested_at"], s, e)]
        home = a["person_id"].map(dataset["people"].set_index("person_id")["home_area_id"])
        cols["resident_arrests"] = _count(home, _period_key(a["arrested_at"].dt.tz_convert(tz), freq))

    if freq is None:
        periods = ["all"]
    else:  # every period with any record (incidents, patrols, responses, arrests)
        seen = set(inc["period"].unique())
        for c in cols.values():
            seen |= set(c.index.get_level_values("period"))
        periods = sorted(seen) or ["all"]
    full = pd.MultiIndex.from_product([ids, periods], names=["area_id", "period"])
    out = pd.DataFrame(index=full)
    for name in ("shootings", "shots_fired", "victims", "victims_unserved", "patrol_hours", "stops",
                 "police_arrests", "community_engagements", "police_responses", "resident_arrests",
                 "coresponder_visits", "referrals", "engaged", "victims_program"):
        c = cols.get(name)  # absent = not measured (NaN); measured but none = 0
        out[name] = np.nan if c is None else c.reindex(full).fillna(0.0).to_numpy(float)
    if src == "patrols":
        out["police_contacts"] = out["stops"] + out["police_arrests"]
    elif src == "responses_and_arrests":
        out["police_contacts"] = out["police_responses"].fillna(0) + out["resident_arrests"].fillna(0)
    else:
        out["police_contacts"] = np.nan
    out = out.reset_index()
    out.insert(2, "population", out["area_id"].map(pop).to_numpy())
    out.insert(3, "resident_years", out["population"] * _period_years(out["period"], s, e, freq))
    if exposure_radius_m is None:
        exp, exp_src = np.full(len(out), np.nan), "not computed"
    else:
        exp, exp_src = _exposed(dataset, inc[shooting], out, s, e, freq, exposure_radius_m)
    out["exposed"] = exp
    out.attrs.update(police_source=src, exposure_source=exp_src, window=(s, e), notes=notes,
                     program_start=ps,
                     exposure_radius_m=exposure_radius_m, freq=freq,
                     police_units=units)
    return out


def _period_years(period: pd.Series, s: pd.Timestamp, e: pd.Timestamp, freq: str | None) -> np.ndarray:
    if freq is None:
        return np.full(len(period), (e - s) / pd.Timedelta(days=DAYS_PER_YEAR))
    p = pd.PeriodIndex(period.to_numpy(), freq=freq)
    tz = s.tz
    ps = p.start_time.tz_localize(tz).where(p.start_time.tz_localize(tz) > s, s)
    pe = (p.end_time + pd.Timedelta(nanoseconds=1)).tz_localize(tz)
    pe = pe.where(pe < e, e)
    return np.asarray((pe - ps) / pd.Timedelta(days=DAYS_PER_YEAR), dtype=float)


def _exposed(dataset: Dataset, shootings: pd.DataFrame, out: pd.DataFrame, s, e, freq,
             radius_m: float) -> tuple[np.ndarray, str]:
    """Resident-exposures per area (and period) and where they came from."""
    key = pd.MultiIndex.from_frame(out[["area_id", "period"]])
    why = "spatial package not available"
    from workbench.data.areas import area_codes_only, no_shapes_note
    from workbench.data.units import format_distance

    if area_codes_only(dataset):  # no boundaries: no zones, no area surface
        return np.full(len(out), np.nan), no_shapes_note("People exposed")
    if len(shootings):
        try:
            from workbench.spatial import exposure_zones

            sub = Dataset(tables={"incidents": shootings.drop(columns=["area_id", "period"]),
                                  "areas": dataset["areas"]},
                          timezone=dataset.timezone, crs=dataset.crs, name=dataset.name)
            ex = exposure_zones(sub, radius_m=radius_m)
            ea = ex.areas.merge(shootings[["incident_id", "period"]], on="incident_id")
            got = ea.groupby(["area_id", "period"])["residents_exposed"].sum()
            return got.reindex(key).fillna(0.0).to_numpy(float), \
                f"exposure zones (workbench.spatial, {format_distance(radius_m, dataset.distance_unit)})"
        except ImportError:  # spatial package absent: the documented fallback
            pass
        except (ValueError, DataError) as exc:  # zones not computable here: fallback, saying why
            why = f"exposure zones failed: {exc}"
    areas = dataset["areas"].to_crs(dataset.crs)
    share = np.minimum(1.0, np.pi * radius_m**2 / areas.geometry.area.to_numpy())
    per_shot = pd.Series(share * pd.to_numeric(areas["population"], errors="coerce").fillna(0).to_numpy(),
                         index=areas["area_id"].astype(str).to_numpy())
    n = out["shootings"].to_numpy(float)
    return n * out["area_id"].map(per_shot).to_numpy(float), \
        f"fallback ({why}): residents within {format_distance(radius_m, dataset.distance_unit)} assuming even " \
        "spread inside the area"


def add_trauma_index(doses: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """Add ``trauma_index`` (workbench.spatial) to a whole-window dose table when possible."""
    out = doses.copy()
    out["trauma_index"] = np.nan
    try:
        from workbench.spatial import trauma_index
    except ImportError:  # spatial package absent
        out.attrs["trauma_source"] = "not available (workbench.spatial.trauma_index missing)"
        return out
    rate = pd.Series(out["shootings"].to_numpy() / np.maximum(out["resident_years"].to_numpy(), 1e-9),
                     index=out["area_id"].to_numpy())
    try:
        ti = trauma_index(pd.DataFrame(dataset["areas"].drop(columns="geometry")), violence=rate)
    except (DataError, ValueError) as exc:  # e.g. no index component present: say so, keep the doses
        out.attrs["trauma_source"] = f"not available ({exc})"
        warnings.warn(f"trauma index not computed: {exc}", StatisticalWarning, stacklevel=2)
        return out
    out["trauma_index"] = out["area_id"].map(ti.set_index("area_id")["index"]).to_numpy(float)
    out.attrs["trauma_source"] = "workbench.spatial.trauma_index (shooting rate + area stressors)"
    return out


def dose_rates(counts: pd.DataFrame) -> pd.DataFrame:
    """Raw per-resident, per-shooting, per-victim and per-exposed rates of a dose table.

    Adds ``shootings_per_1k`` (per 1,000 residents per year), ``patrol_hours_per_1k``,
    ``stops_per_1k``, ``police_arrests_per_1k``, ``police_contacts_per_1k``,
    ``patrol_hours_per_shooting``, ``stops_per_shooting``, ``police_arrests_per_shooting``,
    ``visits_per_victim``, ``referrals_per_victim``, ``engaged_per_victim`` and the same per
    1,000 exposed residents. These are raw rates for description; never rank on them (use
    :func:`workbench.dosage.balance`, which smooths).
    """
    out = counts.copy()
    ry = out["resident_years"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        def per(num, den, k=1.0):
            d = np.asarray(den, float)
            return np.where(d > 0, k * np.asarray(num, float) / np.where(d > 0, d, 1), np.nan)

        for c in ("shootings", "patrol_hours", "stops", "police_arrests", "police_contacts"):
            out[f"{c}_per_1k"] = per(out[c], ry, 1000.0)
        for c in ("patrol_hours", "stops", "police_arrests", "police_contacts"):
            out[f"{c}_per_shooting"] = per(out[c], out["shootings"])
        for c, name in (("coresponder_visits", "visits"), ("referrals", "referrals"), ("engaged", "engaged")):
            out[f"{name}_per_victim"] = per(out[c], out["victims"])
            out[f"{name}_per_1k_exposed"] = per(out[c], out["exposed"], 1000.0)
    return out
