"""People explorer: cutoff date, window and list size -> the people page's items at that cutoff.

Controls: ``horizon_days`` (prediction window), ``cutoff`` (month start; only cutoffs whose
window ends by the data end), ``list_size_pct`` (share of the ranked population put on the list,
percent) and ``model`` (whose list is audited and, for researchers, shown). Everything shown is
made by the people page's own functions (:mod:`workbench.sections.people`), as of the cutoff:

- :func:`~workbench.sections.people.people_section` (``as_of`` = the cutoff): the network summary
  table and readings, exposure to recent victims (readings and the figure's counts);
- :func:`~workbench.sections.people.contagion_items`: the contagion table (background rate per
  person per year) and readings, fitted on the victimizations before the cutoff;
- :func:`~workbench.sections.people.forward_items` at that one cutoff: the table of lists
  (shares and precision hidden next to a hidden count), calibration, the fairness audit of the
  contagion list and its readings; another model's audit goes through the same
  :func:`~workbench.sections.people.audit_view`.

The forward evaluation (it fits the contagion model and the baselines) is cached per (cutoff,
window, list size); the section and the contagion fit per cutoff.

Researcher tool: with ``researcher_mode`` (the default) ``result['flagged']`` and the list view
carry person ids, which are the dataset's pseudonymous ids; no names are ever read. With
``researcher_mode=False`` no person-level list is kept or shown, as on a policy page.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from ..data import Dataset
from ._base import Explorer, readings_html, table_html

__all__ = ["HORIZONS", "LIST_SIZES_PCT", "PeopleExplorer"]

#: Prediction windows offered (days); only those leaving at least one cutoff are shown.
HORIZONS: tuple[int, ...] = (30, 60, 90, 180, 365)
#: List sizes offered, percent of the ranked population.
LIST_SIZES_PCT: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0)


def _number(name: str, value: Any, lo: float, hi: float, *, open_lo: bool = True, what: str = "") -> float:
    """``value`` as a float in ``(lo, hi]`` (``[lo, hi]`` when not ``open_lo``), else a ValueError naming it."""
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating)) \
        and np.isfinite(value) and (value > lo if open_lo else value >= lo) and value <= hi
    if not ok:
        span = f"{'more than' if open_lo else 'at least'} {lo:g} and at most {hi:g}"
        raise ValueError(f"{name} = {value!r} is impossible: it must be {span}{what}")
    return float(value)


class PeopleExplorer(Explorer):
    """Interactive network summary, contagion, forward evaluation and fairness audit at one cutoff.

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
        Initial list size, percent of the ranked population: more than 0, at most 100 (a size
        not in :data:`LIST_SIZES_PCT` is added to the choices).
    model : str, default 'contagion'
        Initial audited model (one of :data:`workbench.network.MODELS`).
    top_k : int, default 100
        A fixed list size also scored (``captured_k<top_k>``); positive.
    bound : (float, float), default (0.8, 1.25)
        Fairness band (four-fifths rule): ``0 < low < 1 < high``.
    min_group_size : int, default 30
        Smaller groups are reported as too small; positive.
    min_count : int, default 11
        Privacy threshold of the tables and readings.
    n_boot : int, default 0
        Bootstrap replicates of the contagion intervals (the report uses 20; 0 is faster).
    top_n : int, default 20
        Rows of the flagged list shown (pseudonymous ids; researcher mode); positive.
    researcher_mode : bool, default True
        Keep and show the person-level list of the chosen model (pseudonymous ids).
    plots : bool, default True
        Draw the figures (False: tables only, faster).

    Attributes
    ----------
    history : PeopleHistory
    result : dict
        ``section`` (:class:`~workbench.sections.people.PeopleSection` as of the cutoff),
        ``items`` (key -> :class:`~workbench.sections.Item`: ``network``, ``exposure``,
        ``contagion``, ``forward``, ``calibration``, ``audit`` of the chosen model; display-ready,
        counts suppressed), ``audit_view`` (the chosen model's audit table as shown), and the
        analysis objects behind them: ``rolling`` (:class:`~workbench.network.RollingEvaluation`
        or None), ``evaluation`` (DataFrame, one row per model: ``model``, ``label`` and the
        ranking metrics), ``audit`` (DataFrame, the chosen model's audit), ``flags`` (its flagged
        rows), ``flagged`` (researcher mode: the chosen model's flagged people, pseudonymous ids;
        else None), ``model``, ``cutoff``, ``horizon_days``, ``top_share``, ``n_victims``.
    n_evaluations : int
        How many times the (cached) forward evaluation actually ran.
    """

    title = "People: network, contagion, forward evaluation and fairness audit"

    def __init__(self, dataset: Dataset, *, horizon_days: int | None = None, cutoff: Any = None,
                 list_size_pct: float = 1.0, model: str = "contagion", top_k: int = 100,
                 bound: tuple[float, float] = (0.8, 1.25), min_group_size: int = 30, min_count: int = 11,
                 n_boot: int = 0, top_n: int = 20, researcher_mode: bool = True, plots: bool = True) -> None:
        from ..network import MODEL_LABELS, MODELS, default_cutoffs
        from ..sections.people import people_section

        pct = _number("list_size_pct", list_size_pct, 0.0, 100.0, what=" percent of the ranked population")
        for name, value in (("top_k", top_k), ("min_group_size", min_group_size), ("min_count", min_count),
                            ("top_n", top_n)):
            _number(name, value, 0.0, np.inf)
        _number("n_boot", n_boot, 0.0, np.inf, open_lo=False)
        lo_b, hi_b = (_number("bound", b, 0.0, np.inf) for b in bound)
        if not lo_b < 1.0 < hi_b:
            raise ValueError(f"bound = {tuple(bound)!r} is impossible: it must hold 1 strictly inside (low < 1 < high)")
        if model not in MODELS:
            raise ValueError(f"model must be one of {list(MODELS)}, not {model!r}")
        super().__init__(plots)
        self.dataset = dataset
        self.min_count = int(min_count)
        missing = [t for t in ("people", "victimizations", "arrests") if not (dataset.has(t) and len(dataset[t]))]
        if missing:
            raise ValueError(f"the people explorer needs {' and '.join(missing)}; these data have none")
        self.base = people_section(dataset, self.min_count)
        self.history = self.base.history
        self.top_k, self.bound, self.min_n, self.top_n = int(top_k), (lo_b, hi_b), int(min_group_size), int(top_n)
        self.n_boot, self.researcher_mode = int(n_boot), bool(researcher_mode)
        self.labels = MODEL_LABELS
        self.n_evaluations = 0
        self._sections: dict[pd.Timestamp, Any] = {}
        self._cache: dict[tuple, dict[str, Any]] = {}
        end = self.base.data_end.end if self.base.data_end is not None else None
        self._cutoffs = {h: default_cutoffs(self.history, h, n_cutoffs=240, end=end) for h in HORIZONS}
        horizons = [h for h in HORIZONS if len(self._cutoffs[h])]
        if not horizons:
            raise ValueError("the data are too short for a forward evaluation with a 30-day window")
        if horizon_days is None:
            three = [h for h in horizons if len(self._cutoffs[h]) >= 3]
            horizon_days = max(three or horizons)
        if horizon_days not in horizons:
            raise ValueError(f"horizon_days must be one of {horizons} for these data, got {horizon_days!r}")
        st = {"description_width": "initial"}
        sizes = sorted({*LIST_SIZES_PCT, pct})
        self.controls = {
            "horizon_days": widgets.Dropdown(options=horizons, value=horizon_days, description="window (days)",
                                             style=st),
            "cutoff": widgets.SelectionSlider(options=["x"], description="cutoff", continuous_update=False,
                                              style=st, layout=widgets.Layout(width="60%")),
            "list_size_pct": widgets.SelectionSlider(options=sizes, value=pct, description="list size (% ranked)",
                                                     continuous_update=False, style=st),
            "model": widgets.Dropdown(options=[(MODEL_LABELS.get(m, m), m) for m in MODELS], value=model,
                                      description="audit list", style=st),
        }
        self._set_cutoff_options(horizon_days, cutoff)
        self.outputs = {
            "network": widgets.HTML(),
            "exposure": widgets.Image(format="png"),
            "contagion": widgets.HTML(),
            "evaluation": widgets.HTML(),
            "capture": widgets.Image(format="png"),
            "audit_chart": widgets.Image(format="png"),
            "audit": widgets.HTML(),
            "flagged": widgets.HTML(),
        }
        self._wire()
        self.update()

    def _output_layout(self) -> list[widgets.Widget]:
        o = self.outputs
        return [widgets.HBox([o["network"], o["exposure"]]), o["contagion"],
                widgets.HBox([o["evaluation"], o["capture"]]), o["audit_chart"], o["audit"], o["flagged"]]

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

    def section(self, cutoff: Any) -> Any:
        """The page's :class:`~workbench.sections.people.PeopleSection` as of ``cutoff``, with its
        contagion items (:func:`~workbench.sections.people.contagion_items`; cached per cutoff)."""
        from ..sections.people import contagion_items, people_section

        c = self.history.timestamp(cutoff)
        if c not in self._sections:
            sec = people_section(self.dataset, self.min_count, as_of=c)
            contagion_items(sec, n_boot=self.n_boot)
            self._sections[c] = sec
        return self._sections[c]

    def evaluate(self, cutoff: Any, horizon_days: float, top_share: float) -> dict[str, Any]:
        """:func:`~workbench.sections.people.forward_items` at one cutoff (cached): ``items`` (key ->
        Item) and ``rolling`` (the :class:`~workbench.network.RollingEvaluation`, or None)."""
        from ..sections.people import forward_items

        c = self.history.timestamp(cutoff)
        key = (c, float(horizon_days), float(top_share))
        if key not in self._cache:
            sec = self.section(c)
            items = forward_items(sec, cutoffs=[c], horizon_days=float(horizon_days), top_share=float(top_share),
                                  top_k=self.top_k, fairness_bound=self.bound, min_group_size=self.min_n,
                                  researcher_mode=self.researcher_mode, top_n=self.top_n)
            self._cache[key] = {"items": {i.key: i for i in items}, "rolling": sec.evaluation}
            sec.evaluation = None  # the next setting's evaluation is its own
            self.n_evaluations += 1
        return self._cache[key]

    def _compute(self, v: dict[str, Any]) -> dict[str, Any]:
        from ..sections.people import _audit_item as audit_item

        h = float(v["horizon_days"])
        c = self.history.timestamp(v["cutoff"])
        share = float(v["list_size_pct"]) / 100.0
        sec = self.section(c)
        fwd = self.evaluate(c, h, share)
        items = {k: sec.item(k) for k in ("network", "exposure", "contagion")}
        items.update({k: fwd["items"][k] for k in ("forward", "calibration", "audit")})
        rev = fwd["rolling"]
        out = {"section": sec, "items": items, "rolling": rev, "cutoff": c, "horizon_days": h, "top_share": share,
               "model": v["model"], "evaluation": None, "audit": None, "flags": None, "flagged": None,
               "audit_view": items["audit"].table, "n_victims": None}
        if rev is None:  # the forward items say why
            return out
        ev = rev.evaluation_.reset_index(drop=True)
        if "label" not in ev:
            ev.insert(1, "label", [self.labels.get(m, m) for m in ev["model"]])
        models = list(dict.fromkeys(rev.audit_["model"]))
        model = v["model"] if v["model"] in models else models[0]
        audit = rev.audit_.loc[rev.audit_["model"] == model].reset_index(drop=True)
        if items["audit"].available and model != ("contagion" if "contagion" in models else models[0]):
            # another model's audit: the page's own audit item (audit_view hides what it must)
            items["audit"] = audit_item(rev, share, self.bound, self.min_count, self.labels, model=model)
            out["audit_view"] = items["audit"].table
        flagged = None
        if self.researcher_mode and rev.lists_:
            flagged = rev.lists_.get(model, next(iter(rev.lists_.values()))).flagged
        out.update(evaluation=ev, audit=audit, model=model, flagged=flagged,
                   flags=rev.flags_.loc[rev.flags_["model"] == model] if "model" in rev.flags_ else rev.flags_,
                   n_victims=int(ev["n_victims"].iloc[0]) if len(ev) else 0)
        return out

    def _render(self, r: dict[str, Any]) -> None:
        from ..plots import people as pp

        o, it = self.outputs, r["items"]

        def block(item: Any, precision: int = 3) -> str:
            table = item.table if item.available and len(item.table) else None
            return (table_html(table, precision=precision, caption=item.title) if table is not None
                    else f"<p><b>{item.title}</b></p>") + readings_html(item.readings)

        o["network"].value = block(it["network"]) + readings_html(it["exposure"].readings)
        fig = it["exposure"].figure
        o["exposure"].value = self._png(pp.plot_exposure_distribution, **fig) if fig else b""
        o["contagion"].value = block(it["contagion"], 4)
        fwd = it["forward"]
        o["evaluation"].value = (f"<p><i>Cutoff {r['cutoff']:%Y-%m-%d}, next {r['horizon_days']:.0f} days; lists of "
                                 f"the top {100 * r['top_share']:g}%.</i></p>" + block(fwd))
        o["capture"].value = self._png(pp.plot_capture, **fwd.figure["capture"]) if "capture" in fwd.figure else b""
        a = it["audit"]
        o["audit_chart"].value = self._png(pp.plot_audit, **a.figure) if a.figure else b""
        o["audit"].value = block(a, 2)
        fl = r["flagged"]
        if fl is None:
            o["flagged"].value = "" if self.researcher_mode else \
                "<p><i>The person-level list is not shown (researcher mode is off).</i></p>"
            return
        fl = fl.reset_index()
        keep = [c for c in fl.columns if c not in {"selected", "score"}]
        label = self.labels.get(r["model"], r["model"])
        o["flagged"].value = table_html(fl[keep].head(self.top_n), precision=4, max_rows=self.top_n,
                                        caption=f"{label} list, first {min(self.top_n, len(fl))} of {len(fl)} "
                                                "people (pseudonymous ids; researchers only)")
