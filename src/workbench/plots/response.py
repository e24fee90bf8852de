"""Matplotlib figures of the response, survival and outreach analyses (drawing only).

The numbers come from :mod:`workbench.response`, :mod:`workbench.survival` and
:mod:`workbench.outreach`. Counts printed on figures (at-risk numbers) below ``min_count`` are
shown as ``"<min_count"``; no figure shows a person-level record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from workbench.privacy import suppressed_mask, suppression_marker

from . import palette as pal

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from workbench.survival import KMResult, RevictimizationComparison

__all__ = [
    "plot_cumulative_incidence",
    "plot_hazard_ratios",
    "plot_km",
    "plot_revictimization",
    "plot_time_on_scene",
    "plot_trend",
    "plot_unserved",
]

#: Single-series colour and the program-start marker.
_INK, _EVENT = pal.BLUE, pal.VERMILLION


def _mark_start(ax, program_start) -> None:
    if program_start is not None:
        x = pd.Timestamp(program_start)
        x = x.tz_localize(None) if x.tzinfo else x
        ax.axvline(x, color=_EVENT, ls="--", lw=1)
        ax.annotate("program start", (x, 1), xycoords=("data", "axes fraction"), xytext=(3, -12),
                    textcoords="offset points", color=_EVENT, fontsize=8)


def plot_km(km: "KMResult", min_count: int = 1, title: str = "Time to engagement",
            ylabel: str = "share not yet engaged", xmax: float | None = None) -> "Figure":
    """Kaplan-Meier curves with confidence bands and an at-risk table under the axes."""
    groups = list(dict.fromkeys(km.curves["group"]))
    n_all = len(groups)
    if n_all > pal.MAX_QUALITATIVE:  # more curves than distinct colours: draw the largest groups
        first = km.at_risk.sort_values("time").groupby("group", sort=False)["at_risk"].first()
        groups = sorted(groups, key=lambda g: -first.get(g, 0))[: pal.MAX_QUALITATIVE]
        title = f"{title}, largest {pal.MAX_QUALITATIVE} of {n_all} groups"
    fig, (ax, tab) = plt.subplots(2, 1, figsize=(9, 4.2 + 0.22 * len(groups)), layout="constrained",
                                  gridspec_kw={"height_ratios": [4, 0.35 + 0.22 * len(groups)]}, sharex=True)
    colors, styles = pal.qualitative(len(groups)), pal.linestyles(len(groups))
    band_alpha = 0.15 if len(groups) <= 5 else 0.06
    for i, g in enumerate(groups):
        d = km.curves[km.curves["group"] == g]
        c = colors[i]
        ax.step(d["time"], d["survival"], where="post", color=c, ls=styles[i], lw=1.6, label=g)
        ax.fill_between(d["time"], d["lower"], d["upper"], step="post", color=c, alpha=band_alpha, lw=0)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel(ylabel)
    ax.axhline(0.5, color="#999999", lw=0.6, ls=":")
    ax.set_title(f"{title} ({int(round(100 * (1 - km.alpha)))}% bands)", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    if len(groups) > 1:
        ax.legend(frameon=False, fontsize=8, loc="upper right")
    tab.set_axis_off()
    ticks = np.sort(km.at_risk["time"].unique()) if len(km.at_risk) else np.array([])
    if xmax is not None:
        ticks = ticks[ticks <= xmax]
        ax.set_xlim(0, xmax)
    if len(ticks):
        ax.set_xticks(ticks)
    marker = suppression_marker(min_count)
    for i, g in enumerate(groups):
        r = km.at_risk[(km.at_risk["group"] == g) & km.at_risk["time"].isin(ticks)]
        hide = suppressed_mask(r["at_risk"].to_numpy(), min_count)
        for (t, n), h in zip(r[["time", "at_risk"]].to_numpy(), hide):
            tab.text(t, -i, marker if h else f"{int(n)}", ha="center", va="center", fontsize=7,
                     color=pal.legible_on_white(colors[i]))
    tab.set_ylim(-len(groups) + 0.5, 1.2)
    tab.text(0, 0.9, "number at risk", fontsize=7, color="#555555")
    tab.set_xlabel("days since referral")
    ax.tick_params(labelbottom=True)
    ax.set_xlabel("days since referral")
    return fig


def plot_time_on_scene(values: pd.DataFrame, group: str = "responder_type", value: str = "on_scene_min",
                       title: str = "Time on scene") -> "Figure":
    """Distribution (violin with median and quartiles) of minutes on scene per group.

    Draws every group it gets (a pooled "other (...)" group last): the response page pools all
    but the largest groups first (:func:`workbench.sections.response.pool_groups`).
    """
    d = values[[group, value]].dropna().astype({group: str})
    names = sorted(d[group].unique(), key=lambda n: (n.startswith("other ("), n))
    fig, ax = plt.subplots(figsize=(9, 0.5 + 0.55 * max(len(names), 1)), layout="constrained")
    data = [d.loc[d[group] == n, value].to_numpy() for n in names]
    keep = [i for i, x in enumerate(data) if len(x) >= 2]
    if keep:
        parts = ax.violinplot([data[i] for i in keep], positions=keep, orientation="horizontal", showextrema=False,
                              quantiles=[[0.25, 0.5, 0.75]] * len(keep))
        for b in parts["bodies"]:
            b.set_facecolor(_INK)
            b.set_alpha(0.35)
    ax.set_yticks(range(len(names)), [n.replace("_", " ") for n in names])
    ax.set_xlabel("minutes on scene (lines: quartiles; axis cut at the 99th percentile)")
    ax.set_xlim(0, float(np.quantile(d[value], 0.99)) * 1.05 if len(d) else 1.0)
    ax.set_title(title, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_trend(trend: pd.DataFrame, column: str, ylabel: str, title: str, share: bool = False) -> "Figure":
    """Monthly series from :func:`workbench.response.monthly_trends`, program start marked."""
    fig, ax = plt.subplots(figsize=(9, 3.2), layout="constrained")
    x = pd.PeriodIndex(trend["month"], freq="M").to_timestamp()
    y = trend[column].astype(float).to_numpy()
    ax.plot(x, y, marker="o", ms=3, lw=1.5, color=_INK)
    _mark_start(ax, trend.attrs.get("program_start"))
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.02 if share else None)
    if share:
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_title(title, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_cumulative_incidence(cif: pd.DataFrame, title: str = "Outcomes after a referral",
                              xlabel: str = "days since referral", xmax: float | None = None) -> "Figure":
    """Stacked-free Aalen-Johansen curves, one per cause (and group), with bands when present."""
    fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
    keys = list(dict.fromkeys(zip(cif["group"], cif["cause"])))
    if len(keys) > pal.MAX_QUALITATIVE:  # more curves than distinct colours: the first ones only
        title = f"{title}, first {pal.MAX_QUALITATIVE} of {len(keys)} curves"
        keys = keys[: pal.MAX_QUALITATIVE]
    multi = cif["group"].nunique() > 1
    colors, styles = pal.qualitative(len(keys)), pal.linestyles(len(keys))
    for i, (g, c) in enumerate(keys):
        d = cif[(cif["group"] == g) & (cif["cause"] == c)]
        col = colors[i]
        label = f"{c} ({g})" if multi else c
        ax.step(d["time"], d["cif"], where="post", color=col, ls=styles[i], lw=1.6, label=label)
        if d["lower"].notna().any():
            ax.fill_between(d["time"], d["lower"], d["upper"], step="post", color=col, alpha=0.12, lw=0)
    if xmax is not None:
        ax.set_xlim(0, xmax)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_ylabel("cumulative incidence")
    ax.set_xlabel(xlabel)
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(title, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_hazard_ratios(summary: pd.DataFrame, title: str = "Hazard ratios of engagement") -> "Figure":
    """Forest plot of a Cox summary (:attr:`workbench.survival.CoxResult.summary`), log scale."""
    s = summary.iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.28 * len(s)), layout="constrained")
    y = np.arange(len(s))
    ax.errorbar(s["hazard_ratio"], y, xerr=[s["hazard_ratio"] - s["hr_lower"], s["hr_upper"] - s["hazard_ratio"]],
                fmt="o", ms=4, color=_INK, ecolor=pal.mix(_INK, "#ffffff", 0.5), capsize=2)
    ax.axvline(1.0, color="#999999", lw=0.8)
    ax.set_xscale("log")
    ax.set_yticks(y, s["column"])
    ax.set_xlabel("hazard ratio (above 1: engages sooner)")
    ax.set_title(title, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_revictimization(comparison: "RevictimizationComparison | pd.DataFrame", literature: dict | None = None,
                         title: str = "Shot again after the landmark",
                         xlabel: str | None = None) -> "Figure":
    """Cumulative incidence of re-victimization with the literature figures marked.

    Parameters
    ----------
    comparison : RevictimizationComparison or DataFrame
        A landmark comparison by engagement, or plain curves from
        :func:`workbench.survival.revictimization_incidence` (time from the first shooting).
    literature : dict, optional
        :data:`workbench.survival.LITERATURE` (diamonds at 1 and 8 years).
    """
    if isinstance(comparison, pd.DataFrame):
        curves, weighted = comparison, False
        xlabel = xlabel or "days since the first shooting"
    else:
        curves, weighted = comparison.curves, comparison.weighted
        xlabel = xlabel or f"days since the landmark ({comparison.landmark_days:g} days after the shooting)"
    cif = curves[curves["cause"] == "revictimized"]
    fig = plot_cumulative_incidence(cif, title=title + (" (weighted)" if weighted else ""), xlabel=xlabel)
    ax = fig.axes[0]
    if literature:
        for t, p in literature["cumulative_incidence"].items():
            if t <= (cif["time"].max() if len(cif) else 0):
                ax.plot([t], [p], marker="D", color=_EVENT, ms=6)
        ax.plot([], [], "D", color=_EVENT, label=f"literature: {literature['text']}")
        ax.legend(frameon=False, fontsize=8)
    return fig


def plot_unserved(trend: pd.DataFrame, min_count: int = 1, title: str = "Past victims not yet reached") -> "Figure":
    """Past victims still unserved at each period end (suppressed counts left as gaps)."""
    fig, ax = plt.subplots(figsize=(9, 3.2), layout="constrained")
    x = pd.DatetimeIndex(trend["period"]).tz_localize(None)
    y = trend["unserved"].astype(float).to_numpy()
    hide = suppressed_mask(y, min_count)
    ax.plot(x, np.where(hide, np.nan, y), marker="o", ms=3, lw=1.5, color=_INK)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("people")
    ax.set_title(title, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig
