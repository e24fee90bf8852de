"""The data overview page (``00_data_overview``): counts by month and kind, data quality, where
incidents happen, readings.

:func:`overview_section` returns everything the page shows, privacy applied
(:class:`OverviewSection`); its building blocks are public for the explorers, ``workbench
validate`` and tests:

- :func:`monthly_counts` -- incidents per calendar month and kind (raw counts: the table before
  suppression); :func:`monthly_hidden` -- the months whose total the page and its chart hide;
- :func:`area_rates` -- incidents per area and a rate per 1,000 residents (or per km²), with a
  ``suppressed`` flag; :func:`density_grid` -- the smoothed density map (:class:`DensityGrid`);
- :func:`table_overview` and :func:`quality_table` -- which tables the data hold and the
  per-column quality table (through :func:`workbench.privacy.protect_quality` on a policy page);
- :func:`readings` -- the page's plain-language readings, counts suppressed.

Every function takes the period as ``start``/``end`` (inclusive start, exclusive end, dates or
timestamps in the dataset's time zone; :func:`workbench.data.incidents_in_period`). Counts are
suppressed through :mod:`workbench.privacy` only; drawing lives in :mod:`workbench.plots`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import ndimage

from workbench.data.dataset import Dataset
from workbench.data.period import incidents_in_period
from workbench.data.timestamps import local_timestamp
from workbench.escape import md_text
from workbench.privacy import (complementary_mask, count_text, enough, protect_quality, suppress_counts,
                               suppressed_mask)

__all__ = [
    "INCIDENT_KINDS",
    "DensityGrid",
    "OverviewSection",
    "area_rates",
    "density_grid",
    "monthly_counts",
    "monthly_hidden",
    "overview_section",
    "quality_table",
    "readings",
    "table_overview",
]

#: Incident kinds of the contract, in display order.
INCIDENT_KINDS: tuple[str, ...] = ("fatal_shooting", "nonfatal_shooting", "shots_fired")

#: Tables that hold person-level data.
PERSON_TABLES: tuple[str, ...] = ("people", "victimizations", "arrests", "referrals", "followups")


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
    lo = local_timestamp(start, dataset.timezone)
    hi = local_timestamp(end, dataset.timezone)
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


def monthly_hidden(monthly: pd.DataFrame, min_count: int) -> np.ndarray:
    """The months whose total the page hides (the chart leaves them as gaps).

    A month's total is hidden exactly when :func:`workbench.privacy.suppress_counts` (with
    ``total='total'``) hides it in the monthly table: the total itself is below the threshold,
    or a kind's count is hidden and the total is the second cell hidden with it, so chart and
    table together never reveal a suppressed count.

    Parameters
    ----------
    monthly : DataFrame
        From :func:`monthly_counts`.
    min_count : int
        Suppression threshold.

    Returns
    -------
    ndarray of bool
        One flag per row of ``monthly``.
    """
    kinds = [c for c in monthly.columns if c not in ("month", "total")]
    _, hidden = complementary_mask(monthly[kinds].to_numpy(dtype=float), min_count)
    return hidden | suppressed_mask(monthly["total"].to_numpy(), min_count)


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
    shown = monthly[~monthly_hidden(monthly, min_count)]
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
                f"Among {len(rates)} areas, the highest rate was in area {md_text(top['area_id'])} "
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


@dataclass
class OverviewSection:
    """Everything the data overview page shows (:func:`overview_section`), privacy applied.

    Attributes
    ----------
    lede : str
        The opening line (Markdown, text from data escaped): data name, time zone, CRS, period.
    end : str or None
        The period's exclusive end as ``YYYY-MM-DD``: the ``end`` parameter, else the day after
        the report's data end (:func:`workbench.data.data_end`); the page's other sections use it.
    monthly_table : DataFrame
        Incidents per month and kind with counts suppressed (complementary cells too), for
        :func:`workbench.sections.show` (``precision=0``).
    monthly_note : str
        The suppression footnote of :attr:`monthly_table`.
    monthly : DataFrame
        Figure input of :func:`workbench.plots.plot_monthly`: ``month``, ``total`` (NaN where
        hidden) and ``hidden`` (bool, :func:`monthly_hidden`).
    tables : DataFrame
        The tables present (``table``, ``rows``), row counts suppressed.
    quality : DataFrame
        The technical appendix: :func:`quality_table` through
        :func:`workbench.privacy.protect_quality`.
    quality_notes : list of str
        Paragraphs (Markdown) under the data-quality tables: missing person-level tables, no
        response records, the data end and the quality flags.
    rates : GeoDataFrame or None
        Figure input of :func:`workbench.plots.plot_area_rates` (:func:`area_rates`:
        ``suppressed`` areas are drawn hatched, never with their rate); ``None`` without areas.
    rates_table : DataFrame or None
        For areas given as codes without boundaries (no map): incidents (suppressed) and rates
        per area, most incidents first; ``None`` otherwise.
    density : DensityGrid or None
        Figure input of :func:`workbench.plots.plot_density`; ``None`` without areas.
    outlines : GeoDataFrame or None
        Area outlines to draw over the density (``None`` for area codes or no areas).
    area_notes : list of str
        What the maps could not show (suppression footnote of :attr:`rates_table`, no area
        shapes, no areas).
    readings : list of str
        The page's readings (:func:`readings`), Markdown.
    """

    lede: str
    end: str | None
    monthly_table: pd.DataFrame
    monthly_note: str
    monthly: pd.DataFrame
    tables: pd.DataFrame
    quality: pd.DataFrame
    quality_notes: list[str] = field(default_factory=list)
    rates: Any = None
    rates_table: pd.DataFrame | None = None
    density: DensityGrid | None = None
    outlines: Any = None
    area_notes: list[str] = field(default_factory=list)
    readings: list[str] = field(default_factory=list)


def _quality_notes(dataset: Dataset, tables: pd.DataFrame, min_count: int) -> list[str]:
    from workbench.data import data_end, quality_flags

    notes = []
    absent = tables.loc[tables["person_level"] & ~tables["present"], "table"].tolist()
    if absent:
        notes.append("This dataset has no " + ", ".join(absent) + " table(s). Analyses that need them (people, "
                     "responses, referrals and follow-ups) are not available for it; the incident overview on "
                     "this page is.")
    if not dataset.has("responses"):
        notes.append("There are no response records, so response times and services cannot be described for "
                     "these data.")
    end = data_end(dataset)
    if end is not None:
        notes.append(f"**Data through {end.through:%Y-%m-%d}**: {end.rule}.")
    flags = quality_flags(dataset, min_count=min_count)
    if len(flags):
        notes.append("Flags to read the rest of the report with:\n\n" + "\n".join(
            f"- **{r.flag}** ({r.table}): {r.detail}" for r in flags.itertuples()))
    return notes


def overview_section(dataset: Dataset, min_count: int = 11, start: str | pd.Timestamp | None = None,
                     end: str | pd.Timestamp | None = None) -> OverviewSection:
    """The data overview page: monthly counts, data quality, area rates and density, readings.

    Parameters
    ----------
    dataset : Dataset
        Needs ``incidents``; ``areas`` (with or without boundaries) for the maps.
    min_count : int, default 11
        Counts from 1 to ``min_count - 1`` are suppressed (:mod:`workbench.privacy`).
    start, end : str or Timestamp, optional
        The period ``[start, end)`` in the dataset's time zone; ``end`` defaults to the report's
        one data end (:func:`workbench.data.data_end`), so no month after it shows a false fall.

    Returns
    -------
    OverviewSection
        Display-ready tables (suppressed), readings, notes and figure inputs (aggregates only).
    """
    from workbench.data import data_end, has_area_shapes, no_shapes_note

    de = data_end(dataset)
    first = md_text(start) if start is not None else "the first record"
    if end is None and de is not None:
        end = f"{de.end:%Y-%m-%d}"
        period = f"from {first} through {de.through:%Y-%m-%d} (the data end)"
    else:
        period = f"from {first} to {md_text(end) if end is not None else 'the last record'}"
    lede = (f"Data: **{md_text(dataset.name)}**, times in {md_text(dataset.timezone)}, distances in "
            f"{md_text(dataset.crs)}; period {period}.")
    monthly = monthly_counts(dataset, start, end)
    kinds = [c for c in monthly.columns if c not in ("month", "total")]
    monthly_table, monthly_note = suppress_counts(monthly, kinds, min_count, total="total")
    hidden = monthly_hidden(monthly, min_count)
    figure = pd.DataFrame({"month": monthly["month"], "total": monthly["total"].astype(float).where(~hidden),
                           "hidden": hidden})
    tables = table_overview(dataset)
    present, _ = suppress_counts(tables.loc[tables["present"], ["table", "rows"]], ["rows"], min_count)
    out = OverviewSection(lede=lede, end=None if end is None else str(end), monthly_table=monthly_table,
                          monthly_note=monthly_note, monthly=figure, tables=present,
                          quality=quality_table(dataset, min_count),
                          quality_notes=_quality_notes(dataset, tables, min_count))
    if not dataset.has("areas"):
        out.area_notes.append("These data have no areas, so no map can be drawn.")
    else:
        out.rates = area_rates(dataset, start, end, min_count)
        out.density = density_grid(dataset, start, end, min_count=min_count)
        if has_area_shapes(dataset):
            out.outlines = dataset["areas"]
        else:  # area codes (precinct, district) without polygons: a table, no map by area
            r = out.rates
            shown = r.assign(rate=r["rate"].where(~r["suppressed"]))[["area_id", "incidents", "rate"]]
            table, note = suppress_counts(shown.sort_values("incidents", ascending=False), ["incidents"],
                                          min_count)
            unit = r.attrs.get("rate_unit", "")
            out.rates_table = table.rename(columns={"rate": f"rate {unit}".strip()})
            out.area_notes.append(f"{note} {no_shapes_note('The map by area')}".strip())
    out.readings = readings(monthly, out.rates, min_count)
    return out
