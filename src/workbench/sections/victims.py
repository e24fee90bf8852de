"""Who is shot: victims in aggregate by age group, sex and race/ethnicity.

Counts **victimizations** (one row of ``victimizations``: a person shot twice counts twice) of
the shootings in a period, by the victim's

- age group at the shooting (:data:`AGE_GROUPS`: under 18, 18-24, 25-34, 35-44, 45-64, 65+,
  unknown; age = the incident's year minus the birth year, so it may be one year high);
- sex and race/ethnicity (the contract codes);
- age group x sex.

Rates per 100,000 residents per year are shown where the ``areas`` table gives residents by
group: optional integer columns ``population_<sex>`` (``population_male``...),
``population_<race>`` (``population_black``...) and ``population_age_<group>``
(``population_age_under_18``, ``population_age_18_24``, ..., ``population_age_65_plus``;
``children`` serves as ``population_age_under_18`` when that column is absent). A group's rate
needs its column without missing values; otherwise the table says the rate is not available.
The period is ``[start, end)`` when given, else the whole calendar months from the first to
the last incident.

Privacy: counts ``1 .. min_count-1`` are hidden (:func:`workbench.privacy.suppressed_mask`) and
a second cell is hidden in every line (a table's rows with their total, and in the age x sex
table its columns too) that would otherwise let a hidden count be worked out by subtraction
(:func:`workbench.privacy.complementary_mask`, repeated until nothing changes). The age and sex
tables are the margins of the age x sex table and share its hidden cells, so no table can be
used to undo another. Shares, rates and fatal shares of a hidden count are hidden too; the
share fatal is shown only where both the fatal and the non-fatal counts are large enough
(:func:`workbench.privacy.enough`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.data.contract import CODES
from workbench.data.dataset import Dataset
from workbench.data.period import incidents_in_period
from workbench.data.timestamps import local_timestamp
from workbench.privacy import (HIDDEN_TOTAL, complementary_mask, count_text, enough, suppressed_mask,
                               suppression_marker)

from ._common import Item, round_people

__all__ = ["AGE_GROUPS", "VictimsSection", "group_population", "period_bounds", "rate_per_100k",
           "victim_groups", "victims_section"]

#: Age groups ``(code, label, lowest age, highest age)`` in whole years at the shooting.
AGE_GROUPS: tuple[tuple[str, str, int, int], ...] = (
    ("under_18", "under 18", 0, 17), ("18_24", "18-24", 18, 24), ("25_34", "25-34", 25, 34),
    ("35_44", "35-44", 35, 44), ("45_64", "45-64", 45, 64), ("65_plus", "65+", 65, 200),
)
SHOOTING_KINDS: tuple[str, ...] = ("fatal_shooting", "nonfatal_shooting")
_DIMS = {"age": "age group", "sex": "sex", "race": "race/ethnicity"}
_CODES = {"age": tuple(c for c, *_ in AGE_GROUPS) + ("unknown",), "sex": CODES["sex"],
          "race": CODES["race_ethnicity"]}
_LABEL = {**{c: lab for c, lab, *_ in AGE_GROUPS}, "unknown": "unknown"}
_NOUN = {"black": "Black", "hispanic": "Hispanic", "white": "White", "asian": "Asian", "other": "other",
         "male": "male", "female": "female"}


@dataclass
class VictimsSection:
    """Result of :func:`victims_section`.

    Attributes
    ----------
    items : list of Item
        ``"age"``, ``"sex"``, ``"race"`` and ``"age_sex"``: display-ready tables (hidden counts
        as markers) with their readings.
    readings : list of str
        Plain sentences for the whole section (counts already suppressed).
    notes : list of str
        Footnotes: suppression, what a rate needs, what was not available.
    victimizations : DataFrame
        Per-group raw counts, **not for display** (tests and checks): ``dimension``, ``group``,
        ``n``, ``fatal``, ``residents``, ``rate`` (per 100,000 per year), before suppression.
    years : float
        Length of the period, years.
    """

    items: list[Item] = field(default_factory=list)
    readings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    victimizations: pd.DataFrame = field(default_factory=pd.DataFrame)
    years: float = float("nan")

    def item(self, key: str) -> Item:
        """The item with this key."""
        return next(i for i in self.items if i.key == key)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (display parts only)."""
        return {"items": [i.to_json() for i in self.items], "readings": list(self.readings),
                "notes": list(self.notes)}


def rate_per_100k(count: Any, population: Any, years: float) -> np.ndarray:
    """Events per 100,000 residents per year (NaN where the population is missing or zero).

    Parameters
    ----------
    count, population : array-like
        Events and residents (same shape).
    years : float
        Length of the period, years.
    """
    c = np.asarray(count, dtype=float)
    p = np.asarray(pd.to_numeric(pd.Series(np.ravel(population)), errors="coerce"), float).reshape(c.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((p > 0) & (years > 0), 1e5 * c / np.where(p > 0, p, 1.0) / years, np.nan)


def victim_groups(dataset: Dataset, start: str | pd.Timestamp | None = None,
                  end: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """One row per victimization of a shooting in the period, with the victim's groups.

    Returns
    -------
    DataFrame
        ``age`` (age group code), ``sex``, ``race``, ``fatal`` (bool) and ``occurred_at``.
    """
    inc = incidents_in_period(dataset, start, end)
    inc = inc.loc[inc["kind"].isin(SHOOTING_KINDS), ["incident_id", "occurred_at", "kind"]]
    if not dataset.has("victimizations"):
        return pd.DataFrame(columns=["age", "sex", "race", "fatal", "occurred_at"])
    v = dataset["victimizations"].merge(inc, on="incident_id", how="inner")
    if dataset.has("people"):
        ppl = dataset["people"][["person_id", "birth_year", "sex", "race_ethnicity"]]
        v = v.merge(ppl, on="person_id", how="left")
    else:
        v = v.assign(birth_year=pd.NA, sex="unknown", race_ethnicity="unknown")
    by = pd.to_numeric(v["birth_year"], errors="coerce").to_numpy(float)
    year = v["occurred_at"].dt.year.to_numpy(float) if len(v) else np.array([], float)
    age = year - by
    group = np.full(len(v), "unknown", dtype=object)
    for code, _, lo, hi in AGE_GROUPS:
        group[(age >= lo) & (age <= hi)] = code
    fatal = v["fatal"] if "fatal" in v else pd.Series(pd.NA, index=v.index)
    fatal = fatal.astype(object).where(fatal.notna(), v["kind"].eq("fatal_shooting")).astype(bool)
    return pd.DataFrame({"age": group, "sex": v["sex"].fillna("unknown").to_numpy(),
                         "race": v["race_ethnicity"].fillna("unknown").to_numpy(),
                         "fatal": fatal.to_numpy(), "occurred_at": v["occurred_at"].to_numpy()})


def period_bounds(dataset: Dataset, start: str | pd.Timestamp | None = None,
                  end: str | pd.Timestamp | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period rates are per: ``[start, end)`` where given, else the whole calendar months
    from the first to the last incident (local time)."""
    tz = dataset.timezone
    t = dataset["incidents"]["occurred_at"].dt.tz_convert(tz)
    lo, hi = local_timestamp(start, tz), local_timestamp(end, tz)
    if lo is None:
        first = t.min()
        lo = pd.Timestamp(year=first.year, month=first.month, day=1, tz=tz)
    if hi is None:
        last = t.max()
        hi = pd.Timestamp(year=last.year, month=last.month, day=1, tz=tz) + pd.DateOffset(months=1)
    return lo, hi


def group_population(areas: pd.DataFrame | None, dimension: str, group: str) -> float:
    """Residents of a group summed over areas (NaN when the column is absent or incomplete).

    Parameters
    ----------
    areas : DataFrame or None
        The ``areas`` table.
    dimension : {"age", "sex", "race"}
    group : str
        Group code (``"18_24"``, ``"male"``, ``"black"``...).
    """
    if areas is None or group == "unknown":
        return float("nan")
    name = f"population_age_{group}" if dimension == "age" else f"population_{group}"
    if name not in areas and name == "population_age_under_18" and "children" in areas:
        name = "children"
    if name not in areas:
        return float("nan")
    col = pd.to_numeric(areas[name], errors="coerce")
    return float(col.sum()) if len(col) and col.notna().all() else float("nan")


def _protect(values: np.ndarray, min_count: int, both: bool) -> np.ndarray:
    """Hidden cells of a table whose last column (and, with ``both``, last row) are totals.

    Every row (and column with ``both``) is one additive line: cells plus total. A line with
    exactly one hidden entry gets a second one (:func:`complementary_mask`), repeated until
    nothing changes. Already hidden cells enter as the count 1 (a small count).
    """
    v = np.asarray(values, dtype=float)
    hidden = suppressed_mask(v, min_count)
    small = 1.0 if hidden.any() else 0.0
    for _ in range(2 * sum(v.shape) + 2):
        x = np.where(hidden, small, v)
        new = hidden | complementary_mask(x, min_count)[0]
        if both:
            new |= complementary_mask(x.T, min_count)[0].T
        if (new == hidden).all():
            break
        hidden = new
    return hidden


def _cells(values: np.ndarray, hidden: np.ndarray, min_count: int) -> list[Any]:
    primary = suppressed_mask(values, min_count)
    marker = suppression_marker(min_count)
    return [marker if p else HIDDEN_TOTAL if h else int(x) for x, h, p in zip(values, hidden, primary)]


def _pct(x: float) -> str:
    return "" if not np.isfinite(x) else f"{100 * x:.0f}%" if x >= 0.1 else f"{100 * x:.1f}%"


def _label(dim: str, code: str) -> str:
    if code == "all":
        return "All"
    return _LABEL.get(code, code) if dim == "age" else code.replace("_", " ").capitalize()


def _total_population(areas: pd.DataFrame | None) -> float:
    """All residents (NaN when the areas have no complete ``population``)."""
    if areas is None or "population" not in areas:
        return float("nan")
    pop = pd.to_numeric(areas["population"], errors="coerce")
    return float(pop.sum()) if pop.notna().all() else float("nan")


def _fatal_share(fatal: float, n: float, min_count: int) -> str:
    """Share fatal, blank unless both the fatal and the non-fatal counts may be shown."""
    return _pct(fatal / n) if enough(fatal, min_count) and enough(n - fatal, min_count) else ""


def _dim_table(dim: str, counts: pd.DataFrame, hidden: np.ndarray, min_count: int, years: float,
               areas: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Display table and raw rows of one dimension (``counts``: ``group``, ``n``, ``fatal``).

    ``hidden`` marks the hidden counts, groups then the total.
    """
    n = counts["n"].to_numpy(float)
    fat = counts["fatal"].to_numpy(float)
    total = n.sum()
    shown = ~hidden[:-1]
    res = np.array([group_population(areas, dim, g) for g in counts["group"]])
    all_res = _total_population(areas)
    rate = rate_per_100k(n, res, years)
    overall = rate_per_100k([total], [all_res], years)[0]
    raw = pd.DataFrame({"dimension": dim, "group": counts["group"].to_numpy(), "n": n.astype(int),
                        "fatal": fat.astype(int), "residents": res, "rate": rate})
    tab = pd.DataFrame({
        _DIMS[dim]: [_label(dim, g) for g in counts["group"]] + ["All"],
        "victims": _cells(np.append(n, total), hidden, min_count),
        "share of victims": [_pct(x / total) if s else "" for x, s in zip(n, shown)] + ["100%"],
        "share fatal": [_fatal_share(f, x, min_count) if s else "" for f, x, s in zip(fat, n, shown)]
        + [_fatal_share(fat.sum(), total, min_count) if not hidden[-1] else ""],
    })
    if np.isfinite(res).any():
        ok = shown & np.isfinite(rate)
        has_overall = bool(np.isfinite(overall) and overall > 0 and not hidden[-1])
        tab["residents"] = [f"{round_people(r):,}" if np.isfinite(r) else "" for r in np.append(res, all_res)]
        tab["per 100,000 residents a year"] = [f"{r:,.1f}" if k else "" for r, k in zip(rate, ok)] + \
            [f"{overall:,.1f}" if has_overall else ""]
        ratio = [f"{r / overall:.2f}" if k and has_overall else "" for r, k in zip(rate, ok)]
        tab["times the overall rate"] = ratio + ["1.00" if has_overall else ""]
    return tab, raw


def _dim_counts(g: pd.DataFrame, dim: str) -> pd.DataFrame:
    """Victimizations and fatal ones per group, groups in code order (other codes after)."""
    c = g.groupby(dim, sort=False).agg(n=("fatal", "size"), fatal=("fatal", "sum"))
    order = [x for x in _CODES[dim] if x in c.index] + sorted(x for x in c.index if x not in _CODES[dim])
    return c.reindex(order).reset_index().rename(columns={dim: "group"})


def _readings_dim(dim: str, raw: pd.DataFrame, hidden: np.ndarray, min_count: int) -> list[str]:
    out: list[str] = []
    total = raw["n"].sum()
    known = raw.loc[(raw["group"] != "unknown") & ~hidden[:-1]]
    if len(known) and total:
        top = known.sort_values("n", ascending=False).iloc[0]
        name = f"aged {_label(dim, top['group'])}" if dim == "age" else _NOUN.get(top["group"], top["group"])
        out.append(f"By {_DIMS[dim]}: the largest group is {name}, "
                   f"{count_text(top['n'], min_count, words=True)} victims ({_pct(top['n'] / total)}).")
    unk = raw.loc[raw["group"] == "unknown", "n"].sum()
    if unk and total:
        out.append(f"The {_DIMS[dim]} is unknown for {_pct(unk / total)} of victims.")
    ok = raw.loc[(raw["group"] != "unknown") & np.isfinite(raw["rate"]) & enough(raw["n"], min_count).to_numpy()
                 & ~hidden[:-1]]
    ok = ok.loc[ok["rate"] > 0]
    if len(ok) >= 2:
        hi, lo = ok.loc[ok["rate"].idxmax()], ok.loc[ok["rate"].idxmin()]

        def who(r: pd.Series) -> str:
            return f"residents aged {_label(dim, r['group'])}" if dim == "age" else \
                f"{_NOUN.get(r['group'], r['group'])} residents"

        out.append(f"Per resident, {who(hi)} were shot at {hi['rate'] / lo['rate']:.1f} times the rate of "
                   f"{who(lo)} ({hi['rate']:,.0f} vs {lo['rate']:,.0f} per 100,000 a year).")
    return out


def victims_section(dataset: Dataset, min_count: int, start: str | pd.Timestamp | None = None,
                    end: str | pd.Timestamp | None = None) -> VictimsSection:
    """Who is shot: victims by age group, sex, race/ethnicity and age x sex (see the module docstring).

    Parameters
    ----------
    dataset : Dataset
    min_count : int
        Smallest count that may be shown.
    start, end : str or Timestamp, optional
        Period ``[start, end)`` of the shootings (dates in the dataset's time zone).

    Returns
    -------
    VictimsSection
    """
    out = VictimsSection()
    g = victim_groups(dataset, start, end)
    if not dataset.has("victimizations") or not len(g):
        why = "These data have no victim records" if not dataset.has("victimizations") else \
            "There are no shooting victims in this period"
        out.readings.append(f"{why}, so who is shot cannot be described.")
        for key, title in (("age", "Victims by age group"), ("sex", "Victims by sex"),
                           ("race", "Victims by race/ethnicity"), ("age_sex", "Victims by age group and sex")):
            out.items.append(Item(key, title, readings=[out.readings[0]], available=False))
        return out
    lo, hi = period_bounds(dataset, start, end)
    out.years = (hi - lo) / pd.Timedelta(days=365.25)
    areas = dataset["areas"] if dataset.has("areas") else None

    # age x sex, with margins: the age and sex tables are its last column and last row
    ages = _dim_counts(g, "age")["group"].tolist()
    sexes = _dim_counts(g, "sex")["group"].tolist()
    cross = pd.crosstab(g["age"], g["sex"]).reindex(index=ages, columns=sexes, fill_value=0)
    m = np.zeros((len(ages) + 1, len(sexes) + 1))
    m[:-1, :-1] = cross.to_numpy()
    m[:-1, -1] = m[:-1, :-1].sum(1)
    m[-1] = m[:-1].sum(0)
    hid = _protect(m, min_count, both=True)

    raws = []
    for dim, h in (("age", hid[:, -1]), ("sex", hid[-1, :]), ("race", None)):
        counts = _dim_counts(g, dim)
        if h is None:
            v = np.append(counts["n"].to_numpy(float), counts["n"].sum())
            h = _protect(v[None, :], min_count, both=False)[0] | np.append(np.zeros(len(counts), bool), hid[-1, -1])
        tab, raw = _dim_table(dim, counts, h, min_count, out.years, areas)
        raws.append(raw)
        item = Item(dim, f"Victims by {_DIMS[dim]}", table=tab, page="00_data_overview",
                    readings=_readings_dim(dim, raw, h, min_count))
        if "residents" not in tab:
            item.readings.append(f"Rates per resident by {_DIMS[dim]} are not shown: the areas table has no "
                                 f"residents by {_DIMS[dim]}.")
        out.items.append(item)
    cross_tab = pd.DataFrame({"age group": [_label("age", a) for a in ages] + ["All"]})
    for j, s in enumerate(sexes + ["all"]):
        cross_tab[_label("sex", s)] = _cells(m[:, j], hid[:, j], min_count)
    out.items.append(Item("age_sex", "Victims by age group and sex", table=cross_tab, page="00_data_overview",
                          readings=["Rates by age group and sex together are not computed (residents are given "
                                    "by age group and by sex separately at most)."]))
    out.victimizations = pd.concat(raws, ignore_index=True)

    n = len(g)
    died = _fatal_share(int(g["fatal"].sum()), n, min_count)
    last = hi - pd.Timedelta(days=1)
    out.readings.append(
        f"There were {count_text(n, min_count, words=True)} victims of shootings from {lo:%d %b %Y} to "
        f"{last:%d %b %Y} (a person shot twice counts twice)" + (f"; {died} of them died." if died else "."))
    for it in out.items[:3]:
        out.readings.extend(it.readings)
    marker = suppression_marker(min_count)
    out.notes.append(
        f"Counts from 1 to {min_count - 1} are shown as '{marker}'; '{HIDDEN_TOTAL}' marks a second count "
        "hidden so that a hidden one cannot be worked out from a total. Shares, rates and fatal shares "
        "of hidden counts are left blank; the share fatal is shown only where both the fatal and the "
        "non-fatal counts can be shown.")
    out.notes.append(
        "Age is the year of the shooting minus the birth year. Rates are victimizations per 100,000 "
        "residents of the group per year over the period (the whole months of the data unless a "
        "period is chosen); victims "
        "whose group is unknown are in no group's rate, so group rates may be too low.")
    return out
