"""Data overview computations: counts by month and kind, incident rates per area, density.

Pure functions returning DataFrames (plots live in :mod:`workbench.plots`). Every function
takes the period as ``start``/``end`` (inclusive start, exclusive end, dates or timestamps in
the dataset's time zone) and leaves privacy to the caller: pass results through
:func:`workbench.privacy.suppress_counts` (tables) or use the ``suppressed`` columns (maps)
before showing them.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import ndimage

from workbench.data.timestamps import local_timestamp
from workbench.data.dataset import Dataset
from workbench.privacy import complementary_mask, count_text, enough, protect_quality, suppressed_mask

__all__ = [
    "INCIDENT_KINDS",
    "DensityGrid",
    "area_rates",
    "density_grid",
    "incidents_in_period",
    "monthly_counts",
    "quality_table",
    "readings",
    "table_overview",
]

#: Incident kinds of the contract, in display order.
INCIDENT_KINDS: tuple[str, ...] = ("fatal_shooting", "nonfatal_shooting", "shots_fired")

#: Tables that hold person-level data.
PERSON_TABLES: tuple[str, ...] = ("people", "victimizations", "arrests", "referrals", "followups")


def _bound(value: str | pd.Timestamp | None, tz: str) -> pd.Timestamp | None:
    return local_timestamp(value, tz)


def incidents_in_period(
    dataset: Dataset, start: str | pd.Timestamp | None = None, end: str | pd.Timestamp | None = None
) -> pd.DataFrame:
    """Incidents with ``start <= occurred_at < end`` (bounds in the dataset's time zone).

    Parameters
    ----------
    dataset : Dataset
    start, end : str or Timestamp, optional
        Period bounds; naive values are read in ``dataset.timezone``. ``None`` = open.

    Returns
    -------
    DataFrame
        The matching rows of ``incidents``.
    """
    inc = dataset["incidents"]
    t = inc["occurred_at"].dt.tz_convert(dataset.timezone)
    keep = np.ones(len(inc), dtype=bool)
    lo, hi = _bound(start, dataset.timezone), _bound(end, dataset.timezone)
    if lo is not None:
        keep &= (t >= lo).to_numpy()
    if hi is not None:
        keep &= (t < hi).to_numpy()
    return inc.loc[keep]


def monthly_counts(
    dataset: Dataset, start: str | pd.Timestamp | None = None, end: str | pd.Timestamp | None = None
) -> pd.DataFrame:
    """Incidents per calendar month (local time) and kind.

    ``end`` defaults to the report's one data end (:func:`workbench.data.data_end`: the end
    of the last complete month with data, or ``data.data_end``), so the series never falls to
    zero in a partly extracted last month or in the empty months before a stray late record.

    Returns
    -------
    DataFrame
        One row per month from the first to the last month of the period (months without
        incidents included, as 0), columns ``month`` (``"YYYY-MM"``), one column per kind
        recorded anywhere in the data (in the order of :data:`INCIDENT_KINDS`; a kind the
        source never records, such as shots fired in victim-based data, gets no column) and
        ``total``.
    """
    if end is None:
        from workbench.data.flags import data_end

        de = data_end(dataset)
        end = None if de is None else de.end
    inc = incidents_in_period(dataset, start, end)
    present = set(dataset["incidents"]["kind"].astype(str))
    kinds = [k for k in INCIDENT_KINDS if k in present] + sorted(present - set(INCIDENT_KINDS))
    if inc.empty:
        return pd.DataFrame(columns=["month", *kinds, "total"])
    local = inc["occurred_at"].dt.tz_convert(dataset.timezone).dt.tz_localize(None)
    month = local.dt.to_period("M")
    table = pd.crosstab(month, inc["kind"].astype(str)).reindex(columns=kinds, fill_value=0)
    lo = _bound(start, dataset.timezone)
    hi = _bound(end, dataset.timezone)
    first = lo.tz_localize(None).to_period("M") if lo is not None else month.min()
    last = (hi - pd.Timedelta(1, "ns")).tz_localize(None).to_period("M") if hi is not None else month.max()
    table = table.reindex(pd.period_range(first, last, freq="M"), fill_value=0)
    table["total"] = table.sum(axis=1)
    table.index = table.index.astype(str)
    table.index.name = "month"
    table.columns.name = None
    return table.reset_index().astype({k: "int64" for k in [*kinds, "total"]})


def _has_population(areas: pd.DataFrame) -> bool:
    return "population" in areas.columns and bool(pd.to_numeric(areas["population"], errors="coerce").fillna(0).gt(0).any())


def area_rates(
    dataset: Dataset,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    min_count: int = 11,
) -> gpd.GeoDataFrame:
    """Incidents per area and a rate per 1,000 residents (or per km² without population).

    Parameters
    ----------
    dataset : Dataset
        Needs ``areas`` and ``incidents``.
    start, end : str or Timestamp, optional
        Period.
    min_count : int
        Areas with 1 .. min_count-1 incidents are flagged ``suppressed`` (their count and rate
        must not be shown).

    Returns
    -------
    GeoDataFrame (EPSG:4326)
        ``area_id``, ``geometry``, ``incidents``, ``population`` (NaN when absent),
        ``area_km2``, ``rate`` and ``suppressed``; ``attrs['rate_unit']`` is
        ``"per 1,000 residents"`` or ``"per km²"``.
    """
    dataset.require("areas", "incidents", analysis="area rates")
    areas = dataset["areas"]
    from workbench.data.areas import area_codes_only

    if area_codes_only(dataset):  # codes without boundaries: counts and rates per resident only
        return _code_area_rates(dataset, start, end, min_count)
    proj = areas.to_crs(dataset.crs)
    inc = incidents_in_period(dataset, start, end)
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(inc["lon"], inc["lat"], crs="EPSG:4326"), index=inc.index
    ).to_crs(dataset.crs)
    joined = gpd.sjoin(pts, proj[["area_id", "geometry"]], how="inner", predicate="within")
    joined = joined[~joined.index.duplicated()]  # a point on a shared border counts once
    counts = joined["area_id"].value_counts()
    out = gpd.GeoDataFrame(areas[["area_id", "geometry"]].copy(), crs=areas.crs)
    out["incidents"] = out["area_id"].map(counts).fillna(0).astype("int64")
    out["area_km2"] = proj.geometry.area.to_numpy() / 1e6
    if _has_population(areas):
        pop = pd.to_numeric(areas["population"], errors="coerce").astype(float)
        out["population"] = pop.to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["rate"] = np.where(pop > 0, out["incidents"] / pop * 1000.0, np.nan)
        out.attrs["rate_unit"] = "per 1,000 residents"
    else:
        out["population"] = np.nan
        out["rate"] = out["incidents"] / out["area_km2"]
        out.attrs["rate_unit"] = "per km²"
    out["suppressed"] = suppressed_mask(out["incidents"].to_numpy(), min_count)
    out.attrs["outside_areas"] = int(len(inc) - len(joined))
    return out


def _code_area_rates(dataset: Dataset, start, end, min_count: int) -> pd.DataFrame:
    """:func:`area_rates` for areas given as codes (the incidents' own ``area_id``): no
    geometry and no km², rates per 1,000 residents when there is a population, else none."""
    from workbench.data.areas import incident_area_ids

    areas = dataset["areas"]
    inc = incidents_in_period(dataset, start, end)
    aid = incident_area_ids(dataset, inc).dropna()
    counts = aid.value_counts()
    out = pd.DataFrame({"area_id": areas["area_id"].astype(str).to_numpy(), "geometry": None})
    out["incidents"] = out["area_id"].map(counts).fillna(0).astype("int64")
    out["area_km2"] = np.nan
    pop = (pd.to_numeric(areas["population"], errors="coerce").astype(float).to_numpy()
           if _has_population(areas) else np.full(len(out), np.nan))
    out["population"] = pop
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = np.where(pop > 0, out["incidents"] / pop * 1000.0, np.nan)
    out.attrs["rate_unit"] = "per 1,000 residents" if _has_population(areas) else ""
    out["suppressed"] = suppressed_mask(out["incidents"].to_numpy(), min_count)
    out.attrs["outside_areas"] = int(len(inc) - len(aid))
    out.attrs["codes_only"] = True
    return out


@dataclass
class DensityGrid:
    """Smoothed incident density on a regular grid in the dataset's projected CRS.

    Attributes
    ----------
    density : ndarray, shape (ny, nx)
        Incidents per km² (Gaussian kernel smoothing); NaN where suppressed.
    extent : tuple of float
        ``(xmin, xmax, ymin, ymax)`` in meters of :attr:`crs` (for ``imshow``).
    crs : str
        Projected CRS of the grid.
    cell_m, bandwidth_m : float
        Cell size and kernel standard deviation, meters.
    n_suppressed : int
        Cells hidden because fewer than ``min_count`` incidents lie within the kernel.
    """

    density: np.ndarray
    extent: tuple[float, float, float, float]
    crs: str
    cell_m: float
    bandwidth_m: float
    n_suppressed: int


def density_grid(
    dataset: Dataset,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    cell_m: float = 250.0,
    bandwidth_m: float = 500.0,
    min_count: int = 11,
) -> DensityGrid:
    """Kernel-smoothed incident density; no exact locations survive.

    Incidents are binned on a ``cell_m`` grid covering the areas (or the incidents), smoothed
    with a Gaussian of standard deviation ``bandwidth_m`` (``scipy.ndimage.gaussian_filter``)
    and converted to incidents per km². Cells whose smoothed surroundings hold fewer than
    ``min_count`` incidents (smoothed count x the kernel's effective area 4 pi sigma^2) are set
    to NaN, so sparse places where one dot could be told apart are not shown.

    Parameters
    ----------
    dataset : Dataset
    start, end : optional
        Period.
    cell_m : float
        Grid cell size, meters.
    bandwidth_m : float
        Kernel standard deviation, meters.
    min_count : int
        Smallest local count shown.
    """
    inc = incidents_in_period(dataset, start, end)
    pts = gpd.GeoSeries(gpd.points_from_xy(inc["lon"], inc["lat"]), crs="EPSG:4326").to_crs(dataset.crs)
    if dataset.has("areas") and isinstance(dataset["areas"], gpd.GeoDataFrame):  # codes only: the incidents
        xmin, ymin, xmax, ymax = dataset["areas"].to_crs(dataset.crs).total_bounds
    elif len(pts):
        xmin, ymin, xmax, ymax = pts.total_bounds
    else:
        xmin = ymin = 0.0
        xmax = ymax = cell_m
    nx = max(1, int(np.ceil((xmax - xmin) / cell_m)))
    ny = max(1, int(np.ceil((ymax - ymin) / cell_m)))
    counts, _, _ = np.histogram2d(
        pts.y.to_numpy(), pts.x.to_numpy(), bins=[ny, nx],
        range=[[ymin, ymin + ny * cell_m], [xmin, xmin + nx * cell_m]],
    )
    sigma = bandwidth_m / cell_m
    smooth = ndimage.gaussian_filter(counts, sigma=sigma, mode="constant")
    cell_km2 = (cell_m / 1000.0) ** 2
    local = smooth * (4 * np.pi * sigma**2)  # incidents within the kernel's effective area
    hide = ~enough(local, min_count)
    density = np.where(hide, np.nan, smooth / cell_km2)
    return DensityGrid(
        density=density,
        extent=(float(xmin), float(xmin + nx * cell_m), float(ymin), float(ymin + ny * cell_m)),
        crs=str(dataset.crs),
        cell_m=float(cell_m),
        bandwidth_m=float(bandwidth_m),
        n_suppressed=int((hide & (smooth > 0)).sum()),
    )


def table_overview(dataset: Dataset) -> pd.DataFrame:
    """Which contract tables this dataset has, with row counts and what they allow.

    Returns
    -------
    DataFrame
        ``table``, ``present`` (bool), ``rows`` (0 when absent), ``person_level`` (bool).
    """
    from workbench.data.dataset import TABLES

    rows = []
    for t in TABLES:
        df = dataset.get(t)
        rows.append(
            {"table": t, "present": df is not None and len(df) > 0,
             "rows": 0 if df is None else len(df), "person_level": t in PERSON_TABLES}
        )
    return pd.DataFrame(rows)


def quality_table(dataset: Dataset, min_count: int | None = None) -> pd.DataFrame:
    """Display-ready :func:`workbench.data.data_quality_summary`.

    Parameters
    ----------
    dataset : Dataset
    min_count : int, optional
        For a policy page: the table goes through :func:`workbench.privacy.protect_quality`
        (counts 1 .. min_count-1 suppressed, the share of a suppressed null count hidden, the
        minimum and maximum of person- and event-level columns coarsened to month or decade or
        left out). ``None`` (``workbench validate``, for the data holder): exact values.

    Returns
    -------
    DataFrame
        Counts as integers (``rows``, ``nulls``, ``distinct``), ``share_null`` as a percentage
        text, missing values as empty text. Counts and ranges only, no row-level values.
    """
    from workbench.data import data_quality_summary

    q = data_quality_summary(dataset).copy()
    if min_count is not None:
        values = {(t, str(c)): df[c] for t, df in dataset.tables.items() for c in df.columns}
        return protect_quality(q, values, min_count)
    for c in ("rows", "nulls", "distinct"):
        if c in q:
            q[c] = pd.to_numeric(q[c], errors="coerce").round().astype("Int64")
    if "share_null" in q:
        share = pd.to_numeric(q["share_null"], errors="coerce")
        q["share_null"] = [f"{v:.1%}" if pd.notna(v) else "" for v in share]
    return q.astype(object).where(q.notna(), "")


def readings(monthly: pd.DataFrame, rates: gpd.GeoDataFrame | None, min_count: int) -> list[str]:
    """Short plain-language readings of the overview, respecting suppression.

    Parameters
    ----------
    monthly : DataFrame
        From :func:`monthly_counts`.
    rates : GeoDataFrame or None
        From :func:`area_rates`.
    min_count : int
        Suppression threshold.

    Returns
    -------
    list of str
        Sentences (markdown).
    """
    out: list[str] = []
    if monthly.empty:
        return ["There are no incidents in the chosen period."]
    kinds = [c for c in monthly.columns if c not in ("month", "total")]
    by_kind = monthly[kinds].sum()
    any_hidden = bool(suppressed_mask(by_kind.to_numpy(), min_count).any())
    total = int(monthly["total"].sum())
    # the overall total is only given when no per-kind total is hidden (no subtraction attack)
    head = f"**{count_text(total, min_count)} incidents**" if not any_hidden else "incidents"
    out.append(
        f"From {monthly['month'].iloc[0]} to {monthly['month'].iloc[-1]} the data hold {head}: "
        + ", ".join(f"{count_text(int(by_kind[k]), min_count)} {k.replace('_', ' ')}" for k in kinds)
        + "."
    )
    unrecorded = [k for k in INCIDENT_KINDS if k not in kinds]
    if unrecorded:
        out.append(
            "The data record no " + " or ".join(k.replace("_", " ") for k in unrecorded)
            + " incidents; the source may not collect them, so read this as unknown, not zero."
        )
    _, month_hidden = complementary_mask(monthly[kinds].to_numpy(dtype=float), min_count)
    month_hidden = month_hidden | suppressed_mask(monthly["total"].to_numpy(), min_count)
    shown = monthly[~month_hidden]
    if len(monthly) >= 2 and len(shown):
        peak = shown.loc[shown["total"].idxmax()]
        out.append(
            f"Of the months whose total is shown, the busiest was {peak['month']} "
            f"with {int(peak['total']):,} incidents."
        )
    if len(monthly) >= 2 and not any_hidden and enough(total, min_count):
        out.append(f"On average there were {total / len(monthly):,.1f} incidents a month.")
    if rates is not None and len(rates):
        shown = rates[~rates["suppressed"] & (rates["incidents"] > 0) & rates["rate"].notna()]
        unit = rates.attrs.get("rate_unit", "")
        if len(shown):
            top = shown.sort_values("rate", ascending=False).iloc[0]
            out.append(
                f"Among {len(rates)} areas, the highest rate was in area {top['area_id']} "
                f"({top['rate']:.2f} incidents {unit})."
            )
        n_sup = int(rates["suppressed"].sum())
        if n_sup:
            out.append(
                f"{n_sup} area{'s' if n_sup != 1 else ''} with fewer than {min_count} incidents "
                f"{'are' if n_sup != 1 else 'is'} greyed out on the map to protect privacy."
            )
        busiest_share = rates["incidents"].nlargest(max(1, len(rates) // 10)).sum() / max(1, rates["incidents"].sum())
        out.append(
            f"The busiest tenth of areas holds {busiest_share:.0%} of the incidents inside areas."
        )
    return out
