"""People explorer: cutoff date and list size -> forward evaluation and fairness audit.

Controls: ``horizon_days`` (prediction window), ``cutoff`` (month start; only cutoffs whose
window ends inside the data), ``list_size_pct`` (share of the ranked population put on the
list, percent) and ``model`` (whose list is audited and shown). Outputs: the evaluation of every
model's list at that cutoff (:func:`workbench.network.ranking_metrics` via
:func:`workbench.network.risk_list`), the share of victims captured, and the fairness audit
(:func:`workbench.fairness.fairness_audit`) of the chosen model's list.

The expensive step -- :func:`workbench.network.rolling_evaluation` at one cutoff, which fits
the contagion model and the baselines -- is cached per (cutoff, horizon); changing the list
size only re-ranks the cached probabilities with :func:`workbench.network.risk_list`. The
:class:`~workbench.network.PeopleHistory` is built once.

Researcher tool: ``result['flagged']`` and the list view carry person ids, which are the
dataset's pseudonymous ids; no names are ever read.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..data import Dataset
from ._base import Explorer, table_html

__all__ = ["HORIZONS", "LIST_SIZES_PCT", "PeopleExplorer"]

#: Prediction windows offered (days); only those leaving at least one cutoff are shown.
HORIZONS: tuple[int, ...] = (30, 60, 90, 180, 365)
#: List sizes offered, percent of the ranked population.
LIST_SIZES_PCT: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0)
_RANKING_COLS = {"score", "probability", "rank", "selected", "outcome"}


class PeopleExplorer(Explorer):
    """Interactive forward evaluation and fairness audit of the people risk lists.

    Parameters
    ----------
    dataset : Dataset
        Needs ``people``, ``arrests`` and ``victimizations`` (with incidents).
    horizon_days : int, optional
        Initial prediction window, days (default: the longest of :data:`HORIZONS` that leaves
        at least three monthly cutoffs, else the longest leaving one).
    cutoff : date-like, optional
        Initial cutoff (default: the last allowed one).
    list_size_pct : float, default 1.0
        Initial list size, percent of the ranked population.
    model : str, default 'contagion'
        Initial audited model (one of :data:`workbench.network.MODELS`).
    top_k : int, default 100
        A fixed list size also scored (``captured_k<top_k>``).
    bound : (float, float), default (0.8, 1.25)
        Fairness band (four-fifths rule).
    min_group_size : int, default 30
        Smaller groups are reported as too small.
    top_n : int, default 20
        Rows of the flagged list shown (pseudonymous ids).
    plots : bool, default True
        Draw the figures (False: tables only, faster).

    Attributes
    ----------
    history : PeopleHistory
    result : dict
        ``evaluation`` (DataFrame, one row per model: ``model``, ``label`` and the ranking
        metrics at the current list size), ``audit`` (DataFrame, the chosen model's audit),
        ``flags`` (audit rows flagged), ``lists`` (dict model -> :class:`~workbench.network.RiskList`),
        ``flagged`` (DataFrame, the chosen model's flagged people; pseudonymous ids),
        ``cutoff``, ``horizon_days``, ``top_share``, ``n_victims``.
    n_evaluations : int
        How many times the (cached) rolling evaluation actually ran.
    """

    title = "People: forward evaluation and fairness audit"

    def __init__(self, dataset: Dataset, *, horizon_days: int | None = None, cutoff: Any = None,
                 list_size_pct: float = 1.0, model: str = "contagion", top_k: int = 100,
                 bound: tuple[float, float] = (0.8, 1.25), min_group_size: int = 30, top_n: int = 20,
                 plots: bool = True) -> None:
        from ..network import MODEL_LABELS, MODELS, PeopleHistory, default_cutoffs

        super().__init__(plots)
        self.dataset = dataset
        missing = [t for t in ("people", "victimizations") if not (dataset.has(t) and len(dataset[t]))]
        if missing:
            raise ValueError(f"the people explorer needs {' and '.join(missing)}; these data have none")
        self.history = PeopleHistory.from_dataset(dataset)
        self.top_k, self.bound, self.min_n, self.top_n = int(top_k), tuple(bound), int(min_group_size), int(top_n)
        self.labels = MODEL_LABELS
        self.n_evaluations = 0
        self._cache: dict[tuple, Any] = {}
        self._cutoffs = {h: default_cutoffs(self.history, h, n_cutoffs=240) for h in HORIZONS}
        horizons = [h for h in HORIZONS if len(self._cutoffs[h])]
        if not horizons:
            raise ValueError("the data are too short for a forward evaluation with a 30-day window")
        if horizon_days is None:
            three = [h for h in horizons if len(self._cutoffs[h]) >= 3]
            horizon_days = max(three or horizons)
        if horizon_days not in horizons:
            raise ValueError(f"horizon_days must be one of {horizons} for these data, got {horizon_days}")
        st = {"description_width": "initial"}
        self.controls = {
            "horizon_days": widgets.Dropdown(options=horizons, value=horizon_days, description="window (days)",
                                             style=st),
            "cutoff": widgets.SelectionSlider(options=["x"], description="cutoff", continuous_update=False,
                                              style=st, layout=widgets.Layout(width="60%")),
            "list_size_pct": widgets.SelectionSlider(options=list(LIST_SIZES_PCT), value=float(list_size_pct),
                                                     description="list size (% ranked)", continuous_update=False,
                                                     style=st),
            "model": widgets.Dropdown(options=[(MODEL_LABELS.get(m, m), m) for m in MODELS], value=model,
                                      description="audit list", style=st),
        }
        self._set_cutoff_options(horizon_days, cutoff)
        self.outputs = {
            "evaluation": widgets.HTML(),
            "capture": widgets.Image(format="png"),
            "audit_chart": widgets.Image(format="png"),
            "audit": widgets.HTML(),
            "flagged": widgets.HTML(),
        }
        self._wire()
        self.update()

    def _set_cutoff_options(self, horizon: int, keep: Any = None) -> None:
        cuts = self._cutoffs[horizon]
        labels = [f"{c:%Y-%m-%d}" for c in cuts]
        w = self.controls["cutoff"]
        want = f"{pd.Timestamp(keep):%Y-%m-%d}" if keep is not None else None
        if want is not None and want not in labels:
            raise ValueError(f"cutoff {want} is not allowed with a {horizon}-day window; choose from {labels}")
        self._hold = True
        try:
            w.options = labels
            w.value = want or labels[-1]
        finally:
            self._hold = False

    def _on_change(self, change) -> None:
        if self._hold:
            return
        if change["owner"] is self.controls["horizon_days"]:
            cur = self.controls["cutoff"].value
            labels = [f"{c:%Y-%m-%d}" for c in self._cutoffs[change["new"]]]
            self._set_cutoff_options(change["new"], cur if cur in labels else None)
        self.update()

    def evaluate(self, cutoff: Any, horizon_days: float) -> Any:
        """:func:`workbench.network.rolling_evaluation` at one cutoff, lists kept (cached)."""
        from ..network import rolling_evaluation

        c = self.history.timestamp(cutoff)
        key = (c, float(horizon_days))
        if key not in self._cache:
            self._cache[key] = rolling_evaluation(self.history, cutoffs=[c], horizon_days=float(horizon_days),
                                                  top_k=(self.top_k,), bound=self.bound, min_n=self.min_n,
                                                  keep_lists=True)
            self.n_evaluations += 1
        return self._cache[key]

    def _compute(self, v: dict[str, Any]) -> dict[str, Any]:
        from ..network import risk_list

        h = float(v["horizon_days"])
        c = self.history.timestamp(v["cutoff"])
        share = float(v["list_size_pct"]) / 100.0
        rev = self.evaluate(c, h)
        n_vict = self.history.n_victims(c, c + pd.Timedelta(days=h))
        lists = {}
        for m, base in rev.lists_.items():
            rk = base.ranking
            attrs = rk[[col for col in rk.columns if col not in _RANKING_COLS]]
            lists[m] = risk_list(rk["probability"], attrs, c, h, m, outcome=rk["outcome"], n_victims=n_vict,
                                 top_share=share, top_k=(self.top_k,), score=rk["score"], bound=self.bound,
                                 min_n=self.min_n)
        ev = pd.DataFrame([rl.evaluation_ for rl in lists.values()]).reset_index(drop=True)
        ev.insert(0, "model", list(lists))
        ev.insert(1, "label", [self.labels.get(m, m) for m in lists])
        model = v["model"] if v["model"] in lists else next(iter(lists))
        audit = lists[model].audit_
        flags = audit.loc[audit["flagged"]] if "flagged" in audit else audit.iloc[:0]
        return {"evaluation": ev, "audit": audit, "flags": flags, "lists": lists, "model": model,
                "flagged": lists[model].flagged, "cutoff": c, "horizon_days": h, "top_share": share,
                "n_victims": n_vict, "rolling": rev}

    def _render(self, r: dict[str, Any]) -> None:
        from ..plots import people as pp

        o = self.outputs
        share, label = r["top_share"], self.labels.get(r["model"], r["model"])
        ev = r["evaluation"]
        cols = [c for c in ["label", "n_victims", "k", "captured", "share_captured", "precision_at_k", "auc",
                            f"captured_k{self.top_k}"] if c in ev]
        o["evaluation"].value = table_html(
            ev[cols], caption=f"Cutoff {r['cutoff']:%Y-%m-%d}, next {r['horizon_days']:.0f} days: "
                              f"{r['n_victims']} victims; lists of the top {100 * share:g}%")
        o["capture"].value = self._png(
            pp.plot_capture, ev, share, self.labels,
            title=f"Victims captured by the top {100 * share:g}% at {r['cutoff']:%Y-%m-%d}")
        a = r["audit"]
        if len(a.loc[a["reliable"] & (a["group"] != "all")]):
            o["audit_chart"].value = self._png(pp.plot_audit, a, self.bound, title=f"Fairness audit: {label} list")
        else:
            o["audit_chart"].value = b""
        acols = [c for c in ["attribute", "group", "n", "n_selected", "n_outcome", "tp", "selection_rate_ratio",
                             "capture_rate_ratio", "false_positive_rate_ratio", "calibration", "reliable",
                             "flags"] if c in a]
        o["audit"].value = table_html(a[acols], precision=2, caption=f"Fairness audit: {label} list")
        fl = r["flagged"].reset_index()
        keep = [c for c in fl.columns if c not in {"selected", "score"}]
        o["flagged"].value = table_html(fl[keep].head(self.top_n), precision=4, max_rows=self.top_n,
                                        caption=f"{label} list, first {min(self.top_n, len(fl))} of {len(fl)} "
                                                "people (pseudonymous ids; researchers only)")
