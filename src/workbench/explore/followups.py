"""Follow-up explorer: filter referrals by service, provider and responder type.

Controls: ``service``, ``provider``, ``responder_type`` (each ``"all"`` or one value) and
``compare`` (the grouping of the Kaplan-Meier curves). Everything shown is made by the response
page's own functions (:mod:`workbench.sections.response`), on the filtered referrals:

- :func:`~workbench.sections.response.response_section` and
  :func:`~workbench.sections.response.engagement_section` build the referral table once (the
  page's censoring rule, axis length and model covariates);
- :func:`~workbench.sections.response.km_items` makes the curves, their medians table (counts
  suppressed) and readings; with more than :data:`~workbench.sections.response.KEEP_GROUPS`
  groups (22 providers on the demo city) the chart draws the largest and pools the rest into
  one "other" curve (:func:`~workbench.sections.response.grouped_km`), exactly as page 03;
- :func:`~workbench.sections.response.cox_items` fits the Cox model (proportional-hazards check
  included) and makes its table and readings; a covariate that a filter fixes to one value
  drops out of the model (:func:`workbench.survival.cox_design`).

So the explorer and page 03 cannot disagree: with every filter on ``"all"`` its tables are the
page's tables.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from ..data import Dataset
from ._base import Explorer, readings_html, table_html

__all__ = ["FILTERS", "FollowupExplorer"]

#: Filter controls (columns of the engagement table).
FILTERS: tuple[str, ...] = ("service", "provider", "responder_type")
ALL = "all"


def _positive_days(name: str, value: float | None) -> None:
    """Refuse a window that is not a positive number of days (None: no limit)."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} = {value!r} is impossible: give a positive number of days (or None for no limit)")


class FollowupExplorer(Explorer):
    """Interactive time-to-engagement analysis of referrals (page 03's functions, filtered).

    Parameters
    ----------
    dataset : Dataset
        Needs ``responses`` and ``referrals`` (``followups``, ``people``, ``victimizations``
        used when present).
    window_days : float, optional
        Follow-up stops this many days after the referral (None: to the data end); positive.
    lost_after_days : float, default 30
        See :func:`workbench.survival.engagement_table`; positive.
    min_count : int, default 11
        Privacy threshold of the tables, readings and the plots' at-risk counts; also the
        smallest group drawn as its own curve.
    compare : {'service', 'provider', 'responder_type', 'none'}, default 'service'
        Initial grouping of the curves.
    plots : bool, default True
        Draw the figures (False: tables only, faster).

    Attributes
    ----------
    engagement : EngagementSection
        :func:`~workbench.sections.response.engagement_section` of all referrals.
    table : DataFrame
        The referral-level engagement table (all referrals).
    result : dict
        ``table`` (filtered rows), ``items`` (dict key -> :class:`~workbench.sections.Item` of
        :func:`~workbench.sections.response.km_items` and
        :func:`~workbench.sections.response.cox_items` on those rows: display-ready, counts
        suppressed), ``km_item`` (the item of the chosen grouping: table, readings, chart
        input), ``cox_item``, and the analysis objects behind them: ``km`` (overall
        :class:`~workbench.survival.KMResult`), ``km_by`` (by ``compare``, every group; or
        None), ``medians`` (DataFrame: overall row then groups; raw, not displayed), ``cox``
        (:class:`~workbench.survival.CoxResult` or None), ``cox_table`` (its hazard ratios; raw),
        ``filters`` (dict).
    """

    title = "Follow-ups: time to engagement"

    def __init__(self, dataset: Dataset, *, window_days: float | None = None, lost_after_days: float = 30.0,
                 min_count: int = 11, compare: str = "service", plots: bool = True) -> None:
        from ..sections import response as sr

        _positive_days("window_days", window_days)
        _positive_days("lost_after_days", lost_after_days)
        if compare not in (*FILTERS, "none"):
            raise ValueError(f"compare must be one of {[*FILTERS, 'none']}, not {compare!r}")
        super().__init__(plots)
        self.dataset = dataset
        self.min_count = int(min_count)
        if not (dataset.has("responses") and dataset.has("referrals") and len(dataset["referrals"])):
            raise ValueError("the follow-up explorer needs responses and referrals; these data have none")
        page = sr.response_section(dataset, min_count=self.min_count)
        self.engagement = sr.engagement_section(page, window_days=window_days, lost_after_days=lost_after_days)
        if not self.engagement.available:
            raise ValueError(f"the follow-up explorer cannot follow up these referrals: "
                             f"{self.engagement.reason or 'no referral'}")
        self.table = self.engagement.table
        st = {"description_width": "initial"}
        self.controls = {
            col: widgets.Dropdown(options=[ALL] + sorted(self.table[col].dropna().astype(str).unique()),
                                  value=ALL, description=col.replace("_", " "), style=st)
            for col in FILTERS
        }
        self.controls["compare"] = widgets.Dropdown(options=list(FILTERS) + ["none"], value=compare,
                                                    description="curves by", style=st)
        self.outputs = {
            "km": widgets.Image(format="png"),
            "medians": widgets.HTML(),
            "cox": widgets.HTML(),
            "hazard_ratios": widgets.Image(format="png"),
        }
        self._wire()
        self.update()

    def _control_rows(self) -> list[widgets.Widget]:
        c = self.controls
        return [widgets.HBox([c[f] for f in FILTERS]), c["compare"]]

    def _output_layout(self) -> list[widgets.Widget]:
        o = self.outputs
        return [widgets.HBox([o["km"], o["medians"]]), widgets.HBox([o["hazard_ratios"], o["cox"]])]

    def filtered(self, **filters: str) -> pd.DataFrame:
        """Rows of :attr:`table` matching the filters (``"all"`` keeps every value)."""
        keep = np.ones(len(self.table), bool)
        for col, val in filters.items():
            if val != ALL:
                keep &= (self.table[col].astype(str) == val).to_numpy()
        return self.table.loc[keep].reset_index(drop=True)

    def section(self, **filters: str) -> Any:
        """The page's :class:`~workbench.sections.response.EngagementSection` on the filtered referrals.

        Same censoring rule, time axis and covariates as the whole table; only the rows differ
        (so the fit functions of the page run on them unchanged)."""
        sub = self.filtered(**filters)
        return dataclasses.replace(self.engagement, table=sub, results={}, notes=[], available=len(sub) > 0,
                                   reason="" if len(sub) else "no referral matches the filters")

    def _check(self, v: dict[str, Any]) -> None:
        filters = {f: v[f] for f in FILTERS if f in v}
        if not len(self.filtered(**filters)):
            what = ", ".join(f"{k.replace('_', ' ')} {val}" for k, val in filters.items() if val != ALL)
            raise ValueError(f"no referral has {what}: choose another filter")

    def _compute(self, v: dict[str, Any]) -> dict[str, Any]:
        from ..sections import response as sr

        filters = {f: v[f] for f in FILTERS}
        eng = self.section(**filters)
        items = {i.key: i for i in [*sr.km_items(eng), *sr.cox_items(eng)]}
        by = None if v["compare"] == "none" else v["compare"]
        km = eng.results.get("km_all")
        km_by = eng.results.get("km_by", {}).get(sr.KM_GROUPINGS[by]) if by else None
        km_item = items.get(f"km_{by}") if by else items.get("km")
        medians = km.medians if km is not None else pd.DataFrame()
        if km_by is not None and len(km_by.medians):
            medians = pd.concat([km.medians, km_by.medians], ignore_index=True)
        cox = eng.results.get("cox")
        cox = cox if cox is not None and cox.fitted else None
        cox_table = None if cox is None else cox.summary[["column", "hazard_ratio", "hr_lower", "hr_upper", "p"]]
        return {"table": eng.table, "engagement": eng, "items": items, "km_item": km_item,
                "overall_item": items.get("km"), "cox_item": items.get("cox"), "km": km, "km_by": km_by,
                "medians": medians, "cox": cox, "cox_table": cox_table, "filters": filters, "compare": by}

    def _render(self, r: dict[str, Any]) -> None:
        from ..plots import response as prp

        o = self.outputs
        what = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in r["filters"].items() if v != ALL) or "all referrals"
        item = r["km_item"]
        chart = item.figure.get("km") if item is not None and item.available else None
        if chart is None and r["overall_item"] is not None:  # no comparison on these rows: the overall curve
            chart = r["overall_item"].figure.get("km")
        o["km"].value = (self._png(prp.plot_km, **{**chart, "title": f"{chart['title']}: {what}"})
                         if chart else b"")
        lines = [*(r["overall_item"].readings if r["overall_item"] is not None else []),
                 *(item.readings if item is not None and item is not r["overall_item"] else [])]
        caption = "Median days to engagement" + (f" by {r['compare'].replace('_', ' ')}" if r["compare"] else "")
        table = item.table if item is not None and len(item.table) else None
        o["medians"].value = (table_html(table, precision=1, caption=caption) if table is not None
                              else f"<p><b>{caption}</b></p>") + readings_html(lines)
        cox = r["cox_item"]
        fig = cox.figure.get("hazard_ratios") if cox is not None else None
        o["hazard_ratios"].value = self._png(prp.plot_hazard_ratios, **fig) if fig else b""
        o["cox"].value = (table_html(cox.table if cox is not None and cox.available else None, precision=3,
                                     caption="Cox model: hazard ratios of engagement")
                          + readings_html(cox.readings if cox is not None else []))
