"""The index's *Now* block: what needs attention in the last days before the data end.

Four policy-safe items, each a display-ready table (area names, rounded figures, counts below
the privacy threshold suppressed through :mod:`workbench.privacy`), plain sentences and a link
to the page with the method:

1. **Active near-repeat zones** -- the Knox risk window (:func:`workbench.spatial.risk_window`,
   fitted on the shootings of the last ``history_days``) drawn around every shooting of the last
   ``long_days``; windows still open at the data end are aggregated to the areas they touch (no
   points): when the last one closes, residents inside (areal interpolation), schools and parks
   inside.
2. **Emerging hot spots** -- :func:`workbench.spatial.emerging_hot_spots` over areas, steps of
   ``long_days`` days, the last ``n_steps`` steps.
3. **Co-response gaps** -- shootings of the last ``short_days`` and ``long_days`` without a
   non-police responder or without any referral, by area.
4. **Dose** -- the areas the balance view (:func:`workbench.dosage.balance`) classes as
   *over-policed and underserved*: police presence above what the shootings call for while
   support is low.

The data end is the report's one data end (:func:`workbench.data.data_end`). Every item says
what it could not compute and why instead of failing the block.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from workbench import spatial as sp
from workbench.data.dataset import Dataset
from workbench.data.names import area_names

from ._common import Item, count_labels, count_text, name_list, round_people

__all__ = ["NowBlock", "SHOOTING_KINDS", "data_end", "emerging_item", "now_block", "now_shootings"]

log = logging.getLogger("workbench.sections.now")

#: Incident kinds counted as shootings.
SHOOTING_KINDS: tuple[str, ...] = ("fatal_shooting", "nonfatal_shooting")

MOSTLY_PCT = 90

#: Balance classes the dose item names, most urgent first.
DOSE_CLASSES: tuple[str, ...] = ("over-policed and underserved", "more police than need")

#: Plain meaning of each emerging hot spot pattern.
PATTERN_TEXT: dict[str, str] = {
    "new hot spot": "hot for the first time in the latest period",
    "consecutive hot spot": "hot in the latest periods in a row, not before",
    "intensifying hot spot": "hot almost throughout and getting hotter",
    "persistent hot spot": "hot almost throughout, no clear trend",
    "diminishing hot spot": "hot almost throughout but cooling",
    "sporadic hot spot": "hot now and on and off before",
    "oscillating hot spot": "hot now, cold at some earlier time",
    "historical hot spot": "hot almost throughout but not in the latest period",
}


@dataclass
class NowBlock:
    """The Now block: items plus the periods they cover.

    Attributes
    ----------
    end : Timestamp
        The last instant of the data end (:func:`workbench.data.data_end`).
    short_days, long_days : int
    items : list of Item
    notes : list of str
    """

    end: pd.Timestamp | None
    short_days: int
    long_days: int
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def item(self, key: str) -> Item:
        """The item with this key."""
        return next(i for i in self.items if i.key == key)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (what :func:`workbench.report.now.render_now` draws)."""
        return {"end": None if self.end is None else self.end.isoformat(), "short_days": self.short_days,
                "long_days": self.long_days, "items": [i.to_json() for i in self.items], "notes": list(self.notes)}


def now_shootings(dataset: Dataset) -> gpd.GeoDataFrame:
    """Shootings as projected points with their ``area_id`` (None outside every area)."""
    pts = dataset.points("incidents")
    pts = pts[pts["kind"].isin(SHOOTING_KINDS).to_numpy()].reset_index(drop=True)
    from workbench.data.areas import incident_area_ids  # own area codes, else point in polygon

    pts["area_id"] = incident_area_ids(dataset, pts).to_numpy() if len(pts) else None
    return pts


def data_end(dataset: Dataset, shots: gpd.GeoDataFrame | None = None) -> pd.Timestamp:
    """The last instant of the report's one data end (:func:`workbench.data.data_end`).

    The end of the last complete month with data (stray records left aside), or
    ``data.data_end``; the Now block's periods are ``(end - days, end]``. ``shots`` is accepted
    for backward compatibility and not used.
    """
    from workbench.data.flags import data_end as _one_data_end

    de = _one_data_end(dataset)
    if de is None:
        raise ValueError("no incident times: the data end is unknown")
    return de.last_instant


def _day(ts: pd.Timestamp) -> str:
    return f"{ts:%a %d %b %Y}"


def near_repeat_item(dataset: Dataset, shots: gpd.GeoDataFrame, end: pd.Timestamp, *, long_days: int,
                     history_days: int, min_count: int, spatial_bands_m: Sequence[float] | None,
                     temporal_bands_days: Sequence[float] | None, permutations: int, seed: int) -> Item:
    """Active near-repeat zones by area (see the module docstring)."""
    item = Item("near_repeat", "Active near-repeat zones", page="01_places")
    hist = shots[(shots["occurred_at"] > end - pd.Timedelta(days=history_days)).to_numpy()]
    if len(hist) < 3:
        item.available = False
        item.readings.append("Too few shootings to measure near-repeat risk.")
        return item
    # no separate same-location band: a zone around a shooting includes its own address
    from .places import band_edges  # None: the one default, workbench.spatial.DEFAULT_*_BANDS

    spatial_bands_m, temporal_bands_days = band_edges(spatial_bands_m, temporal_bands_days)
    knox = sp.KnoxTest(spatial_bands=spatial_bands_m, temporal_bands=temporal_bands_days, same_location=False,
                       permutations=permutations, seed=seed).fit(hist)
    window = sp.risk_window(knox)
    span_days = min(history_days, (end - shots["occurred_at"].min()) / pd.Timedelta(days=1))
    years = f"{span_days / 365.25:.0f} years" if span_days >= 700 else f"{span_days:.0f} days"
    if not window.raised:
        item.readings.append(f"The shootings of the last {years} show no raised near-repeat risk, "
                             "so no near-repeat zones are drawn.")
        return item
    from workbench.data.units import format_distance

    item.readings.append(f"After a shooting, the risk of another within "
                         f"{format_distance(window.radius_m, dataset.distance_unit)} stays raised "
                         f"for about {window.days:.0f} days (Knox test, shootings of the last {years}).")
    recent = shots[(shots["occurred_at"] > end - pd.Timedelta(days=long_days)).to_numpy()]
    wins = sp.near_repeat_windows(recent, window) if len(recent) else pd.DataFrame(columns=["end"])
    active = wins[wins["end"] > end].reset_index(drop=True) if len(wins) else wins
    if not len(active) or not dataset.has("areas"):
        item.readings.append("None active: no near-repeat window is open at the data end.")
        return item
    from workbench.data.areas import area_codes_only, no_shapes_note

    if area_codes_only(dataset):
        n_open = active["incident_id"].nunique()
        item.readings.append(f"{count_text(n_open, min_count, 'shooting').capitalize()} of the last {long_days} "
                             "days still " + ("has" if n_open == 1 else "have") + " an open near-repeat window.")
        item.readings.append(no_shapes_note("The areas these zones touch"))
        return item
    areas = dataset["areas"].to_crs(shots.crs).reset_index(drop=True)
    names = area_names(areas)
    from workbench.spatial.exposure import circles as _circles  # a submodule: imported, not an attribute

    circles = _circles(active[["x", "y"]].to_numpy(float), window.radius_m)
    hit_c, hit_a = areas.sindex.query(circles, predicate="intersects")
    pop = pd.to_numeric(areas["population"], errors="coerce").to_numpy(float) if "population" in areas else None
    places = dataset.get("places")
    places = places.to_crs(shots.crs) if places is not None and len(places) else None
    active_area = recent.set_index("incident_id")["area_id"].reindex(active["incident_id"]).to_numpy()
    rows = []
    for a in np.unique(hit_a):  # a handful of areas: one union per area
        sel = hit_c[hit_a == a]
        zone = shapely.intersection(shapely.union_all(circles[sel]), areas.geometry.iloc[a])
        share = shapely.area(zone) / max(shapely.area(areas.geometry.iloc[a]), 1e-9)
        kinds = (places.loc[shapely.contains(zone, places.geometry.to_numpy()), "kind"].value_counts()
                 if places is not None else pd.Series(dtype=int))
        rows.append({"area_id": areas["area_id"].iloc[a], "zones": len(sel),
                     "here": int((active_area == areas["area_id"].iloc[a]).sum()),
                     "until": active["end"].iloc[sel].max(),
                     "residents": pop[a] * share if pop is not None and np.isfinite(pop[a]) else np.nan,
                     "schools": int(kinds.get("school", 0)), "parks": int(kinds.get("park", 0))})
    t = pd.DataFrame(rows).sort_values(["here", "zones", "until"], ascending=False).reset_index(drop=True)
    t["name"] = t["area_id"].map(names)
    item.table = pd.DataFrame({
        "Area": t["name"],
        "Shootings here with an open window": count_labels(t["here"], min_count),
        "Open near-repeat windows touching it": count_labels(t["zones"], min_count),
        "Raised risk until": [_day(x) for x in t["until"]],
        "Residents inside (approx.)": [round_people(x) if np.isfinite(x) else "not known" for x in t["residents"]],
        "Schools inside": t["schools"].astype(int) if places is not None else "not known",
        "Parks inside": t["parks"].astype(int) if places is not None else "not known",
    })
    item.figure = {"area_id": t["area_id"].tolist(), "until": [x.isoformat() for x in t["until"]]}
    n_sh = active["incident_id"].nunique()
    last = t.loc[t["until"].idxmax()]
    item.readings.append(
        f"{count_text(n_sh, min_count, 'shooting').capitalize()} of the last {long_days} days still "
        f"{'has' if n_sh == 1 else 'have'} an open near-repeat window, touching {len(t)} "
        f"area{'s' if len(t) != 1 else ''}, most shootings first: {name_list(t['name'].tolist())}; the last "
        f"closes on {_day(last['until'])} ({last['name']}).")
    res = np.nansum(t["residents"].to_numpy(float))
    inside = []
    if np.isfinite(res) and res > 0:
        inside.append(f"about {round_people(res):,} residents")
    if places is not None:
        inside += [f"{int(t['schools'].sum())} schools", f"{int(t['parks'].sum())} parks"]
    if inside:
        item.readings.append(f"Inside these zones: {name_list(inside)}.")
    return item


def emerging_item(dataset: Dataset, shots: gpd.GeoDataFrame, end: pd.Timestamp, *, long_days: int,
                  n_steps: int, min_count: int, time_window: int = 1) -> Item:
    """Emerging hot spots by area."""
    item = Item("emerging", "Emerging hot spots", page="01_places")
    from workbench.data.areas import area_codes_only, no_shapes_note

    if area_codes_only(dataset):  # Gi* needs neighbouring areas, i.e. boundaries
        item.available = False
        item.readings.append(no_shapes_note("Emerging hot spots by area (the hot spot statistic compares neighbouring areas)"))
        return item
    if not dataset.has("areas") or len(dataset["areas"]) < 3:
        item.available = False
        n = len(dataset["areas"]) if dataset.has("areas") else 0
        item.readings.append("These data have no areas, so emerging hot spots cannot be named." if not n else
                             f"These data have only {n} area{'s' if n != 1 else ''}; emerging hot spots compare "
                             "each area with its neighbours and need at least 3, so none can be named.")
        return item
    areas = dataset["areas"].reset_index(drop=True)
    res = sp.emerging_hot_spots(shots, areas, id_column="area_id", end=end + pd.Timedelta(seconds=1),
                                step_days=long_days, n_steps=n_steps, time_window=time_window)
    names = area_names(areas)
    tab = res.table_
    hot = res.patterns(exclude=tuple(p for p in sp.emerging.PATTERNS if not p.endswith("hot spot")))
    swept = int((hot["total"] == 0).sum())  # hot only through their neighbours
    hot = hot[hot["total"] > 0]
    hot = hot.assign(_o=hot["pattern"].map(sp.emerging.PATTERNS.index)).sort_values(
        ["_o", "recent", "final_z"], ascending=[True, False, False]).drop(columns="_o")
    n_cold = int(tab["pattern"].str.endswith("cold spot").sum())
    span = f"{n_steps} periods of {long_days} days"
    item.figure = {"area_id": tab["area_id"].tolist(), "pattern": tab["pattern"].tolist()}
    if not len(hot):
        item.readings.append(f"No area is an emerging, persistent or fading hot spot over the last {span}.")
    else:
        for pat, grp in hot.groupby("pattern", sort=False):
            nm = grp["area_id"].map(names).tolist()
            item.readings.append(f"{pat[:1].upper() + pat[1:]}{'s' if len(nm) != 1 else ''} "
                                 f"({PATTERN_TEXT.get(pat, '')}): {name_list(nm)}.")
        trend = np.where(hot["trend_p"] < 0.05, np.where(hot["trend_z"] > 0, "rising", "falling"), "no clear trend")
        item.table = pd.DataFrame({
            "Area": hot["area_id"].map(names).to_numpy(),
            "Pattern": hot["pattern"].to_numpy(),
            f"Shootings, last {long_days} days": count_labels(hot["recent"], min_count),
            f"Shootings, last {n_steps * long_days} days": count_labels(hot["total"], min_count),
            "Trend": trend,
        })
    some = tab[(tab["pattern"] == "no pattern") & (tab["hot_steps"] > 0) & (tab["total"] > 0)]
    if len(some):
        some = some.sort_values(["hot_steps", "total"], ascending=False)
        listed = [f"{names.get(a, a)} ({h} of {n_steps})" for a, h in zip(some["area_id"], some["hot_steps"])]
        item.readings.append(f"Hot in some periods but with no pattern to name (not hot now, nor in "
                             f"{MOSTLY_PCT}% of the periods): {name_list(listed)}.")
    if swept:
        item.readings.append(f"{swept} more area{'s are' if swept != 1 else ' is'} hot only through "
                             "shootings next door (none inside them in the period); not listed.")
    if n_cold:
        item.readings.append(f"{n_cold} area{'s are' if n_cold != 1 else ' is a'} cold spot{'s' if n_cold != 1 else ''} "
                             "(fewer shootings than their surroundings would suggest).")
    item.readings.append(f"Method: Getis-Ord Gi* per area and period with a Mann-Kendall trend test "
                         f"(Emerging Hot Spot Analysis), the last {span}.")
    return item


def gaps_item(dataset: Dataset, shots: gpd.GeoDataFrame, end: pd.Timestamp, *, short_days: int, long_days: int,
              min_count: int) -> Item:
    """Recent shootings without a non-police responder or without a referral, by area."""
    item = Item("gaps", "Co-response gaps", page="03_response")
    if not dataset.has("responses"):
        item.available = False
        item.readings.append("These data have no response records, so co-response gaps cannot be measured.")
        return item
    recent = shots[(shots["occurred_at"] > end - pd.Timedelta(days=long_days)).to_numpy()]
    if not len(recent):
        item.readings.append(f"No shootings in the last {long_days} days.")
        return item
    resp = dataset["responses"]
    co = set(resp.loc[resp["responder_type"] != "police", "incident_id"])
    if dataset.has("referrals") and len(dataset["referrals"]):
        ref = dataset["referrals"].merge(resp[["response_id", "incident_id"]], on="response_id", how="inner")
        referred = set(ref["incident_id"])
    else:
        referred = set()
    r = pd.DataFrame({
        "area_id": recent["area_id"].fillna("(outside the areas)").to_numpy(),
        "short": (recent["occurred_at"] > end - pd.Timedelta(days=short_days)).to_numpy(),
        "no_co": ~recent["incident_id"].isin(co).to_numpy(),
        "no_ref": ~recent["incident_id"].isin(referred).to_numpy(),
    })
    r["short_gap"] = r["short"] & (r["no_co"] | r["no_ref"])
    g = r.groupby("area_id").agg(shootings=("no_co", "size"), short=("short", "sum"), no_co=("no_co", "sum"),
                                 no_ref=("no_ref", "sum"), short_gap=("short_gap", "sum")).reset_index()
    g = g[(g["no_co"] > 0) | (g["no_ref"] > 0)]
    g = g.sort_values(["no_co", "no_ref", "shootings"], ascending=False).reset_index(drop=True)
    names = area_names(dataset.get("areas"))
    g["name"] = g["area_id"].map(names).fillna(g["area_id"])
    n, nc, nr = len(r), int(r["no_co"].sum()), int(r["no_ref"].sum())
    item.readings.append(
        f"Of {count_text(n, min_count, 'shooting')} in the last {long_days} days, "
        f"{count_text(nc, min_count, 'shooting')} had no non-police responder and "
        f"{count_text(nr, min_count, 'shooting')} led to no referral.")
    ns = int(r["short"].sum())
    item.readings.append(f"In the last {short_days} days: {count_text(ns, min_count, 'shooting')}, "
                         f"{count_text(int(r['short_gap'].sum()), min_count, 'shooting')} with a gap.")
    if len(g):
        item.readings.append(f"Areas with gaps, most first: {name_list(g['name'].tolist())}.")
        item.table = pd.DataFrame({
            "Area": g["name"],
            f"Shootings, last {long_days} days": count_labels(g["shootings"], min_count),
            f"Shootings, last {short_days} days": count_labels(g["short"], min_count),
            "No non-police responder": count_labels(g["no_co"], min_count),
            "No referral": count_labels(g["no_ref"], min_count),
        })
        item.figure = {"area_id": g["area_id"].tolist(), "gaps": (g["no_co"] + g["no_ref"]).astype(int).tolist()}
    return item


def dose_item(dataset: Dataset, *, min_count: int, seed: int) -> Item:
    """Areas where police presence exceeds need while support is low (the balance view)."""
    from workbench import dosage

    item = Item("dose", "Police presence against need and support", page="05_dosage")
    missing = [t for t in ("areas", "responses") if not dataset.has(t)]
    if missing or "population" not in dataset["areas"] or dataset["areas"]["population"].isna().all():
        item.available = False
        item.readings.append("These data lack area populations or response records, so police presence "
                             "cannot be weighed against need and support.")
        return item
    source = dosage.police_source(dataset)
    if source == "none":
        item.available = False
        item.readings.append("These data have no police presence records (patrols, stops or arrests).")
        return item
    ps = dosage.infer_program_start(dataset)
    counts = dosage.dose_counts(dataset, start=ps, exposure_radius_m=None)
    pm = "patrol_hours" if source == "patrols" else "contacts"
    bal = dosage.balance(counts, police_measure=pm, support_measure="visits", seed=seed)
    names = area_names(dataset["areas"])
    t = bal.table
    both = t[t["class"].isin(DOSE_CLASSES)].assign(_o=lambda d: d["class"].map(DOSE_CLASSES.index))
    both = both.sort_values(["_o", "imbalance"], ascending=[True, False])
    over = both[both["class"] == DOSE_CLASSES[0]]
    more = both[both["class"] == DOSE_CLASSES[1]]
    if len(over):
        nm = over["area_id"].map(names).tolist()
        item.readings.append(f"Police presence exceeds what the shootings call for while support is low in "
                             f"{len(nm)} area{'s' if len(nm) != 1 else ''}: {name_list(nm)}.")
    else:
        item.readings.append("No area gets clearly more police presence than its shootings call for while "
                             "support stays low.")
    if len(more):
        nm = more["area_id"].map(names).tolist()
        item.readings.append(f"Police presence exceeds need (support not low) in {len(nm)} "
                             f"area{'s' if len(nm) != 1 else ''}: {name_list(nm)}.")
    if not len(both):
        return item
    flagged = both
    item.table = pd.DataFrame({
        "Area": flagged["area_id"].map(names).to_numpy(),
        "Class": flagged["class"].to_numpy(),
        "Police presence / need (1 = as expected)": flagged["police_ratio"].round(1).to_numpy(),
        "Support / citywide (1 = average)": flagged["support_ratio"].round(2).to_numpy(),
    })
    item.figure = {"area_id": flagged["area_id"].tolist()}
    return item


def _guard(fn: Callable[..., Item], key: str, title: str, page: str, *args, **kw) -> Item:
    try:
        return fn(*args, **kw)
    except Exception as exc:  # one item must never sink the block
        log.warning("now block: %s not computed: %s: %s", key, type(exc).__name__, exc, exc_info=exc)
        return Item(key, title, readings=[f"Not computed for these data ({type(exc).__name__})."], page=page,
                    available=False)


def now_block(dataset: Dataset, *, min_count: int = 11, short_days: int = 7, long_days: int = 28,
              history_days: int = 730, n_steps: int = 12, time_window: int = 1,
              spatial_bands_m: Sequence[float] | None = None,
              temporal_bands_days: Sequence[float] | None = None,
              permutations: int = 999, seed: int = 20261125) -> NowBlock:
    """Compute the Now block.

    Parameters
    ----------
    dataset : Dataset
    min_count : int
        Privacy threshold.
    short_days, long_days : int, default 7 and 28
        The two recent periods before the data end (days); ``long_days`` is also the step of
        the emerging hot spot analysis.
    history_days : int, default 730
        Shootings used for the Knox risk window (days before the data end).
    n_steps : int, default 12
        Steps of the emerging hot spot analysis.
    time_window : int, default 1
        Previous steps in each bin's neighbourhood (ArcGIS's neighbourhood time step).
    spatial_bands_m, temporal_bands_days : sequence of float, optional
        Knox band edges (meters, days); default :data:`workbench.spatial.DEFAULT_SPATIAL_BANDS`
        and :data:`workbench.spatial.DEFAULT_TEMPORAL_BANDS`.
    permutations : int, default 999
        Knox Monte Carlo permutations.
    seed : int
        Seed of the permutations and posterior draws.

    Returns
    -------
    NowBlock
    """
    if not 0 < short_days <= long_days:
        raise ValueError(f"need 0 < short_days <= long_days, got {short_days} and {long_days}")
    shots = now_shootings(dataset)
    if not len(shots):
        return NowBlock(None, short_days, long_days, notes=["No shootings in these data."])
    end = data_end(dataset, shots)
    stray = int((shots["occurred_at"] > end).sum())
    block = NowBlock(end, short_days, long_days)
    if stray:
        block.notes.append(f"The data end is {end:%d %b %Y} (the report's one data end, as on every "
                           f"page): {count_text(stray, min_count, 'later shooting')} "
                           "are left out.")
        shots = shots[(shots["occurred_at"] <= end).to_numpy()].reset_index(drop=True)
    block.items.append(_guard(near_repeat_item, "near_repeat", "Active near-repeat zones", "01_places", dataset,
                              shots, end, long_days=long_days, history_days=history_days, min_count=min_count,
                              spatial_bands_m=spatial_bands_m, temporal_bands_days=temporal_bands_days,
                              permutations=permutations, seed=seed))
    block.items.append(_guard(emerging_item, "emerging", "Emerging hot spots", "01_places", dataset, shots, end,
                              long_days=long_days, n_steps=n_steps, min_count=min_count, time_window=time_window))
    block.items.append(_guard(gaps_item, "gaps", "Co-response gaps", "03_response", dataset, shots, end,
                              short_days=short_days, long_days=long_days, min_count=min_count))
    block.items.append(_guard(dose_item, "dose", "Police presence against need and support", "05_dosage", dataset,
                              min_count=min_count, seed=seed))
    return block
