"""Change after the co-responder program start: before/after per area, difference in differences.

For an outcome (a count column of :func:`~workbench.dosage.dose_counts`, default shootings) each
area's rate per 1,000 residents per year is computed before ``[start, program_start)`` and
after ``[program_start, end)``. Areas are split into

- **reached**: ``program_areas`` when given (the program's catchment), otherwise areas where at
  least ``reach_share`` of the shootings with a victim after the start had a co-responder;
- **not reached**: the others; areas with no shooting after the start cannot be judged from the
  data and are left out unless ``program_areas`` is given.

The difference in differences is ``(after - before)`` of the pooled rate (sum of counts over
sum of resident-years) in reached areas minus the same in areas not reached, with a percentile
bootstrap interval that resamples areas within each group (vectorized). It is computed only when
both groups have at least ``min_areas`` areas (default 5) *and* at least ``min_events`` of the
outcome (default 10) both before and after the start; otherwise only the before/after change is
given and the result says why. (With the old rule, three areas with no shooting before the start
made a comparison group: a pooled rate of 0 before, so any shooting after looked like a rise.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.data.timestamps import local_timestamp
from workbench.data.dataset import Dataset

from .measures import DEFAULT_EXPOSURE_RADIUS_M, dose_counts, incident_areas, infer_program_start

CAVEATS = (
    "Before/after changes mix the program with everything else that changed at the same time "
    "(seasons, policing, the pandemic, a citywide trend).",
    "When reach is inferred from the data, areas are 'reached' because co-responders came to their "
    "shootings: reach is not assigned at random, and areas with many shootings are more likely to be "
    "judged reached.",
    "The comparison assumes reached and other areas would have followed parallel trends without the "
    "program; check the before-period trends in the chart.",
    "Areas picked for a program because of a bad year tend to improve anyway (regression to the mean).",
    "Small areas have noisy rates; the interval resamples areas, not shootings within areas.",
)


@dataclass
class ProgramChange:
    """Result of :func:`program_change`.

    Attributes
    ----------
    areas : DataFrame
        One row per area: ``area_id``, ``group`` (reached / not reached / unknown),
        ``coverage`` (share of post-start shootings with a co-responder), ``before``, ``after``
        (counts), ``resident_years_before``, ``resident_years_after``, ``rate_before``,
        ``rate_after`` (per 1,000 residents per year), ``change``.
    groups : DataFrame
        One row per group: areas, counts and pooled rates before and after, change.
    did : dict or None
        ``estimate``, ``lower``, ``upper`` (per 1,000 residents per year), ``level``,
        ``n_boot``; ``None`` when the data do not allow a comparison.
    reason : str
        Why there is no comparison (empty when there is one).
    program_start : Timestamp
    outcome : str
    caveats : tuple of str

    The results are also read under the workbench's estimator names: ``areas_``, ``groups_``,
    ``did_``, ``summary_`` (the difference in differences as a one-row table) and
    ``confidence_intervals_``; ``program_start``, ``outcome``, ``min_areas``, ``n_boot``,
    ``level`` and ``min_events`` are the settings.
    """

    areas: pd.DataFrame
    groups: pd.DataFrame
    did: dict | None
    reason: str
    program_start: pd.Timestamp
    outcome: str
    caveats: tuple[str, ...] = CAVEATS
    notes: list[str] = field(default_factory=list)
    min_areas: int = 5
    n_boot: int = 2000
    level: float = 0.9
    min_events: float = 10

    @property
    def areas_(self) -> pd.DataFrame:
        """``areas`` (one row per area)."""
        return self.areas

    @property
    def groups_(self) -> pd.DataFrame:
        """``groups`` (one row per group)."""
        return self.groups

    @property
    def did_(self) -> dict | None:
        """``did``: the difference in differences, or None."""
        return self.did

    @property
    def summary_(self) -> pd.DataFrame:
        """The difference in differences (per 1,000 residents per year) as a table: index
        ``did``, ``estimate``, ``lower``, ``upper``, ``level``, ``n_boot``; no row without a
        comparison (``reason`` says why)."""
        cols = ["estimate", "lower", "upper", "level", "n_boot"]
        rows = [] if self.did is None else [[self.did[c] for c in cols]]
        return pd.DataFrame(rows, columns=cols, index=pd.Index(["did"] * len(rows), name="effect"))

    @property
    def confidence_intervals_(self) -> pd.DataFrame:
        """``lower``, ``upper`` of the difference in differences (bootstrap over areas, ``level``)."""
        return self.summary_[["lower", "upper"]]

    def with_groups(self, program_areas, seed: int = 0) -> "ProgramChange":
        """The same counts regrouped with ``program_areas`` as the reached areas (a
        sensitivity analysis, or a placebo with random areas), without recounting."""
        t = self.areas.copy()
        t["group"] = np.where(t["area_id"].isin(set(map(str, program_areas))), "reached", "not reached")
        return _finish(t, self.program_start, self.outcome, self.min_areas, self.n_boot, self.level, seed,
                       self.min_events)


def coverage_by_area(dataset: Dataset, program_start: pd.Timestamp, end=None) -> pd.Series:
    """Share of shootings with a victim on or after ``program_start`` that had a co-responder."""
    inc = dataset["incidents"]
    area = pd.Series(incident_areas(dataset), index=inc.index)
    m = (inc["kind"] != "shots_fired") & (inc["occurred_at"] >= program_start)
    if end is not None:
        m &= inc["occurred_at"] < end
    served = set()
    if dataset.has("responses"):
        r = dataset["responses"]
        served = set(r.loc[r["responder_type"] != "police", "incident_id"])
    df = pd.DataFrame({"area_id": area[m], "served": inc.loc[m, "incident_id"].isin(served)})
    return df.dropna().groupby("area_id")["served"].mean()


def _pooled(y: np.ndarray, e: np.ndarray) -> float:
    return 1000 * y.sum() / e.sum() if e.sum() > 0 else np.nan


def program_change(dataset: Dataset, program_start=None, *, outcome: str = "shootings",
                   program_areas=None, reach_share: float = 0.5, min_areas: int = 5, start=None,
                   end=None, n_boot: int = 2000, level: float = 0.9, seed: int = 0,
                   min_events: float = 10) -> ProgramChange:
    """Before/after change per area and a difference-in-differences comparison.

    Parameters
    ----------
    dataset : Dataset
    program_start : str or Timestamp, optional
        Program start (local); default the first co-responder arrival.
    outcome : str, default "shootings"
        Count column of :func:`dose_counts` (``shootings``, ``patrol_hours``,
        ``police_contacts``, ``victims_unserved``, ...); rates are per 1,000 residents per year.
    program_areas : list of str, optional
        Area ids the program served; default inferred from coverage (see module docstring).
    reach_share : float, default 0.5
        Coverage at or above which an area counts as reached (inferred reach only).
    min_areas : int, default 5
        Fewest areas per group for the comparison.
    min_events : float, default 10
        Fewest outcome events (summed over the group's areas) each group needs before and
        after the start for the comparison (a group rate resting on a handful of shootings,
        or on none before the start, means nothing).
    start, end : optional
        Window (default the data's).
    n_boot : int, default 2000
        Bootstrap resamples.
    level : float, default 0.9
        Interval level.
    seed : int, default 0

    Returns
    -------
    ProgramChange

    Examples
    --------
    The first half of the areas of the tiny synthetic city reached by the program, the others not:

    >>> from workbench.synth import generate_city
    >>> ds = generate_city("tiny", seed=1).dataset  # doctest: +SKIP
    >>> from workbench.dosage import program_change
    >>> areas = ds["areas"]["area_id"].tolist()
    >>> pc = program_change(ds, "2024-06-01", program_areas=areas[: len(areas) // 2], n_boot=200)
    >>> pc.reason, list(pc.summary_.columns)
    ('', ['estimate', 'lower', 'upper', 'level', 'n_boot'])
    >>> lo, hi = pc.confidence_intervals_.loc["did"]
    >>> bool(lo <= pc.did_["estimate"] <= hi)
    True
    """
    tz = dataset.timezone
    ps = infer_program_start(dataset) if program_start is None else pd.Timestamp(program_start)
    if ps is None:
        raise ValueError("no program start given and no co-responder records to infer it from")
    ps = local_timestamp(ps, tz)
    radius = DEFAULT_EXPOSURE_RADIUS_M if outcome == "exposed" else None
    before = dose_counts(dataset, start=start, end=ps, exposure_radius_m=radius)
    after = dose_counts(dataset, start=ps, end=end, exposure_radius_m=radius)
    if outcome not in before.columns:
        raise ValueError(f"unknown outcome '{outcome}'")
    t = pd.DataFrame({"area_id": before["area_id"], "before": before[outcome].to_numpy(float),
                      "after": after[outcome].to_numpy(float),
                      "resident_years_before": before["resident_years"].to_numpy(float),
                      "resident_years_after": after["resident_years"].to_numpy(float)})
    cov = coverage_by_area(dataset, ps, after.attrs["window"][1])
    t["coverage"] = t["area_id"].map(cov).to_numpy(float)
    if program_areas is not None:
        pa = set(map(str, program_areas))
        t["group"] = np.where(t["area_id"].isin(pa), "reached", "not reached")
    else:
        t["group"] = np.where(t["coverage"].isna(), "unknown",
                              np.where(t["coverage"] >= reach_share, "reached", "not reached"))
    return _finish(t, ps, outcome, min_areas, n_boot, level, seed, min_events)


def _finish(t: pd.DataFrame, ps, outcome: str, min_areas: int, n_boot: int, level: float,
            seed: int, min_events: float = 10) -> ProgramChange:
    with np.errstate(divide="ignore", invalid="ignore"):
        t["rate_before"] = 1000 * t["before"] / t["resident_years_before"]
        t["rate_after"] = 1000 * t["after"] / t["resident_years_after"]
    t["change"] = t["rate_after"] - t["rate_before"]
    rows = []
    for g, d in t.groupby("group"):
        rb = _pooled(d["before"].to_numpy(), d["resident_years_before"].to_numpy())
        ra = _pooled(d["after"].to_numpy(), d["resident_years_after"].to_numpy())
        rows.append({"group": g, "areas": len(d), "before": d["before"].sum(), "after": d["after"].sum(),
                     "rate_before": rb, "rate_after": ra, "change": ra - rb})
    groups = pd.DataFrame(rows)
    n = t["group"].value_counts()
    did, reason = None, ""
    if np.isnan(t["before"]).all() or t["resident_years_before"].sum() <= 0:
        reason = "there are no data before the program start"
    elif n.get("reached", 0) < min_areas or n.get("not reached", 0) < min_areas:
        reason = (f"fewer than {min_areas} areas {'were not reached' if n.get('not reached', 0) < min_areas else 'were reached'}"
                  " by the program: no comparison group, before/after only")
    elif (thin := [f"{g} areas had {int(c)} {outcome.replace('_', ' ')} {when} the start"
                   for g in ("reached", "not reached")
                   for when, col in (("before", "before"), ("after", "after"))
                   if (c := np.nansum(t.loc[t["group"] == g, col])) < min_events]):
        reason = (f"{'; '.join(thin)} (fewer than {min_events:g}): too few for a comparison, "
                  "before/after only")
    else:
        did = _did(t, n_boot, level, np.random.default_rng(seed))
    return ProgramChange(areas=t, groups=groups, did=did, reason=reason, program_start=ps, outcome=outcome,
                         min_areas=min_areas, n_boot=n_boot, level=level, min_events=min_events)


def _did(t: pd.DataFrame, n_boot: int, level: float, rng: np.random.Generator) -> dict:
    def parts(g):
        d = t[t["group"] == g]
        return (d["before"].to_numpy(), d["resident_years_before"].to_numpy(),
                d["after"].to_numpy(), d["resident_years_after"].to_numpy())

    r, c = parts("reached"), parts("not reached")

    def change(p, idx=None):
        yb, eb, ya, ea = p if idx is None else (x[idx] for x in p)
        ax = -1
        return 1000 * (ya.sum(ax) / ea.sum(ax) - yb.sum(ax) / eb.sum(ax))

    est = change(r) - change(c)
    ir = rng.integers(0, r[0].size, size=(n_boot, r[0].size))
    ic = rng.integers(0, c[0].size, size=(n_boot, c[0].size))
    with np.errstate(divide="ignore", invalid="ignore"):
        boot = change(r, ir) - change(c, ic)
    tail = (1 - level) / 2
    lo, hi = np.nanquantile(boot, [tail, 1 - tail])
    return {"estimate": float(est), "lower": float(lo), "upper": float(hi), "level": level, "n_boot": n_boot,
            "reached_change": float(change(r)), "not_reached_change": float(change(c))}


def group_trends(dataset: Dataset, pc: ProgramChange, freq: str = "Q", start=None, end=None) -> pd.DataFrame:
    """Pooled outcome rate per group (reached / not reached / unknown) and period.

    Returns
    -------
    DataFrame
        ``group``, ``period``, ``start`` (period start, local), ``count``, ``resident_years``,
        ``rate`` (per 1,000 residents per year); the before-period rows are the parallel-trends
        check of the comparison.
    """
    radius = DEFAULT_EXPOSURE_RADIUS_M if pc.outcome == "exposed" else None
    c = dose_counts(dataset, start=start, end=end, freq=freq, exposure_radius_m=radius)
    c["group"] = c["area_id"].map(pc.areas.set_index("area_id")["group"])
    g = c.groupby(["group", "period"], as_index=False).agg(count=(pc.outcome, "sum"),
                                                            resident_years=("resident_years", "sum"))
    g["rate"] = 1000 * g["count"] / g["resident_years"].where(g["resident_years"] > 0)
    g["start"] = pd.PeriodIndex(g["period"], freq=freq).start_time
    return g


def pretrend_check(dataset: Dataset, pc: ProgramChange, seed: int = 0) -> ProgramChange | None:
    """Placebo comparison before the program: the same reached / not-reached areas, a pretend
    start halfway through the before period, data up to the real start only.

    A clear difference here means the groups were already drifting apart before the program
    (trends not parallel), so the main comparison is not trustworthy. ``None`` when the main
    comparison has no groups or the before period is shorter than 60 days.
    """
    if pc.did is None:
        return None
    occ = dataset["incidents"]["occurred_at"]
    first = occ.min().tz_convert(pc.program_start.tz).normalize()
    if (pc.program_start - first).days < 60:
        return None
    fake = first + (pc.program_start - first) / 2
    fake = fake.normalize()
    reached = pc.areas.loc[pc.areas["group"] == "reached", "area_id"]
    t = pc.areas[pc.areas["group"] != "unknown"]["area_id"]
    out = program_change(dataset, fake, outcome=pc.outcome, program_areas=reached, end=pc.program_start,
                         min_areas=pc.min_areas, n_boot=pc.n_boot, level=pc.level, seed=seed,
                         min_events=pc.min_events)
    keep = out.areas["area_id"].isin(set(t))
    return _finish(out.areas[keep].copy(), fake, pc.outcome, pc.min_areas, pc.n_boot, pc.level, seed,
                   pc.min_events)
