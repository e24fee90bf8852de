"""Exposure zones around shootings: residents and places exposed, cumulative dose, repeat exposure.

Around each shooting a zone (circle of ``radius_m``, default 400 m) is active for ``days`` (default 7,
the acute-exposure window of Sharkey's studies of violence and children's test scores). Residents
exposed are estimated by *areal interpolation*: for each area the zone overlaps,
``residents = population x area(zone ∩ area) / area(area)`` (residents assumed spread evenly within an
area); children likewise where the areas table has ``children``. Places (schools, parks, ...) inside the
zone polygon are listed with their distance. Everything is vectorized: candidate pairs from the
GeoPandas spatial index, intersection areas with shapely's vectorized ``intersection``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from workbench.data.errors import DataError

from ._inputs import as_xy, check_projected, get_ids, get_times, resolve_points

#: Default zone radius, meters.
DEFAULT_RADIUS_M = 400.0
#: Default days a zone stays active (acute exposure window).
DEFAULT_DAYS = 7
#: Zones per chunk in :func:`exposure_zones` (bounds the intersection polygons alive at a time).
_CHUNK = 20_000


@dataclass
class Exposure:
    """Exposure zones and what they cover.

    Attributes
    ----------
    zones : GeoDataFrame
        One row per shooting: ``incident_id``, ``start`` (shooting time), ``end`` (start + days),
        ``radius_m``, ``residents_exposed``, ``children_exposed`` (NaN when unknown), ``n_places``,
        zone polygon (projected CRS).
    areas : DataFrame
        One row per (shooting, overlapped area): ``incident_id``, ``area_id``, ``start``, ``end``,
        ``overlap_m2``, ``share`` (overlap / area of the area), ``residents_exposed``,
        ``children_exposed``.
    places : DataFrame
        One row per (shooting, place in the zone): ``incident_id``, ``place_id``, ``kind``, ``name``,
        ``distance_m``, ``start``, ``end``.
    area_table : GeoDataFrame
        The areas in the projected CRS (with ``area_m2``), for doses.
    radius_m, days : float
        Parameters used.

    The results are also read as ``zones_``, ``areas_``, ``places_`` and ``summary_`` (the zones
    without polygons), the names every workbench estimator uses.
    """

    zones: gpd.GeoDataFrame
    areas: pd.DataFrame
    places: pd.DataFrame
    area_table: gpd.GeoDataFrame
    radius_m: float = DEFAULT_RADIUS_M
    days: float = DEFAULT_DAYS
    notes: list[str] = field(default_factory=list)

    # the workbench's estimator names for the results (``radius_m``, ``days`` are the settings)
    @property
    def zones_(self) -> gpd.GeoDataFrame:
        """``zones`` (one row per shooting)."""
        return self.zones

    @property
    def areas_(self) -> pd.DataFrame:
        """``areas`` (one row per shooting and overlapped area)."""
        return self.areas

    @property
    def places_(self) -> pd.DataFrame:
        """``places`` (one row per shooting and place in its zone)."""
        return self.places

    @property
    def summary_(self) -> pd.DataFrame:
        """``zones`` without the polygons: residents, children and places exposed per shooting."""
        return pd.DataFrame(self.zones.drop(columns=self.zones.geometry.name))


def circles(xy: np.ndarray, radius_m: float, quad_segs: int = 32) -> np.ndarray:
    """Circle polygons (``4 * quad_segs`` vertices on the circle, like ``shapely.buffer``) around points."""
    ang = np.linspace(0.0, 2 * np.pi, 4 * quad_segs + 1)
    ring = np.column_stack([np.cos(ang), np.sin(ang)]) * radius_m
    ring[-1] = ring[0]  # closed exactly
    coords = xy[:, None, :] + ring[None, :, :]
    return shapely.polygons(coords)


def _take(series: pd.Series, idx: np.ndarray) -> pd.Series:
    """Rows ``idx`` of a (tz-aware) Series, keeping its dtype, with a fresh index."""
    return series.iloc[idx].reset_index(drop=True)


def _points_gdf(incidents: Any, crs: Any) -> gpd.GeoDataFrame:
    if isinstance(incidents, gpd.GeoDataFrame):
        check_projected(incidents, "incidents")
        return incidents
    xy = as_xy(incidents)
    if crs is None:
        raise DataError.single("incidents", "x, y", "plain coordinates need crs= (the projected CRS of x, y)")
    df = incidents if isinstance(incidents, pd.DataFrame) else pd.DataFrame(index=range(len(xy)))
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


def exposure_zones(
    incidents: Any,
    areas: gpd.GeoDataFrame | None = None,
    places: gpd.GeoDataFrame | None = None,
    *,
    radius_m: float = DEFAULT_RADIUS_M,
    days: float = DEFAULT_DAYS,
    times: Any = None,
    ids: Any = None,
    crs: Any = None,
    quad_segs: int = 32,
    keep_polygons: bool = True,
) -> Exposure:
    """Exposure zones around shootings with residents and places exposed.

    Parameters
    ----------
    incidents : GeoDataFrame of points (projected CRS, e.g. ``Dataset.points('incidents')``), a
        DataFrame with ``x``/``y`` plus ``crs``, or a Dataset (then ``areas`` and ``places`` default to
        its tables)
    areas : GeoDataFrame
        ``area_id``, ``population``, optional ``children``; any CRS (reprojected). Required unless
        ``incidents`` is a Dataset with areas.
    places : GeoDataFrame, optional
        ``place_id``, ``kind``, ``name``; any CRS.
    radius_m : float, default 400
        Zone radius, meters.
    days : float, default 7
        Days the zone stays active after the shooting.
    times, ids : array-like or column name, optional
        Default ``occurred_at`` and ``incident_id``.
    crs : optional
        CRS of plain ``x``/``y`` input.
    quad_segs : int, default 32
        Segments per quarter circle of the zone polygon (area within 0.05% of pi r^2).
    keep_polygons : bool, default True
        Keep each zone's polygon as the geometry of ``zones_``. ``False`` keeps the shooting's point
        instead (the zone is its ``radius_m`` buffer): the figures are the same, and the zones of a
        large city cost about 2 KB less each (a 129-vertex polygon per shooting; 250,000 shootings:
        about 0.5 GB), for pages that never draw the circles (policy maps are aggregated).

    Returns
    -------
    Exposure

    Examples
    --------
    400 m zones around the shootings of the tiny synthetic city, active for a week:

    >>> from workbench.synth import generate_city
    >>> ds = generate_city("tiny", seed=1).dataset  # doctest: +SKIP
    >>> from workbench.spatial import exposure_zones
    >>> ex = exposure_zones(ds, radius_m=400.0, days=7.0)
    >>> len(ex.zones_) == len(ex.summary_), bool((ex.summary_["residents_exposed"] >= 0).all())
    (True, True)
    >>> bool((ex.areas_["share"] <= 1 + 1e-9).all())
    True
    """
    if radius_m <= 0 or days <= 0:
        raise ValueError("radius_m and days must be positive")
    if hasattr(incidents, "tables") and hasattr(incidents, "points"):  # a Dataset
        ds = incidents
        ds.require("incidents", "areas", analysis="Exposure zones")
        areas = ds["areas"] if areas is None else areas
        places = ds.get("places") if places is None else places
        incidents = resolve_points(ds)
    if areas is None:
        raise DataError.single("areas", None, "exposure zones need the areas table (population)")
    pts = _points_gdf(incidents, crs)
    ids_arr = get_ids(incidents, ids)
    t = pd.Series(get_times(incidents, times)).reset_index(drop=True)
    if not pd.api.types.is_datetime64_any_dtype(t.dtype) or t.dt.tz is None:
        raise DataError.single("incidents", "occurred_at", "exposure zones need tz-aware timestamps")
    for col in ("area_id", "population"):
        if col not in areas.columns:
            raise DataError.single("areas", col, "column is missing")
    a = areas.to_crs(pts.crs).reset_index(drop=True)
    a["area_m2"] = a.geometry.area
    pop = pd.to_numeric(a["population"], errors="coerce").to_numpy(float)
    children = pd.to_numeric(a["children"], errors="coerce").to_numpy(float) if "children" in a else None

    centers = pts.geometry.to_numpy()
    center_xy = shapely.get_coordinates(centers)
    end = t + pd.Timedelta(days=days)
    p = None
    if places is not None and len(places):
        p = places.to_crs(pts.crs).reset_index(drop=True)
        for col in ("place_id",):
            if col not in p.columns:
                raise DataError.single("places", col, "column is missing")

    # zone x area overlaps; zones wholly inside an area (center inside, boundary >= r away) skip the
    # polygon intersection, which is the costly step. Zones go through in chunks of ``_CHUNK`` so the
    # intersection polygons of only one chunk are alive at a time (2 M incidents fit in memory).
    area_geom = a.geometry.to_numpy()
    area_tree = a.sindex
    shapely.prepare(area_geom)
    area_boundary = shapely.boundary(area_geom)
    place_tree = p.sindex if p is not None else None
    place_geom = p.geometry.to_numpy() if p is not None else None
    geoms, zis, ais, overlaps, pzs, pps, dists = [], [], [], [], [], [], []
    for lo in range(0, len(pts), _CHUNK):
        hi = min(lo + _CHUNK, len(pts))
        zg = circles(center_xy[lo:hi], radius_m, quad_segs)
        if keep_polygons:
            geoms.append(zg)
        czi, cai = area_tree.query(zg, predicate="intersects")
        ctr = centers[lo:hi][czi]
        inside = shapely.intersects(area_geom[cai], ctr) & (shapely.distance(ctr, area_boundary[cai]) >= radius_m)
        ov = np.empty(len(czi))
        ov[inside] = shapely.area(zg[czi[inside]])
        part = ~inside
        ov[part] = shapely.area(shapely.intersection(zg[czi[part]], area_geom[cai[part]]))
        keep = ov > 0
        zis.append(czi[keep] + lo)
        ais.append(cai[keep])
        overlaps.append(ov[keep])
        if place_tree is not None:
            cpz, cpp = place_tree.query(zg, predicate="intersects")
            dists.append(shapely.distance(centers[lo:hi][cpz], place_geom[cpp]))
            pzs.append(cpz + lo)
            pps.append(cpp)
    if keep_polygons:
        zone_geom = np.concatenate(geoms) if geoms else circles(np.zeros((0, 2)), radius_m, quad_segs)
    else:
        zone_geom = centers
    zi = np.concatenate(zis) if zis else np.zeros(0, dtype=np.intp)
    ai = np.concatenate(ais) if ais else np.zeros(0, dtype=np.intp)
    overlap = np.concatenate(overlaps) if overlaps else np.zeros(0)
    share = overlap / a["area_m2"].to_numpy()[ai]
    area_rows = pd.DataFrame(
        {
            "incident_id": ids_arr[zi],
            "area_id": a["area_id"].astype(str).to_numpy()[ai],
            "start": _take(t, zi),
            "end": _take(end, zi),
            "overlap_m2": overlap,
            "share": share,
            "residents_exposed": share * pop[ai],
            "children_exposed": share * children[ai] if children is not None else np.nan,
        }
    )

    # places inside the zone polygon
    place_rows = pd.DataFrame(columns=["incident_id", "place_id", "kind", "name", "distance_m", "start", "end"])
    n_places = np.zeros(len(pts), dtype=np.int64)
    if p is not None:
        pz = np.concatenate(pzs) if pzs else np.zeros(0, dtype=np.intp)
        pp = np.concatenate(pps) if pps else np.zeros(0, dtype=np.intp)
        dist = np.concatenate(dists) if dists else np.zeros(0)
        place_rows = pd.DataFrame(
            {
                "incident_id": ids_arr[pz],
                "place_id": p["place_id"].astype(str).to_numpy()[pp],
                "kind": p["kind"].to_numpy()[pp] if "kind" in p else "other",
                "name": p["name"].to_numpy()[pp] if "name" in p else "",
                "distance_m": dist,
                "start": _take(t, pz),
                "end": _take(end, pz),
            }
        )
        n_places = np.bincount(pz, minlength=len(pts))

    res = np.bincount(zi, weights=share * pop[ai], minlength=len(pts))
    kid = np.bincount(zi, weights=share * children[ai], minlength=len(pts)) if children is not None else np.nan
    zones = gpd.GeoDataFrame(
        {
            "incident_id": ids_arr,
            "start": t,
            "end": end,
            "radius_m": float(radius_m),
            "residents_exposed": res,
            "children_exposed": kid,
            "n_places": n_places,
        },
        geometry=zone_geom,
        crs=pts.crs,
    )
    notes = [] if children is not None else ["areas have no 'children' column: children exposed unknown"]
    return Exposure(zones, area_rows, place_rows, a, float(radius_m), float(days), notes)


def _window_counts(group_codes: np.ndarray, seconds: np.ndarray, lo_s: float, hi_s: float) -> np.ndarray:
    """For each row, rows of the same group with time in [t + lo_s, t + hi_s) (sorted keys, searchsorted)."""
    order = np.lexsort((seconds, group_codes))
    g, s = group_codes[order].astype(np.int64), seconds[order].astype(np.int64)
    if len(s) == 0:
        return np.zeros(0, dtype=np.int64)
    s = s - s.min()
    # composite integer key: group, then time (groups further apart than any window)
    span = int(s.max()) + int(np.ceil(abs(lo_s) + abs(hi_s))) + 1
    key = g * (2 * span) + s
    lo = np.searchsorted(key, key + int(np.ceil(lo_s)), side="left")
    hi = np.searchsorted(key, key + int(np.ceil(hi_s)), side="left")
    out = np.empty(len(key), dtype=np.int64)
    out[order] = hi - lo
    return out


def _seconds(ts: pd.Series) -> np.ndarray:
    return ts.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[s]").astype(np.int64)


def exposure_dose(
    exposure: Exposure,
    *,
    start: Any = None,
    end: Any = None,
    repeat_window_days: float = 365.0,
) -> pd.DataFrame:
    """Cumulative exposure per area: dose per resident per year and repeat exposure.

    Parameters
    ----------
    exposure : Exposure
        From :func:`exposure_zones`.
    start, end : timestamp, optional
        Period ``[start, end)`` of shooting times counted (default: first shooting to the day after
        the last). The period length (years) is the dose denominator.
    repeat_window_days : float, default 365
        Window for repeat exposure.

    Returns
    -------
    DataFrame
        Per area (all areas, zero when never exposed): ``area_id``, ``population``, ``exposures``
        (zones overlapping the area), ``resident_exposures`` (sum of residents exposed),
        ``dose_per_resident_year`` (resident exposures / population / years: the expected number of
        acute exposures of one resident per year), ``children_exposures``, ``dose_per_child_year``,
        ``max_exposures_in_window`` (most zones overlapping the area within any ``repeat_window_days``)
        and ``repeat_exposed`` (that maximum >= 2).
    """
    rows = exposure.areas
    z = exposure.zones
    tz = z["start"].dt.tz
    s = pd.Timestamp(start) if start is not None else (z["start"].min() if len(z) else None)
    e = pd.Timestamp(end) if end is not None else (z["start"].max() + pd.Timedelta(days=1) if len(z) else None)
    if s is not None and s.tzinfo is None:
        s = s.tz_localize(tz)
    if e is not None and e.tzinfo is None:
        e = e.tz_localize(tz)
    if s is not None:
        rows = rows[(rows["start"] >= s) & (rows["start"] < e)]
    years = max((e - s).total_seconds() / (365.25 * 86400), 1e-9) if s is not None else np.nan

    a = exposure.area_table
    base = pd.DataFrame({"area_id": a["area_id"].astype(str), "population": pd.to_numeric(a["population"], errors="coerce")})
    if "children" in a:
        base["children"] = pd.to_numeric(a["children"], errors="coerce")
    agg = rows.groupby("area_id").agg(
        exposures=("incident_id", "size"),
        resident_exposures=("residents_exposed", "sum"),
        children_exposures=("children_exposed", "sum"),
    )
    out = base.merge(agg, left_on="area_id", right_index=True, how="left")
    out[["exposures", "resident_exposures"]] = out[["exposures", "resident_exposures"]].fillna(0)
    out["exposures"] = out["exposures"].astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["dose_per_resident_year"] = (out["resident_exposures"] / out["population"] / years).where(out["population"] > 0)
        if "children" in out:
            out["children_exposures"] = out["children_exposures"].fillna(0)
            out["dose_per_child_year"] = (out["children_exposures"] / out["children"] / years).where(out["children"] > 0)
        else:
            out["children_exposures"] = np.nan
            out["dose_per_child_year"] = np.nan
    if len(rows):
        codes, uniq = pd.factorize(rows["area_id"])
        counts = _window_counts(codes, _seconds(rows["start"]), 0.0, repeat_window_days * 86400.0)
        mx = pd.Series(counts).groupby(codes).max()
        mx.index = uniq[mx.index]
        out["max_exposures_in_window"] = out["area_id"].map(mx).fillna(0).astype(np.int64)
    else:
        out["max_exposures_in_window"] = 0
    out["repeat_exposed"] = out["max_exposures_in_window"] >= 2
    out.attrs["years"] = years
    out.attrs["repeat_window_days"] = repeat_window_days
    return out.reset_index(drop=True)
