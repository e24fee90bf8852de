"""The places page (notebook ``01_places``): where shootings concentrate and how risk spreads.

:func:`places_section` makes the whole page, :class:`PlacesSection`, from a dataset and the
notebook's parameters; the explorer (:class:`workbench.explore.PlacesExplorer`) calls the same
functions. Its items, each display-ready and privacy-applied (counts ``1 .. min_count-1`` hidden
through :mod:`workbench.privacy`):

- ``"near_repeat"`` -- the Knox table in the Near Repeat Calculator layout, distance bands in the
  dataset's unit (:func:`knox_display`), its readings and what the *same location* row is made of;
- ``"hotspots"`` -- the readings on hot spots, cold spots and exposure under the map; the map's
  inputs (counted cells of ``cell_m`` meters, density, Gi* cells, exposure zones, trauma index)
  are :attr:`PlacesSection.map_inputs`;
- ``"emerging"`` -- emerging hot spots by area (:func:`workbench.sections.now.emerging_item`), the
  cold spots named;
- ``"areas"`` -- areas ranked for attention (:func:`ranked_areas`) and what could not be computed;
- ``"canvass"`` -- the canvass list, researcher view only.

The analyses come from :mod:`workbench.spatial` (:func:`analyze_places` runs them: Knox test and
risk window, kernel density, Gi* on grid cells, exposure zones and doses, trauma index); this
module adds privacy, wording and units. Distances are computed in meters and written in the
dataset's ``distance_unit`` (:func:`workbench.data.units.format_distance`). The Knox bands'
defaults live in one place, :data:`workbench.spatial.DEFAULT_SPATIAL_BANDS` and
:data:`workbench.spatial.DEFAULT_TEMPORAL_BANDS`: ``None`` here means those.
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
from workbench.data.units import format_distance, parse_distances, relabel_bands
from workbench.privacy import count_text, enough, is_suppressed, suppressed_mask, suppression_marker

from ._common import Item, name_list

__all__ = ["PlacesResult", "PlacesSection", "analyze_places", "band_edges", "canvass_item", "emerging_places_item",
           "has_population", "knox_display", "label_counts", "map_cells", "period_points", "places_section",
           "ranked_areas", "ranked_table", "readings", "same_location_reading"]

#: Rows of the canvass list shown in the researcher view.
CANVASS_ROWS = 30


@dataclass
class PlacesResult:
    """The fitted place analyses of a period (:func:`analyze_places`).

    Attributes
    ----------
    incidents : GeoDataFrame
        Incidents of the period (projected CRS, meters).
    knox : KnoxTest or None
        Fitted test (None with fewer than 3 incidents).
    window : RiskWindow or None
    kde : KernelDensity or None
    gi : GeoDataFrame or None
        Square cells of ``cell_m`` meters inside the areas with ``count``, ``label`` (suppressed),
        Gi* ``z``, ``p_fdr``, ``cls``.
    exposure : Exposure or None
    dose : DataFrame or None
        :func:`workbench.spatial.exposure_dose` (None without population).
    trauma : DataFrame or None
        :func:`workbench.spatial.trauma_index` (None without population).
    notes : list of str
        Plain-language notes on what could not be computed and why.
    params : dict
        ``start``, ``end``, ``min_count``, ``distance_unit``.
    cell_m : float
        Grid cell width of the map and of Gi*, meters.
    areas : GeoDataFrame or None
        Area shapes (None without areas, or with area codes only).
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
    cell_m: float = 250.0
    areas: gpd.GeoDataFrame | None = None


@dataclass
class PlacesSection:
    """The places page (:func:`places_section`).

    Attributes
    ----------
    items : list of Item
        ``"near_repeat"``, ``"hotspots"``, ``"emerging"``, ``"areas"``, ``"canvass"``.
    result : PlacesResult
        The fitted analyses (the Knox figure and the map draw from them).
    knox_table : DataFrame or None
        Knox ratios in the NRC layout, distance bands in the dataset's unit, hidden cells NaN;
        ``attrs['p']`` and ``attrs['empty']`` in the same layout (:func:`knox_display`).
    cells : GeoDataFrame
        Incident counts per map cell with ``suppressed`` and ``label`` (:func:`map_cells`).
    cell_m : float
        Map and Gi* cell width, meters (chosen when the parameter was ``"auto"``).
    start, end : str or None
        The period (end: the data end when not given).
    mode : {'policy', 'researcher'}
    notes : list of str
        What could not be computed and why.
    dataset_name, crs, distance_unit : str
        For the page's opening line (:meth:`heading`).
    map_inputs : dict
        Keyword arguments of :func:`workbench.maps.places_map` (incidents, mode, counted cells,
        density, Gi* cells, exposure, trauma index, areas, places, ``cell_m``, ``distance_unit``):
        the map draws what this section computed. In policy mode the map shows only the counted
        cells and area aggregates; the points are there for researcher mode.
    """

    items: list[Item]
    result: PlacesResult
    knox_table: pd.DataFrame | None
    cells: gpd.GeoDataFrame
    cell_m: float
    start: Any = None
    end: Any = None
    mode: str = "policy"
    notes: list[str] = field(default_factory=list)
    dataset_name: str = ""
    crs: str = ""
    distance_unit: str = "m"
    map_inputs: dict = field(default_factory=dict)

    def item(self, key: str) -> Item:
        """The item with this key."""
        return next(i for i in self.items if i.key == key)

    @property
    def period(self) -> str:
        """``"from 2024-01-01 to 2025-01-01"`` (open ends named)."""
        return f"from {self.start or 'the first record'} to {self.end or 'the last record'}"

    def heading(self, title: str) -> str:
        """The page's opening Markdown: title, data, period, units, cell width and view (text escaped)."""
        from workbench.escape import md_text

        return (f"## {md_text(title)}\n\nData: **{md_text(self.dataset_name)}**, period {md_text(self.period)}; "
                f"distances computed in meters ({md_text(self.crs)}); map cells "
                f"{format_distance(self.cell_m, self.distance_unit)} wide. View: **{self.mode}**.")


# -- the analyses ------------------------------------------------------------------------------
def has_population(dataset: Dataset) -> bool:
    """True when the areas table has a usable (positive, non-missing) population."""
    if not dataset.has("areas") or "population" not in dataset["areas"]:
        return False
    pop = pd.to_numeric(dataset["areas"]["population"], errors="coerce")
    return bool(pop.notna().any() and (pop.fillna(0) > 0).any())


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


def band_edges(spatial_bands_m: Sequence[float | str] | None = None,
               temporal_bands_days: Sequence[float] | None = None) -> tuple[list[float], list[float]]:
    """Knox band edges in meters and days: text with a unit (``"400 ft"``) read, ``None`` the defaults.

    Parameters
    ----------
    spatial_bands_m : sequence of float or str, optional
        Distance edges: numbers in meters or text with a unit; default
        :data:`workbench.spatial.DEFAULT_SPATIAL_BANDS`.
    temporal_bands_days : sequence of float, optional
        Time edges in days; default :data:`workbench.spatial.DEFAULT_TEMPORAL_BANDS`.

    Returns
    -------
    (list of float, list of float)
        Distance edges (meters) and time edges (days).
    """
    s = sp.DEFAULT_SPATIAL_BANDS if spatial_bands_m is None else spatial_bands_m
    t = sp.DEFAULT_TEMPORAL_BANDS if temporal_bands_days is None else temporal_bands_days
    return parse_distances(s), [float(x) for x in t]


def label_counts(cells: gpd.GeoDataFrame, min_count: int) -> gpd.GeoDataFrame:
    """``cells`` with ``suppressed`` and ``label`` (the count, or ``'<11'`` for 1..min_count-1)."""
    out = cells.copy()
    sup = suppressed_mask(out["count"].to_numpy(), min_count)
    out["suppressed"] = sup
    out["label"] = np.where(sup, suppression_marker(min_count), out["count"].astype(str))
    return out


def map_cells(incidents: gpd.GeoDataFrame, cell_m: float, shape: str, min_count: int) -> gpd.GeoDataFrame:
    """Incident counts per map cell (:func:`workbench.spatial.cell_counts`), small counts labelled hidden.

    Parameters
    ----------
    incidents : GeoDataFrame
        Points in a projected CRS.
    cell_m : float
        Cell width, meters.
    shape : {'hexagon', 'square'}
    min_count : int
        Privacy threshold.

    Returns
    -------
    GeoDataFrame
        ``cell_id``, ``count``, ``suppressed``, ``label``, polygons (empty without incidents).
    """
    cells = sp.cell_counts(incidents, cell_m=cell_m, shape=shape)
    return label_counts(cells, min_count)


def analyze_places(
    dataset: Dataset,
    start: Any = None,
    end: Any = None,
    *,
    spatial_bands_m: Sequence[float | str] | None = None,
    temporal_bands_days: Sequence[float] | None = None,
    permutations: int = 999,
    zone_radius_m: float = 400.0,
    zone_days: float = 7.0,
    kde_bandwidth_m: float = 250.0,
    kde_cell_m: float = 50.0,
    cell_m: float | str = 250.0,
    cell_shape: str = "hexagon",
    min_share_shown: float = 0.5,
    index_weights: Mapping[str, float] | None = None,
    min_count: int = 11,
    seed: int = 20261125,
    knox_time_resolution: str = "day",
    zone_polygons: bool = True,
) -> PlacesResult:
    """Run the places analyses on the incidents of ``[start, end)``.

    Parameters
    ----------
    dataset : Dataset
    start, end : date-like, optional
        Period (inclusive start, exclusive end) in the dataset's time zone.
    spatial_bands_m, temporal_bands_days : sequence, optional
        Knox band edges (meters or text with a unit; days); default the spatial package's
        (:func:`band_edges`).
    permutations : int
        Knox Monte Carlo permutations.
    zone_radius_m, zone_days : float
        Exposure zone radius (meters) and duration (days).
    kde_bandwidth_m, kde_cell_m : float
        Quartic kernel radius and density grid cell (meters).
    cell_m : float or 'auto'
        Map and Gi* grid cell width, meters; ``"auto"``: :func:`workbench.spatial.choose_cell_size`
        (the finest width whose shown ``cell_shape`` cells hold ``min_share_shown`` of the incidents).
    cell_shape : {'hexagon', 'square'}
        Map cell shape (for ``"auto"``; Gi* always uses squares).
    min_share_shown : float
        See ``cell_m``.
    index_weights : mapping, optional
        Trauma index component weights (default :data:`workbench.spatial.trauma.DEFAULT_WEIGHTS`).
    min_count : int
        Privacy threshold.
    seed : int
        Seed of the Knox permutations.
    knox_time_resolution : {'day', 'second'}
        Knox time differences in whole local calendar days (the Near Repeat Calculator's
        convention) or exact elapsed time (see :class:`workbench.spatial.KnoxTest`).
    zone_polygons : bool, default True
        Keep each exposure zone's circle (the researcher map draws them); ``False`` keeps the
        shooting's point (policy pages: the same figures, about 2 KB less per shooting).

    Returns
    -------
    PlacesResult
    """
    from workbench.data.areas import area_codes_only, no_shapes_note

    inc = period_points(dataset, start, end)
    if isinstance(cell_m, str):
        if cell_m != "auto":
            raise ValueError(f"cell_m = {cell_m!r}: give a width in meters or 'auto'")
        cell_m = sp.choose_cell_size(inc, shape=cell_shape, min_count=min_count, min_share_shown=min_share_shown)
    codes_only = area_codes_only(dataset)
    areas = dataset["areas"] if dataset.has("areas") and not codes_only else None
    res = PlacesResult(incidents=inc, cell_m=float(cell_m), areas=areas,
                       params=dict(start=start, end=end, min_count=min_count,
                                   distance_unit=getattr(dataset, "distance_unit", "m")))
    if len(inc) < 3:
        res.notes.append("Too few incidents in the period for the place analyses.")
        return res
    s_bands, t_bands = band_edges(spatial_bands_m, temporal_bands_days)
    res.knox = sp.KnoxTest(spatial_bands=s_bands, temporal_bands=t_bands, permutations=permutations, seed=seed,
                           time_resolution=knox_time_resolution).fit(inc)
    res.window = sp.risk_window(res.knox)
    res.kde = sp.KernelDensity(bandwidth=kde_bandwidth_m, cell_size=kde_cell_m).fit(inc)
    res.gi = label_counts(sp.gi_cells(inc, areas, res.cell_m, seed=seed), min_count)
    if areas is None:
        res.notes.append(no_shapes_note("Area outlines on the map, exposure zones, exposure doses per area and the "
                                        "trauma context index")
                         if codes_only else
                         "These data have no areas: exposure zones, doses and the trauma index need them.")
        return res
    zone_areas = areas if "population" in areas else areas.assign(population=np.nan)  # zones still count
    res.exposure = sp.exposure_zones(inc, zone_areas, dataset.get("places"), radius_m=zone_radius_m, days=zone_days,
                                    keep_polygons=zone_polygons)
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


# -- tables ------------------------------------------------------------------------------------
def knox_display(knox: Any, min_count: int, distance_unit: str = "m") -> pd.DataFrame:
    """Knox ratios in the NRC layout (spatial bands as rows), NaN where fewer than ``min_count`` pairs
    were observed or no pairs were expected.

    ``attrs['p']`` holds the p-values in the same layout, NaN (no star) in the open x open cell:
    it is the total minus the other cells (by subtraction), so its p-value means nothing;
    ``attrs['empty']`` is True where no pair was expected at all. Distance band labels are
    written in ``distance_unit`` (``'330-660 ft'``; :func:`workbench.data.units.relabel_bands`).
    """
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
    return relabel_bands(layout, distance_unit)


def ranked_areas(result: PlacesResult, areas: gpd.GeoDataFrame, min_count: int, top: int = 15) -> pd.DataFrame:
    """Areas ranked for attention: by the trauma index when there is one, else by incidents per km².

    Returns
    -------
    DataFrame
        ``area_id``, ``name`` (the area's name, else its id), ``value``, ``measure`` (what
        ``value`` is), ``incidents`` (count label, suppressed), ``rank``; at most ``top`` rows.
        Areas with a suppressed count are not ranked by rate (a rate would reveal the hidden count).
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


def ranked_table(ranked: pd.DataFrame) -> pd.DataFrame:
    """The ranked areas as the page shows them: no ids, the value column named by its measure."""
    measure = str(ranked["measure"].iloc[0]) if len(ranked) else "value"
    return ranked.drop(columns=["area_id", "measure"]).rename(
        columns={"name": "area", "incidents": "incidents in period", "value": measure})


# -- readings ----------------------------------------------------------------------------------
def _pct(x: float) -> str:
    return f"{(x - 1) * 100:+.0f}%"


def _cell_areas(cells: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None) -> list[str]:
    """Names of the areas holding the cells' centers, by how many of the cells each holds."""
    if areas is None or not len(areas) or not len(cells) or not isinstance(areas, gpd.GeoDataFrame):
        return []
    a = areas[["area_id", "geometry"]].to_crs(cells.crs)
    hit = a.sindex.query(cells.geometry.centroid, predicate="within")
    first = np.unique(hit[0], return_index=True)[1]  # one area per cell
    ids = a["area_id"].to_numpy()[hit[1][first]]
    order = pd.Series(ids).value_counts(sort=True)
    names = area_names(areas)
    return [str(names.get(i, i)) for i in order.index]


def _spots(gi: gpd.GeoDataFrame, which: str, areas: gpd.GeoDataFrame | None, min_count: int) -> str:
    """One sentence on the significant hot or cold spot cells, their areas named."""
    spot = gi["cls"].astype(str).str.startswith(f"{which} spot").to_numpy()
    n = int(spot.sum())
    if not n:
        return f"No grid cell is a statistically significant {which} spot after adjusting for multiple testing."
    held = int(gi.loc[spot, "count"].sum())
    total = max(int(gi["count"].sum()), 1)
    where = _cell_areas(gi[spot], areas)
    in_areas = f", in {name_list(where)}" if where else ""
    if which == "hot":
        share = (f"they hold {held / total:.0%} of the period's incidents" if enough(held, min_count)
                 else f"they hold {count_text(held, min_count, words=True)} of the period's incidents")
        return f"{n:,} grid cell{'s are' if n != 1 else ' is a'} statistically significant hot spot" \
               f"{'s' if n != 1 else ''}{in_areas}; {share}."
    held_text = "no shooting" if held == 0 else f"{count_text(held, min_count, words=True)} of the period's incidents"
    return (f"{n:,} grid cell{'s are' if n != 1 else ' is a'} statistically significant cold spot"
            f"{'s' if n != 1 else ''} (with their neighbours, significantly fewer shootings than the city's "
            f"average){in_areas}; together they hold {held_text}.")


def readings(result: PlacesResult, min_count: int) -> dict[str, list[str]]:
    """Plain-language sentences per part of the page: ``knox``, ``hotspots``, ``exposure``, ``areas``.

    ``hotspots`` names the areas of the significant hot spot cells and, in one sentence, of the
    significant cold spot cells. Distances are written in the dataset's ``distance_unit``
    (``400 ft``; see :mod:`workbench.data.units`)."""
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
        cls = result.gi["cls"].astype(str)
        if not (cls.str.startswith("hot spot") | cls.str.startswith("cold spot")).any():
            out["hotspots"].append("No grid cell is a statistically significant hot or cold spot after adjusting "
                                   "for multiple testing.")
        else:
            out["hotspots"] += [_spots(result.gi, "hot", result.areas, min_count),
                                _spots(result.gi, "cold", result.areas, min_count)]
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


def same_location_reading(result: PlacesResult, min_count: int) -> list[str]:
    """What the Knox *same location* row is made of (pairs at identical coordinates), when it can be
    shown (at least ``min_count`` such pairs); else nothing."""
    from workbench.data.flags import same_location_pairs

    if result.knox is None:
        return []
    same = same_location_pairs(result.incidents)
    if not enough(same["pairs"], min_count):
        return []
    return [f"The first row (*same location*) counts pairs of shootings at identical coordinates: "
            f"{same['share_incidents']:.0%} of shootings share their recorded point with another one "
            f"(addresses geocoded to the same block or corner). {same['share_same_time']:.0%} of these pairs "
            "also share the exact time: probably one event recorded under two numbers (see the *same place "
            "and time* flag on the data overview page), which inflates the same-day cell."]


# -- items -------------------------------------------------------------------------------------
def emerging_places_item(dataset: Dataset, end: Any, min_count: int, *, long_days: int = 28,
                         n_steps: int = 12) -> Item:
    """Emerging hot spots by area over the last ``n_steps`` periods of ``long_days`` days before
    ``end`` (exclusive; default the data end), the significant cold spot areas named in one sentence.

    Uses :func:`workbench.sections.now.emerging_item` (the index's *Now* block shows the same).
    """
    from workbench.data.timestamps import local_timestamp

    from .now import data_end, emerging_item, now_shootings

    if not dataset.has("areas"):
        return Item("emerging", "Emerging hot spots", page="01_places", available=False,
                    readings=["These data have no areas, so emerging hot spots cannot be named."])
    shots = now_shootings(dataset)
    last = data_end(dataset, shots)
    stop = local_timestamp(end, dataset.timezone)
    if stop is not None:
        last = min(last, stop)
    try:
        item = emerging_item(dataset, shots[(shots["occurred_at"] <= last).to_numpy()], last, long_days=long_days,
                             n_steps=n_steps, min_count=min_count)
    except (DataError, ValueError) as exc:  # too few periods or shootings for the analysis: said on the page
        return Item("emerging", "Emerging hot spots", page="01_places", available=False,
                    readings=[f"Emerging hot spots could not be computed for these data: {exc}"])
    pats = item.figure.get("pattern", [])
    cold = [a for a, p in zip(item.figure.get("area_id", []), pats) if str(p).endswith("cold spot")]
    if cold:
        names = area_names(dataset["areas"])
        item.readings = [r for r in item.readings if "cold spot" not in r]
        item.readings.insert(len(item.readings) - 1 if item.readings else 0,
                             f"Significant cold spot{'s' if len(cold) != 1 else ''} (fewer shootings than their "
                             f"surroundings would suggest): {name_list([names.get(a, a) for a in cold], limit=8)}.")
    return item


def canvass_item(result: PlacesResult, researcher_mode: bool, rows: int = CANVASS_ROWS) -> Item:
    """The canvass list of the last day with an exposure zone (researcher view only: it names
    single shootings); unavailable, with the reason, in the policy view."""
    item = Item("canvass", "Canvass list (researcher view only)", page="01_places")
    if not researcher_mode:
        item.available = False
        item.readings.append("Not shown in the policy view.")
        return item
    if result.exposure is None or not len(result.exposure.zones):
        item.available = False
        item.readings.append("No exposure zones in this period, so there is nothing to canvass.")
        return item
    last_day = result.exposure.zones["start"].max()
    item.table = sp.canvass_list(result.exposure, date=last_day).head(rows).reset_index(drop=True)
    return item


def places_section(
    dataset: Dataset,
    start: Any = None,
    end: Any = None,
    *,
    min_count: int = 11,
    researcher_mode: bool = False,
    cell_m: float | str = "auto",
    cell_shape: str = "hexagon",
    min_share_shown: float = 0.5,
    **analysis: Any,
) -> PlacesSection:
    """The places page: every item of notebook ``01_places`` (see the module docstring).

    Parameters
    ----------
    dataset : Dataset
    start, end : date-like, optional
        Period ``[start, end)`` in the dataset's time zone; ``end`` defaults to the report's data
        end (:func:`workbench.data.data_end`).
    min_count : int
        Privacy threshold.
    researcher_mode : bool
        Researcher view (exact points on the map, the canvass list).
    cell_m : float or 'auto'
        Map and Gi* cell width, meters (``"auto"``: :func:`workbench.spatial.choose_cell_size`).
    cell_shape : {'hexagon', 'square'}
        Map cell shape.
    min_share_shown : float
        For ``cell_m="auto"``: share of incidents that must sit in cells shown.
    **analysis
        Further keywords of :func:`analyze_places` (``spatial_bands_m``, ``temporal_bands_days``,
        ``permutations``, ``knox_time_resolution``, ``zone_radius_m``, ``zone_days``,
        ``kde_bandwidth_m``, ``kde_cell_m``, ``index_weights``, ``seed``).

    Returns
    -------
    PlacesSection
    """
    from workbench.data import data_end

    if end is None:
        de = data_end(dataset)
        end = f"{de.end:%Y-%m-%d}" if de is not None else None  # the period stops at the data end
    unit = getattr(dataset, "distance_unit", "m")
    res = analyze_places(dataset, start, end, cell_m=cell_m, cell_shape=cell_shape, min_share_shown=min_share_shown,
                         min_count=min_count, zone_polygons=researcher_mode, **analysis)
    said = readings(res, min_count)
    knox_table = knox_display(res.knox, min_count, unit) if res.knox is not None else None
    near = Item("near_repeat", "Do shootings come in near-repeat chains?", page="01_places",
                readings=(said["knox"] or ["Too few incidents for the test."]) + same_location_reading(res, min_count),
                available=res.knox is not None)
    if knox_table is not None:
        near.figure = {"ratios": knox_table, "p": knox_table.attrs["p"], "empty": knox_table.attrs["empty"]}
    mode = "researcher" if researcher_mode else "policy"
    cells = map_cells(res.incidents, res.cell_m, cell_shape, min_count)
    spots = Item("hotspots", "Map of places", page="01_places", readings=said["hotspots"] + said["exposure"],
                 figure={"cells": cells, "gi": res.gi})
    map_inputs = dict(incidents=res.incidents, mode=mode, min_count=min_count, distance_unit=unit,
                      areas=dataset.get("areas"), places=dataset.get("places"), cells=cells, cell_m=res.cell_m,
                      cell_shape=cell_shape, kde=res.kde, gi=res.gi, exposure=res.exposure, trauma=res.trauma)
    areas = Item("areas", "Areas that need attention first", page="01_places", readings=said["areas"],
                 available=dataset.has("areas"))
    if dataset.has("areas"):
        ranked = ranked_areas(res, dataset["areas"], min_count)
        areas.table, areas.figure = ranked_table(ranked), {"ranked": ranked}
    items = [near, spots, emerging_places_item(dataset, end, min_count), areas, canvass_item(res, researcher_mode)]
    return PlacesSection(items=items, result=res, knox_table=knox_table, cells=cells, cell_m=res.cell_m,
                         start=start, end=end, mode=mode, notes=list(res.notes), dataset_name=str(dataset.name),
                         crs=str(dataset.crs), distance_unit=unit, map_inputs=map_inputs)
