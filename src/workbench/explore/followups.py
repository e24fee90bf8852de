"""Follow-up explorer: filter referrals by service, provider and responder type.

Controls: ``service``, ``provider``, ``responder_type`` (each ``"all"`` or one value) and
``compare`` (the grouping of the Kaplan-Meier curves). Outputs: Kaplan-Meier curves of the
time to engagement (:func:`workbench.survival.kaplan_meier`, overall and by the chosen
grouping, drawn with :func:`workbench.plots.response.plot_km`) with their medians, and the Cox
model (:func:`workbench.survival.fit_cox`) of the filtered referrals. The referral table
(:func:`workbench.survival.engagement_table`) is built once.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from ..data import Dataset
from ..privacy import count_text, enough
from ._base import Explorer, table_html

__all__ = ["FILTERS", "FollowupExplorer"]

#: Filter controls (columns of the engagement table).
FILTERS: tuple[str, ...] = ("service", "provider", "responder_type")
ALL = "all"


class FollowupExplorer(Explorer):
    """Interactive time-to-engagement analysis of referrals.

    Parameters
    ----------
    dataset : Dataset
        Needs ``responses`` and ``referrals`` (``followups``, ``people``, ``victimizations``
        used when present).
    window_days : float, optional
        Follow-up stops this many days after the referral (None: to the data end).
    lost_after_days : float, default 30
        See :func:`workbench.survival.engagement_table`.
    min_count : int, default 11
        Privacy threshold of the plots' at-risk counts; also the smallest group drawn as its
        own curve.
    compare : {'service', 'provider', 'responder_type', 'none'}, default 'service'
        Initial grouping of the curves.
    check_ph : bool, default False
        Run the proportional-hazards check of each Cox fit (slower; ``result['cox'].ph_test``).
    plots : bool, default True
        Draw the figures (False: tables only, faster).

    Attributes
    ----------
    table : DataFrame
        The referral-level engagement table (all referrals).
    result : dict
        ``table`` (filtered rows), ``km`` (overall :class:`~workbench.survival.KMResult`),
        ``km_by`` (by ``compare``, or None), ``medians`` (DataFrame: overall row then groups),
        ``cox`` (:class:`~workbench.survival.CoxResult` or None), ``cox_table`` (DataFrame or
        None), ``cox_note`` (str), ``filters`` (dict).
    """

    title = "Follow-ups: time to engagement"

    def __init__(self, dataset: Dataset, *, window_days: float | None = None, lost_after_days: float = 30.0,
                 min_count: int = 11, compare: str = "service", check_ph: bool = False,
                 plots: bool = True) -> None:
        from .. import response, survival

        super().__init__(plots)
        self.dataset = dataset
        self.min_count = int(min_count)
        self.check_ph = bool(check_ph)
        if not (dataset.has("responses") and dataset.has("referrals") and len(dataset["referrals"])):
            raise ValueError("the follow-up explorer needs responses and referrals; these data have none")
        self.data = response.prepare_response_data(dataset)
        self.table = survival.engagement_table(dataset, self.data, window_days=window_days,
                                               lost_after_days=lost_after_days)
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

    def _compute(self, v: dict[str, Any]) -> dict[str, Any]:
        from .. import survival

        filters = {f: v[f] for f in FILTERS}
        sub = self.filtered(**filters)
        if not len(sub):
            raise ValueError(f"no referrals match {filters}")
        km = survival.kaplan_meier(sub)
        by = None if v["compare"] == "none" else v["compare"]
        km_by = survival.kaplan_meier(sub, by=by, min_group=self.min_count) if by else None
        medians = km.medians
        if km_by is not None and len(km_by.medians):
            medians = pd.concat([km.medians, km_by.medians], ignore_index=True)
        # categorical covariates fixed by a filter (or with one level left) cannot enter the model
        covs = [c for c in survival.DEFAULT_COVARIATES
                if c not in survival.CATEGORICAL or sub[c].nunique(dropna=True) >= 2]
        cox, note = None, ""
        if not enough(int(sub["engaged"].sum()), self.min_count):
            note = f"Too few engagements ({count_text(int(sub['engaged'].sum()), self.min_count, words=True)}) for a Cox model."
        else:
            try:
                cox = survival.fit_cox(sub, covariates=covs, check=self.check_ph)
            # fit_cox already refits with a penalty or returns an unfitted result on no convergence;
            # bad covariates on a small subset raise ValueError (lifelines' ConvergenceError is one).
            # Anything else is a bug: the explorer shows it with its traceback (Explorer.update).
            except (ValueError, np.linalg.LinAlgError) as exc:
                note = f"The Cox model could not be fitted on these referrals: {exc}"
            else:
                if not cox.fitted:  # too few events, or no convergence even with a penalty: say why
                    note, cox = f"The Cox model could not be fitted on these referrals: {cox.reason}.", None
                else:
                    note = (f"Referrals used: {cox.n}, engaged: {cox.events}, left out for a missing covariate: "
                            f"{cox.dropped}; concordance {cox.concordance:.3f}. Reference levels: "
                            + "; ".join(f"{k}: {', '.join(r)}" for k, r in cox.references.items()) + "."
                            + (f" {cox.note}" if cox.note else ""))
        cox_table = None if cox is None else cox.summary[["column", "hazard_ratio", "hr_lower", "hr_upper", "p"]]
        return {"table": sub, "km": km, "km_by": km_by, "medians": medians, "cox": cox,
                "cox_table": cox_table, "cox_note": note, "filters": filters}

    def _render(self, r: dict[str, Any]) -> None:
        from ..plots import response as prp

        o = self.outputs
        km = r["km_by"] if r["km_by"] is not None and len(r["km_by"].medians) >= 2 else r["km"]
        what = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in r["filters"].items() if v != ALL) or "all referrals"
        o["km"].value = self._png(prp.plot_km, km, self.min_count, f"Time to engagement: {what}")
        o["medians"].value = table_html(r["medians"], precision=1, caption="Median days to engagement")
        if r["cox"] is not None:
            o["hazard_ratios"].value = self._png(prp.plot_hazard_ratios, r["cox"].summary)
        else:
            o["hazard_ratios"].value = b""
        o["cox"].value = table_html(r["cox_table"], caption="Cox model: hazard ratios of engagement") + \
            f"<p><i>{r['cox_note']}</i></p>"
