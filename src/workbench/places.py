"""Places report computations (notebook ``01_places``): one call runs every spatial analysis.

:func:`analyze_places` filters the incidents to a period and runs, from :mod:`workbench.spatial`,
the Knox near-repeat test and its risk window, the kernel density surface, Gi* on grid cells,
exposure zones and doses, and the trauma context index; :func:`ranked_areas` and
:func:`readings` turn the results into a ranked table and plain-language sentences. Privacy is
applied here for everything that leaves as a number (:func:`workbench.privacy.suppressed_mask`);
maps apply it in :mod:`workbench.maps`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from workbench import spatial as sp
from workbench.data.dataset import Dataset
from workbench.data.errors import DataError
from workbench.data.names import area_names
from workbench.data.period import incidents_in_period
from workbench.privacy import enough, is_suppressed, suppressed_mask, suppression_marker

__all__ = ["PlacesResult", "analyze_places", "gi_cells", "has_population", "knox_display", "period_points", "ranked_areas",
           "readings"]


@dataclass
class PlacesResult:
    """Everything the places notebook shows.

    Attributes
    ----------
    incidents : GeoDataFrame
        Incidents of the period (projected CRS).
    knox : KnoxTest or None
        Fitted test (None with fewer than 3 incidents).
    window : RiskWindow or None
    kde : KernelDensity or None
    gi : GeoDataFrame or None
        Grid cells inside the areas with ``count``, ``label`` (suppressed), Gi* ``z``, ``cls``.
    exposure : Exposure or None
    dose : DataFrame or None
        :func:`workbench.spatial.exposure_dose` (None without population).
    trauma : DataFrame or None
        :func:`workbench.spatial.trauma_index` (None without population).
    notes : list of str
        Plain-language notes on what could not be computed and why.
    """

    incidents: gpd.GeoDataFrame
    knox: Any = None
    window: Any = None
    kde: Any = None
    gi: gpd.GeoDataFrame | None = None
    exposure: Any = None
    dose: pd.DataFrame | None = None
    trauma: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    params: dict = field(default_factory=dict)


def has_population(dataset: Dataset) -> bool:
    """True when the areas table has a usable (positive, non-missing) population."""
    if not dataset.has("areas") or "population" not in dataset["areas"]:
        return False
    pop = pd.to_numeric(dataset["areas"]["population"], errors="coerce")
    return bool(pop.notna().any() and (pop.fillna(0) > 0).any())


def gi_cells(incidents: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, cell_m: float, min_count: int,
             seed: int | None = None) -> gpd.GeoDataFrame:
    """Gi* on square cells of ``cell_m`` meters (only cells touching an area when areas are given)."""
    cells = sp.grid_counts(incidents, cell_size=cell_m)
    if areas is not None and len(areas):
        a = areas.to_crs(cells.crs)
        keep = cells.sindex.query(a.geometry, predicate="intersects")[1]
        cells = cells.iloc[np.unique(keep)].reset_index(drop=True)
    gi = sp.getis_ord(cells, "count", "queen", permutations=0, seed=seed)
    cells = cells.join(gi[["z", "p_fdr", "cls"]])
    sup = suppressed_mask(cells["count"].to_numpy(), min_count)
    cells["label"] = np.where(sup, suppression_marker(min_count), cells["count"].astype(str))
    return cells


def period_points(dataset: Dataset, start: Any = None, end: Any = None) -> gpd.GeoDataFrame:
    """Incidents of ``[start, end)`` as points in the dataset's projected CRS (meters).

    Only the period's incidents are turned into points (not all incidents, then filtered: at two
    million incidents that alone held several hundred megabytes of points).
    """
    inc = incidents_in_period(dataset, start, end).reset_index(drop=True)
    if isinstance(inc, gpd.GeoDataFrame):
        return inc.to_crs(dataset.crs)
    geom = gpd.points_from_xy(inc["lon"], inc["lat"], crs="EPSG:4326")
    return gpd.GeoDataFrame(inc, geometry=geom, crs="EPSG:4326").to_crs(dataset.crs)


def analyze_places(
    dataset: Dataset,
    start: Any = None,
    end: Any = None,
    *,
    spatial_bands_m: Sequence[float] = (0, 100, 200, 300, 400, 500, 600),
    temporal_bands_days: Sequence[float] = (0, 14, 28, 42, 56, 70),
    permutations: int = 999,
    zone_radius_m: float = 400.0,
    zone_days: float = 7.0,
    kde_bandwidth_m: float = 250.0,
    kde_cell_m: float = 50.0,
    gi_cell_m: float = 250.0,
    index_weights: Mapping[str, float] | None = None,
    min_count: int = 11,
    seed: int = 20261125,
    knox_time_resolution: str = "day",
) -> PlacesResult:
    """Run the places analyses on the incidents of ``[start, end)``.

    Parameters
    ----------
    dataset : Dataset
    start, end : date-like, optional
        Period (inclusive start, exclusive end) in the dataset's time zone.
    spatial_bands_m, temporal_bands_days : sequence of float
        Knox band edges (meters, days).
    permutations : int
        Knox Monte Carlo permutations.
    zone_radius_m, zone_days : float
        Exposure zone radius (meters) and duration (days).
    kde_bandwidth_m, kde_cell_m : float
        Quartic kernel radius and grid cell (meters).
    gi_cell_m : float
        Gi* grid cell (meters).
    index_weights : mapping, optional
        Trauma index component weights (default :data:`workbench.spatial.trauma.DEFAULT_WEIGHTS`).
    min_count : int
        Privacy threshold.
    seed : int
        Seed of the Knox permutations.
    knox_time_resolution : {'day', 'second'}
        Knox time differences in whole local calendar days (the Near Repeat Calculator's
        convention) or exact elapsed time (see :class:`workbench.spatial.KnoxTest`).

    Returns
    -------
    PlacesResult
    """
    inc = period_points(dataset, start, end)
    res = PlacesResult(incidents=inc, params=dict(start=start, end=end, min_count=min_count,
                                                  distance_unit=getattr(dataset, "distance_unit", "m")))
    from workbench.data.areas import area_codes_only, no_shapes_note

    codes_only = area_codes_only(dataset)
    areas = dataset["areas"] if dataset.has("areas") and not codes_only else None
    if len(inc) < 3:
        res.notes.append("Too few incidents in the period for the place analyses.")
        return res
    res.knox = sp.KnoxTest(spatial_bands=spatial_bands_m, temporal_bands=temporal_bands_days,
                           permutations=permutations, seed=seed,
                           time_resolution=knox_time_resolution).fit(inc)
    res.window = sp.risk_window(res.knox)
    res.kde = sp.KernelDensity(bandwidth=kde_bandwidth_m, cell_size=kde_cell_m).fit(inc)
    res.gi = gi_cells(inc, areas, gi_cell_m, min_count, seed=seed)
    if areas is None:
        res.notes.append(no_shapes_note("Area outlines on the map, exposure zones, exposure doses per area and the "
                                        "trauma context index")
                         if codes_only else
                         "These data have no areas: exposure zones, doses and the trauma index need them.")
        return res
    zone_areas = areas if "population" in areas else areas.assign(population=np.nan)  # zones still count
    res.exposure = sp.exposure_zones(inc, zone_areas, dataset.get("places"), radius_m=zone_radius_m, days=zone_days)
    if not has_population(dataset):
        res.notes.append("These data have no population per area, so residents exposed, exposure per "
                         "resident and the trauma context index cannot be computed; they are skipped.")
        return res
    res.dose = sp.exposure_dose(res.exposure, start=start, end=end)
    violence = res.dose.set_index("area_id")["dose_per_resident_year"]
    try:
        res.trauma = sp.trauma_index(areas, violence, weights=index_weights)
        res.notes.extend(res.trauma.attrs.get("notes", []))
    except (DataError, ValueError) as exc:  # no index component present: a note on the page
        res.notes.append(f"The trauma context index could not be computed: {exc}")
    return res


def knox_display(knox: Any, min_count: int) -> pd.DataFrame:
    """Knox ratios in the NRC layout (spatial bands as rows), NaN where fewer than ``min_count`` pairs
    were observed or no pairs were expected; ``attrs['p']`` holds the p-values in the same layout,
    NaN (no star) in the open x open cell: it is the total minus the other cells (by subtraction),
    so its p-value means nothing."""
    t = knox.table_.copy()
    open_open = np.isinf(t["distance_to_m"].to_numpy(float)) & np.isinf(t["days_to"].to_numpy(float))
    t["p_value"] = t["p_value"].where(~open_open)
    ratio = t["knox_ratio"].where(~suppressed_mask(t["observed"].to_numpy(), min_count) & (t["expected"] > 0))
    layout = t.assign(shown=ratio).pivot_table(index="spatial_band", columns="temporal_band", values="shown",
                                               aggfunc="first", observed=False, dropna=False)
    p = t.pivot_table(index="spatial_band", columns="temporal_band", values="p_value", aggfunc="first",
                      observed=False, dropna=False)
    layout.attrs["p"] = p
    layout.attrs["empty"] = t.assign(e=t["expected"] <= 0).pivot_table(
        index="spatial_band", columns="temporal_band", values="e", aggfunc="first", observed=False, dropna=False)
    return layout


def ranked_areas(result: PlacesResult, areas: gpd.GeoDataFrame, min_count: int, top: int = 15) -> pd.DataFrame:
    """Areas ranked for attention: by the trauma index when there is one, else by incidents per km².

    Returns
    -------
    DataFrame
        ``area_id``, ``name`` (the area's name, else its id), ``value``, ``measure`` (what
        ``value`` is), ``incidents`` (count label, suppressed), ``rank``; at most ``top`` rows. Areas with a suppressed count are not ranked
        by rate (a rate would reveal the hidden count).
    """
    shapes = isinstance(areas, gpd.GeoDataFrame) and "geometry" in areas.columns
    if shapes:
        a = areas.to_crs(result.incidents.crs) if len(areas) else areas
        joined = gpd.sjoin(result.incidents[["geometry"]], a[["area_id", "geometry"]], predicate="within")
        counts = joined.groupby("area_id").size().reindex(a["area_id"], fill_value=0)
    else:  # area codes without boundaries: the incidents' own area_id
        own = result.incidents["area_id"] if "area_id" in result.incidents else pd.Series([], dtype=object)
        counts = own.dropna().astype(str).value_counts().reindex(areas["area_id"].astype(str), fill_value=0)
    labels = pd.Series(np.where(suppressed_mask(counts.to_numpy(), min_count), suppression_marker(min_count),
                                counts.astype(str)), index=counts.index)
    if not shapes:
        pop = (pd.to_numeric(areas["population"], errors="coerce").to_numpy(float)
               if "population" in areas else np.full(len(areas), np.nan))
        per = np.isfinite(pop).any() and (np.nan_to_num(pop) > 0).any()
        value = (counts / pd.Series(np.where(pop > 0, pop, np.nan), index=counts.index) * 1000.0 if per
                 else counts.astype(float))
        value = value.where(enough(counts, min_count)).dropna().sort_values(ascending=False).head(top)
        out = pd.DataFrame({"area_id": value.index.astype(str), "value": value.to_numpy(),
                            "measure": "incidents per 1,000 residents" if per else "incidents"})
    elif result.trauma is not None and result.trauma["index"].notna().any():
        t = result.trauma.dropna(subset=["index"]).head(top)
        out = pd.DataFrame({"area_id": t["area_id"].astype(str), "value": t["index"].to_numpy(),
                            "measure": "trauma context index"})
    else:
        km2 = pd.Series(a.geometry.area.to_numpy() / 1e6, index=a["area_id"].to_numpy())
        rate = (counts / km2).where(enough(counts, min_count))
        rate = rate.dropna().sort_values(ascending=False).head(top)
        out = pd.DataFrame({"area_id": rate.index.astype(str), "value": rate.to_numpy(),
                            "measure": "incidents per km²"})
    out.insert(1, "name", out["area_id"].map(area_names(areas)).fillna(out["area_id"]))
    out["incidents"] = out["area_id"].map(labels)
    out["rank"] = np.arange(1, len(out) + 1)
    return out.reset_index(drop=True)


def _pct(x: float) -> str:
    return f"{(x - 1) * 100:+.0f}%"


def readings(result: PlacesResult, min_count: int) -> dict[str, list[str]]:
    """Plain-language sentences per section: ``knox``, ``hotspots``, ``exposure``, ``areas``.

    Distances are written in the dataset's ``distance_unit`` (``400 ft``; see
    :mod:`workbench.data.units`)."""
    from workbench.data.units import format_distance

    unit = result.params.get("distance_unit", "m")

    def dist(m: float) -> str:
        return format_distance(float(m), unit)

    out: dict[str, list[str]] = {"knox": [], "hotspots": [], "exposure": [], "areas": []}
    k, w = result.knox, result.window
    if k is not None:
        t = k.table_
        finite = t[np.isfinite(t["distance_to_m"]) & np.isfinite(t["days_to"]) & (t["expected"] > 0)]
        near = finite[(finite["distance_to_m"] > 0)].sort_values(["distance_to_m", "days_to"])
        if len(near) and not enough(near.iloc[0].observed, min_count):
            r = near.iloc[0]
            out["knox"].append(
                f"Fewer than {min_count} pairs of shootings happened within {dist(r.distance_to_m)} and "
                f"{r.days_to:.0f} days of each other: too few to show or to judge that band.")
        elif len(near):
            r = near.iloc[0]
            sig = "more than chance would explain" if r.p_value < 0.05 else "within what chance could produce"
            out["knox"].append(
                f"Shootings within {dist(r.distance_to_m)} and {r.days_to:.0f} days of an earlier one are "
                f"{_pct(r.knox_ratio)} compared with what is expected if time and place were unrelated ({sig}).")
        if w is not None and w.raised:
            out["knox"].append(
                f"Risk stays raised up to about {dist(w.radius_m)} and {w.days:.0f} days after a shooting: "
                f"that is the zone and time for which follow-up outreach is most useful.")
        else:
            out["knox"].append("No distance and time band shows a clear rise in risk after a shooting "
                               "(no near-repeat pattern at the usual significance level).")
    if result.gi is not None:
        hot = result.gi["cls"].str.startswith("hot spot")
        share = result.gi.loc[hot, "count"].sum() / max(result.gi["count"].sum(), 1)
        out["hotspots"].append(
            f"{int(hot.sum()):,} grid cells are statistically significant hot spots; they hold "
            f"{share:.0%} of the period's incidents." if hot.any() else
            "No grid cell is a statistically significant hot spot after adjusting for multiple testing.")
    if result.dose is not None:
        d = result.dose
        rep = int(d["repeat_exposed"].sum())
        out["exposure"].append(
            f"On average a resident lived inside {np.nansum(d['resident_exposures']) / max(np.nansum(d['population']), 1):.2f} "
            f"exposure zones over the period (zones of {dist(result.exposure.radius_m)} lasting "
            f"{result.exposure.days:g} days).")
        out["exposure"].append(
            f"{rep:,} areas were touched by two or more zones within a year (repeat exposure)." if not is_suppressed(rep, min_count)
            else f"Fewer than {min_count} areas were touched by two or more zones within a year.")
    elif result.exposure is not None:
        out["exposure"].append("The data have no population, so residents exposed and exposure per resident are "
                               "not available; the map shows how many zones touched each area.")
    for n in result.notes:
        out["areas"].append(n)
    return out
