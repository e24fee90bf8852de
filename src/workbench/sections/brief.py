"""The co-responder brief: one printable page for the shootings of a day or a week.

For the shootings of ``[date, date + days)`` (local calendar days), per area touched by their
exposure zones (:func:`workbench.spatial.exposure_zones`):

- residents inside the zones (areal interpolation, rounded), schools and parks inside;
- service places within ``reach_m`` of the shootings (clinics, recreation centers, libraries,
  places of worship, community centers), the nearest named;
- the near-repeat window: until when risk stays raised (Knox risk window of the shootings of the
  ``history_days`` before);
- the area's prior exposure: shootings in the area in the ``prior_days`` before (suppressed);
- open referrals' share: of the referrals made after shootings in the area in the
  ``prior_days`` before, the share with neither an engaged nor a declined follow-up yet (shown
  only when at least ``min_count`` referrals).

Counts below ``min_count`` are suppressed through :mod:`workbench.privacy`. The research
audience also gets the per-shooting canvass list (:func:`workbench.spatial.canvass_list`)
formatted for people: shootings numbered by time with their area's name (no ids), names of places,
rounded figures, no index column and no ``NaN``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.data.timestamps import local_timestamp
from workbench import spatial as sp
from workbench.data.dataset import Dataset
from workbench.data.names import area_names
from workbench.privacy import enough

from ._common import count_labels, count_text, name_list, round_people
from .now import now_shootings

__all__ = ["SERVICE_KINDS", "Brief", "brief", "format_canvass"]

#: Place kinds that count as service providers.
SERVICE_KINDS: tuple[str, ...] = ("clinic", "recreation_center", "library", "place_of_worship", "other")
_KIND_TEXT = {"clinic": "clinic", "recreation_center": "recreation center", "library": "library",
              "place_of_worship": "place of worship", "other": "community center", "school": "school",
              "park": "park", "area": "area"}


@dataclass
class Brief:
    """Result of :func:`brief`.

    Attributes
    ----------
    start, end : Timestamp
        The period ``[start, end)`` (local midnight).
    days : int
    areas : DataFrame
        Display-ready, one row per area (names, rounded figures, suppressed counts).
    readings : list of str
        Plain sentences.
    canvass : DataFrame or None
        Research audience only: the per-shooting canvass list formatted for people.
    notes : list of str
    audience : str
    """

    start: pd.Timestamp
    end: pd.Timestamp
    days: int
    areas: pd.DataFrame = field(default_factory=pd.DataFrame)
    readings: list[str] = field(default_factory=list)
    canvass: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    audience: str = "policy"


def _local_day(value: Any, tz: str) -> pd.Timestamp:
    return local_timestamp(value, tz).normalize()


def _fmt_time(ts: pd.Timestamp) -> str:
    return f"{ts:%a %d %b %Y %H:%M}"


def format_canvass(canvass: pd.DataFrame, names: pd.Series, shooting_labels: dict[str, str]) -> pd.DataFrame:
    """The canvass list formatted for people.

    Parameters
    ----------
    canvass : DataFrame
        :func:`workbench.spatial.canvass_list`.
    names : Series
        Area names by area id.
    shooting_labels : dict
        Label of each shooting by incident id (e.g. ``"Shooting 2, Tue 24 Dec 2024 21:14, Birch Flats"``).

    Returns
    -------
    DataFrame
        ``Shooting``, ``Visit``, ``Where``, ``Kind``, ``Residents in zone``, ``Children in zone``,
        ``Earlier zones here``, ``Distance (m)``; text only (blank where a figure does not apply),
        a fresh 0..n-1 index to hide.
    """
    c = canvass.reset_index(drop=True)
    is_area = (c["target"] == "area").to_numpy()
    where = np.where(is_area, c["target_id"].map(names).fillna(c["target_id"]).astype(str),
                     c["name"].fillna("").astype(str))
    where = np.where(where == "", "(unnamed place)", where)

    def people(v: pd.Series) -> list[str]:
        return [f"{round_people(x):,}" if pd.notna(x) else "" for x in v]

    return pd.DataFrame({
        "Shooting": c["incident_id"].map(shooting_labels).fillna("").astype(str).to_numpy(),
        "Visit": c["rank"].astype(int).astype(str).to_numpy(),
        "Where": where,
        "Kind": c["kind"].map(_KIND_TEXT).fillna(c["kind"].astype(str).str.replace("_", " ")).to_numpy(),
        "Residents in zone": people(c["residents_exposed"]),
        "Children in zone": people(c["children_exposed"]),
        "Earlier zones here": c["prior_exposures"].astype(int).astype(str).to_numpy(),
        "Distance (m)": [f"{round(x, -1):,.0f}" if pd.notna(x) else "" for x in c["distance_m"]],
    })


def _open_referrals(dataset: Dataset, shots: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    """Per area: referrals after its shootings of ``[lo, hi)`` and how many are still open."""
    if not (dataset.has("referrals") and dataset.has("responses")):
        return pd.DataFrame(columns=["area_id", "referrals", "open"])
    inc = shots[((shots["occurred_at"] >= lo) & (shots["occurred_at"] < hi)).to_numpy()][["incident_id", "area_id"]]
    ref = dataset["referrals"].merge(dataset["responses"][["response_id", "incident_id"]], on="response_id")
    ref = ref.merge(inc, on="incident_id")
    closed = set()
    if dataset.has("followups") and len(dataset["followups"]):
        f = dataset["followups"]
        closed = set(f.loc[f["outcome"].isin(["engaged", "declined"]) & (f["attempted_at"] < hi), "referral_id"])
    ref = ref.assign(open=~ref["referral_id"].isin(closed))
    return ref.groupby("area_id").agg(referrals=("referral_id", "size"), open=("open", "sum")).reset_index()


def brief(dataset: Dataset, date: Any, *, days: int = 1, min_count: int = 11, zone_radius_m: float = 400.0,
          zone_days: float = 7.0, reach_m: float = 800.0, prior_days: float = 365.0, history_days: int = 730,
          permutations: int = 999, seed: int = 20261125, audience: str = "policy") -> Brief:
    """The co-responder brief for the shootings of ``[date, date + days)``.

    Parameters
    ----------
    dataset : Dataset
    date : date-like
        First local day of the brief.
    days : int, default 1
        Days covered (7 for a week).
    min_count : int
        Privacy threshold.
    zone_radius_m, zone_days : float
        Exposure zone radius (m) and duration (days).
    reach_m : float, default 800
        Distance (m) within which service places count as within reach.
    prior_days : float, default 365
        Look-back for prior exposure and open referrals (days).
    history_days : int, default 730
        Shootings before ``date`` used for the Knox near-repeat window (days).
    permutations : int
        Knox permutations.
    seed : int
    audience : {"policy", "research"}
        ``research`` adds the per-shooting canvass list.

    Returns
    -------
    Brief
    """
    if days < 1:
        raise ValueError("days must be >= 1")
    from workbench.data.units import format_distance

    def _dist(m: float) -> str:  # in the reader's unit (data.distance_unit)
        return format_distance(float(m), getattr(dataset, "distance_unit", "m"))

    tz = dataset.timezone
    start = _local_day(date, tz)
    end = start + pd.Timedelta(days=days)
    out = Brief(start, end, days, audience=audience)
    shots = now_shootings(dataset)
    period = f"{start:%a %d %b %Y}" if days == 1 else f"{start:%d %b} to {end - pd.Timedelta(days=1):%d %b %Y}"
    sel = ((shots["occurred_at"] >= start) & (shots["occurred_at"] < end)).to_numpy()
    n = int(sel.sum())
    if n == 0:
        out.readings.append(f"No shootings on {period}." if days == 1 else f"No shootings from {period}.")
        return out
    out.readings.append(f"{count_text(n, min_count, 'shooting').capitalize()} "
                        f"{'on' if days == 1 else 'from'} {period}.")
    if not dataset.has("areas"):
        out.notes.append("These data have no areas: the brief needs them to say where to go.")
        return out
    from workbench.data.areas import area_codes_only, no_shapes_note

    if area_codes_only(dataset):
        out.notes.append(no_shapes_note("The exposure zones by area, residents and places inside them"))
        return out
    areas = dataset["areas"]
    names = area_names(areas)
    lo = start - pd.Timedelta(days=prior_days)
    hist = shots[((shots["occurred_at"] >= lo) & (shots["occurred_at"] < end)).to_numpy()].reset_index(drop=True)
    zone_areas = areas if "population" in areas else areas.assign(population=np.nan)
    places = dataset.get("places")
    ex = sp.exposure_zones(hist, zone_areas, places, radius_m=zone_radius_m, days=zone_days)
    chosen = shots.loc[sel, "incident_id"].to_numpy()
    ea = ex.areas[ex.areas["incident_id"].isin(chosen)]
    res = ea.groupby("area_id")["residents_exposed"].sum(min_count=1)
    kids = ea.groupby("area_id")["children_exposed"].sum(min_count=1)
    n_sh = ea.groupby("area_id")["incident_id"].nunique()
    table = pd.DataFrame({"area_id": n_sh.index, "shootings": n_sh.to_numpy()})
    table["residents"] = table["area_id"].map(res)
    table["children"] = table["area_id"].map(kids)
    ep = ex.places[ex.places["incident_id"].isin(chosen)] if len(ex.places) else ex.places
    # places inside a zone: counted once per area of the shooting's zone they sit in
    if len(ep) and places is not None:
        pa = places.to_crs(shots.crs)
        a_proj = areas.to_crs(shots.crs)
        hit = a_proj.sindex.query(pa.geometry, predicate="within")
        p_area = pd.Series(a_proj["area_id"].to_numpy()[hit[1]], index=pa["place_id"].to_numpy()[hit[0]])
        ep = ep.assign(area_id=ep["place_id"].map(p_area)).drop_duplicates("place_id")
        for kind, col in (("school", "schools"), ("park", "parks")):
            table[col] = table["area_id"].map(ep[ep["kind"] == kind].groupby("area_id").size()).fillna(0).astype(int)
    else:
        table["schools"] = table["parks"] = np.nan if places is None else 0
    # service places within reach of the shootings (nearest named)
    services = {}
    if places is not None and len(places):
        pa = places.to_crs(shots.crs)
        svc = pa[pa["kind"].isin(SERVICE_KINDS).to_numpy()]
        pts = shots.loc[sel]
        if len(svc):
            from scipy.spatial import cKDTree

            xy = np.column_stack([svc.geometry.x, svc.geometry.y])
            tree = cKDTree(xy)
            for aid, grp in pts.groupby("area_id"):
                q = np.column_stack([grp.geometry.x, grp.geometry.y])
                near = sorted({j for lst in tree.query_ball_point(q, reach_m) for j in lst})
                if near:
                    d = np.min(np.hypot(xy[near, 0][:, None] - q[:, 0], xy[near, 1][:, None] - q[:, 1]), axis=1)
                    order = np.asarray(near)[np.argsort(d)]
                    services[aid] = (len(near), [f"{svc['name'].iloc[j]} ({_KIND_TEXT.get(svc['kind'].iloc[j], '')})"
                                                 for j in order[:3]])
    # near-repeat window
    hw = shots[((shots["occurred_at"] >= start - pd.Timedelta(days=history_days))
                & (shots["occurred_at"] < end)).to_numpy()]
    until = pd.Series(dtype=object)
    if len(hw) >= 3:
        knox = sp.KnoxTest(same_location=False, permutations=permutations, seed=seed).fit(hw)
        window = sp.risk_window(knox)
        if window.raised:
            out.readings.append(f"Near-repeat risk stays raised within {_dist(window.radius_m)} for about "
                                f"{window.days:.0f} days after each shooting.")
            last = ea.groupby("area_id")["start"].max()  # the latest shooting whose zone reaches the area
            until = (last + pd.Timedelta(days=window.days)).map(lambda t: f"{t:%a %d %b %Y}")
        else:
            out.readings.append("The Knox test finds no raised near-repeat risk in these data.")
    prior = shots[((shots["occurred_at"] >= lo) & (shots["occurred_at"] < start)).to_numpy()]
    prior_n = prior.groupby("area_id").size()
    refs = _open_referrals(dataset, shots, lo, start).set_index("area_id")
    table = table.sort_values(["shootings", "residents"], ascending=False).reset_index(drop=True)

    def share(aid: str) -> str:
        if aid not in refs.index or not enough(refs.loc[aid, "referrals"], min_count):
            return f"fewer than {min_count} referrals" if aid in refs.index else "no referrals"
        return f"{refs.loc[aid, 'open'] / refs.loc[aid, 'referrals']:.0%}"

    table["name"] = table["area_id"].map(names).fillna(table["area_id"])
    out.areas = pd.DataFrame({
        "Area": table["name"].to_numpy(),
        "Shootings whose zone reaches it": count_labels(table["shootings"], min_count),
        "Residents in the zones": [f"{round_people(x):,}" if pd.notna(x) else "not known" for x in table["residents"]],
        "Children in the zones": [f"{round_people(x):,}" if pd.notna(x) else "not known" for x in table["children"]],
        "Schools / parks in the zones": [f"{int(s)} / {int(p)}" if pd.notna(s) else "not known"
                                         for s, p in zip(table["schools"], table["parks"])],
        f"Services within {_dist(reach_m)}": ["; ".join(services[a][1]) + (f" (+{services[a][0] - 3} more)"
                                                                         if services[a][0] > 3 else "")
                                              if a in services else "-" for a in table["area_id"]],
        "Raised risk until": [until.get(a, "-") for a in table["area_id"]],
        f"Shootings here, {prior_days:.0f} days before": count_labels(
            table["area_id"].map(prior_n).fillna(0).to_numpy(), min_count),
        "Open referrals": [share(a) for a in table["area_id"]],
    })
    tot_res = np.nansum(table["residents"].to_numpy(float))
    out.readings.append(
        f"Their exposure zones ({_dist(zone_radius_m)}) reach {len(table)} area{'s' if len(table) != 1 else ''}: "
        f"{name_list(table['name'].tolist())}" + (f"; about {round_people(tot_res):,} residents live inside."
                                                   if tot_res > 0 else "."))
    if audience == "research":
        cv = sp.canvass_list(ex, chosen, prior_days=prior_days)
        sh = shots.loc[sel].sort_values("occurred_at").reset_index(drop=True)
        labels = {i: f"Shooting {k + 1}, {_fmt_time(t)}, {names.get(a, a) if a else 'outside the areas'}"
                  for k, (i, t, a) in enumerate(zip(sh["incident_id"], sh["occurred_at"], sh["area_id"]))}
        cv = cv.assign(_o=cv["incident_id"].map({i: k for k, i in enumerate(sh["incident_id"])}))
        cv = cv.sort_values(["_o", "rank"], kind="stable").drop(columns="_o")
        out.canvass = format_canvass(cv, names, labels)
    return out
