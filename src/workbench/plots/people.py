"""Matplotlib figures of the people-network analyses (drawing only, aggregates only).

The numbers come from :mod:`workbench.network` and :mod:`workbench.fairness`. Bars whose count
is below ``min_count`` are drawn empty with the marker ``"<min_count"``; the one person-level
figure, :func:`plot_cascade`, shows pseudonymous letters ("person A", "person B"...) and days
since the cascade's first shooting, never ids or dates. The page's inputs (binned counts, the
cascade's letters, hidden shares as NaN) come from :mod:`workbench.sections.people`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from workbench.privacy import suppressed_mask, suppression_marker

from . import palette as pal

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "GREEN_2017_TOP1",
    "plot_audit",
    "plot_calibration",
    "plot_capture",
    "plot_capture_over_time",
    "plot_cascade",
    "plot_exposure_distribution",
]

#: Green, Horel & Papachristos (2017): share of next victims in the top 1 % (Chicago).
GREEN_2017_TOP1: dict[str, float] = {
    "contagion_demographics": 0.065, "contagion": 0.053, "demographics": 0.043,
}

_COLORS = dict(zip(
    ["demographics", "prior_victimization", "exposure", "contagion", "contagion_demographics"],
    pal.OKABE_ITO,
))


def _model_colors(models: Sequence[str]) -> dict[str, str]:
    """A fixed colour per known model (same in every chart); other models get unused colours."""
    known = {m: _COLORS[m] for m in models if m in _COLORS}
    spare = [c for c in pal.qualitative(pal.MAX_QUALITATIVE) if c not in _COLORS.values()]
    other = [m for m in dict.fromkeys(models) if m not in _COLORS]
    return {**known, **dict(zip(other, spare))}


def _label(model: str, labels: Mapping[str, str] | None) -> str:
    return (labels or {}).get(model, model.replace("_", " "))


def plot_exposure_distribution(exposure: pd.DataFrame | None = None, min_count: int = 1, max_count: int = 3,
                               title: str = "Network exposure to recent shooting victims", *,
                               counts: pd.DataFrame | None = None) -> "Figure":
    """People by number of victimized contacts at distance 1 and 2 (``0, 1, ..., max_count+``).

    Parameters
    ----------
    exposure : DataFrame, optional
        :func:`~workbench.network.network_exposure` output (``n_victims_1``, ``n_victims_2``),
        binned here; or give ``counts``.
    min_count : int
        Bars for counts below it are drawn empty with ``"<min_count"``.
    counts : DataFrame, optional
        The binned counts (:func:`workbench.sections.people.exposure_counts`: one row per
        category ``"0"``, ``"1"``, ..., ``"3+"``, columns ``n_victims_1`` and ``n_victims_2``).
    """
    if counts is None:
        cats = [str(i) for i in range(max_count)] + [f"{max_count}+"]
        counts = pd.DataFrame({c: np.bincount(np.minimum(exposure[c].to_numpy(dtype=int), max_count),
                                              minlength=max_count + 1) for c in ("n_victims_1", "n_victims_2")},
                              index=cats)
    cats = [str(c) for c in counts.index]
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6), layout="constrained", sharey=True)
    for ax, col, name in zip(axes, ["n_victims_1", "n_victims_2"],
                             ["direct contacts (1 step)", "contacts of contacts (2 steps)"]):
        values = counts[col].to_numpy(dtype=int)
        hidden = suppressed_mask(values, min_count)
        shown = np.where(hidden, 0, values)
        ax.bar(cats, np.maximum(shown, 0.8), color=np.where(hidden, "white", pal.BLUE).tolist(),
               edgecolor=pal.BLUE)
        for x, (c, hdn) in enumerate(zip(values, hidden)):
            ax.annotate(suppression_marker(min_count) if hdn else f"{c:,}", (x, max(c if not hdn else 1, 1)),
                        ha="center", va="bottom", fontsize=8, xytext=(0, 2), textcoords="offset points")
        ax.set_yscale("log")
        ax.set_xlabel(f"victims among {name}")
        ax.set_title(name, fontsize=10)
    axes[0].set_ylabel("people (log scale)")
    fig.suptitle(title)
    return fig


def plot_cascade(nodes: pd.DataFrame, edges: pd.DataFrame,
                 title: str = "One cascade of shootings through the co-arrest network") -> "Figure":
    """Draw a cascade (from :func:`workbench.sections.people.cascade_people`) with a networkx layout.

    Arrows go from the most likely infector to the person shot later; edge labels are the
    delays in days; node labels are "person A", "person B"... with the day of their first
    shooting counted from the cascade's start.
    """
    import networkx as nx

    g = nx.DiGraph()
    for r in nodes.itertuples():
        g.add_node(r.label, day=r.day, generation=r.generation)
    for r in edges.itertuples():
        g.add_edge(r.source, r.target, delay=r.delay_days)
    try:
        pos = nx.bfs_layout(g.to_undirected(), start=nodes.sort_values("day")["label"].iloc[0],
                            align="horizontal")
        pos = {k: (v[0], -v[1]) for k, v in pos.items()}
    except (AttributeError, ValueError, nx.NetworkXException):  # pragma: no cover - disconnected or old networkx
        pos = nx.spring_layout(g, seed=0)
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    gen = [g.nodes[n]["generation"] for n in g.nodes]
    from matplotlib import colormaps
    from matplotlib.colors import Normalize, to_hex

    cmap, norm = colormaps[pal.SEQUENTIAL], Normalize(vmin=0, vmax=max(max(gen), 1))
    fills = [to_hex(cmap(norm(v))) for v in gen]
    nx.draw_networkx_nodes(g, pos, ax=ax, node_color=fills, node_size=900, edgecolors="black")
    # label colour by the fill's luminance (cividis ends in a light yellow)
    for text_color in ("white", "black"):
        nx.draw_networkx_labels(g, pos, ax=ax, font_color=text_color, font_weight="bold",
                                labels={n: n for n, f in zip(g.nodes, fills) if pal.text_color_on(f) == text_color})
    # curved edges keep the two directions apart when two people were each other's source
    arc = "arc3,rad=0.12"
    nx.draw_networkx_edges(g, pos, ax=ax, arrows=True, arrowsize=18, node_size=900,
                           connectionstyle=arc)
    nx.draw_networkx_edge_labels(g, pos, ax=ax, edge_labels={
        (u, v): f"{d['delay']:.0f} d" for u, v, d in g.edges(data=True)}, font_size=8,
        connectionstyle=arc)
    for n, (x, y) in pos.items():
        ax.annotate(f"person {n}\nday {g.nodes[n]['day']:.0f}", (x, y), xytext=(20, 4),
                    textcoords="offset points", ha="left", va="bottom", fontsize=8,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
    ax.set_title(title)
    ax.axis("off")
    ax.margins(0.15)
    return fig


def plot_capture(summary: pd.DataFrame, top_share: float, labels: Mapping[str, str] | None = None,
                 reference: Mapping[str, float] | None = GREEN_2017_TOP1,
                 title: str | None = None) -> "Figure":
    """Share of the window's victims captured by the top of each model's list (pooled).

    Parameters
    ----------
    summary : DataFrame
        :attr:`RollingEvaluation.summary_` (``model``, ``share_captured``; NaN for a share
        hidden with its count).
    top_share : float
        Listed share, for the title.
    reference : mapping, optional
        Published figures drawn as black ticks (default Green et al. 2017, top 1 %, Chicago;
        only meaningful for ``top_share=0.01``).
    """
    s = summary.set_index("model")
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(s) + 1.4), layout="constrained")
    y = np.arange(len(s))[::-1]
    colors = _model_colors(list(s.index))
    ax.barh(y, 100 * s["share_captured"], color=[colors[m] for m in s.index])
    for yi, v in zip(y, s["share_captured"]):
        shown = np.isfinite(v)  # NaN: a share hidden with its small count
        ax.annotate(f"{100 * v:.1f}%" if shown else "hidden (small count)", (100 * v if shown else 0, yi),
                    xytext=(3, 0), textcoords="offset points", va="center", fontsize=9)
    if reference and abs(top_share - 0.01) < 1e-9:
        for yi, m in zip(y, s.index):
            if m in reference:
                ax.plot([100 * reference[m]] * 2, [yi - 0.4, yi + 0.4], color=pal.BLACK, lw=2)
        ax.plot([], [], color=pal.BLACK, lw=2, label="Green et al. 2017 (Chicago)")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_yticks(y, [_label(m, labels) for m in s.index])
    ax.set_xlabel(f"% of victims in the window who were in the top {100 * top_share:g}% of the list")
    ax.set_title(title or f"Victims captured by the top {100 * top_share:g}% (all cutoffs pooled)")
    return fig


def plot_capture_over_time(evaluation: pd.DataFrame, labels: Mapping[str, str] | None = None,
                           column: str = "share_captured",
                           title: str = "Victims captured at each cutoff") -> "Figure":
    """One line per model: ``column`` of :attr:`RollingEvaluation.evaluation_` by cutoff."""
    fig, ax = plt.subplots(figsize=(9, 3.8), layout="constrained")
    colors = _model_colors(list(evaluation["model"].unique()))
    for m, d in evaluation.groupby("model", sort=False):
        x = pd.DatetimeIndex(d["cutoff"]).tz_localize(None)
        ax.plot(x, 100 * d[column], marker="o", ms=3, label=_label(m, labels), color=colors[m])
    ax.set_ylabel("% of the window's victims in the list")
    ax.set_xlabel("cutoff (list made with data before it)")
    ax.legend(fontsize=8, ncols=2)
    ax.set_title(title)
    return fig


def plot_calibration(calibration: pd.DataFrame, labels: Mapping[str, str] | None = None,
                     models: Sequence[str] | None = None,
                     title: str = "Calibration: predicted vs observed, by decile") -> "Figure":
    """Observed share victimized against mean predicted probability per decile (log-log)."""
    fig, ax = plt.subplots(figsize=(6.5, 5), layout="constrained")
    lo, hi = np.inf, 0.0
    colors = _model_colors(list(calibration["model"].unique()))
    for m, d in calibration.groupby("model", sort=False):
        if models is not None and m not in models:
            continue
        ok = (d["mean_predicted"] > 0) & (d["observed_rate"] > 0)
        ax.plot(100 * d.loc[ok, "mean_predicted"], 100 * d.loc[ok, "observed_rate"], marker="o",
                ms=4, label=_label(m, labels), color=colors[m])
        if ok.any():
            lo = min(lo, d.loc[ok, ["mean_predicted", "observed_rate"]].min().min())
            hi = max(hi, d.loc[ok, ["mean_predicted", "observed_rate"]].max().max())
    if np.isfinite(lo):
        ax.plot([100 * lo, 100 * hi], [100 * lo, 100 * hi], color="grey", ls="--", lw=1,
                label="perfect calibration")
        ax.set_xscale("log")
        ax.set_yscale("log")
        from matplotlib.ticker import FuncFormatter

        fmt = FuncFormatter(lambda v, _: f"{v:g}")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(fmt)
            axis.set_minor_formatter(fmt)
    ax.set_xlabel("predicted chance of being shot in the window (%)")
    ax.set_ylabel("observed share shot (%)")
    ax.legend(fontsize=8)
    ax.set_title(title)
    return fig


def plot_audit(audit: pd.DataFrame, bound: tuple[float, float] = (0.8, 1.25),
               metrics: Sequence[str] = ("selection_rate", "capture_rate", "false_positive_rate"),
               title: str = "Fairness audit: rate in each group / overall rate") -> "Figure":
    """Disparity ratios by group (reliable groups only) with the accepted band shaded.

    Parameters
    ----------
    audit : DataFrame
        :func:`workbench.fairness.audit_table` rows of one model.
    bound : (float, float)
        The accepted band (flags outside it).
    """
    a = audit.loc[(audit["group"] != "all") & audit["reliable"]]
    rows = [f"{r.attribute.replace('_', ' ')}: {r.group}" for r in a.itertuples()]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(rows) + 1.6), layout="constrained")
    y = np.arange(len(rows))[::-1]
    ax.axvspan(bound[0], bound[1], color="#dddddd", label=f"accepted band [{bound[0]:g}, {bound[1]:g}]")
    ax.axvline(1, color="grey", lw=1)
    marks = {"selection_rate": "o", "capture_rate": "s", "false_positive_rate": "^", "calibration": "D"}
    colors = pal.qualitative(len(metrics))
    for k, m in enumerate(metrics):
        v = a[f"{m}_ratio"].to_numpy(dtype=float)
        ok = np.isfinite(v)
        ax.scatter(np.clip(v[ok], 0.05, 20), y[ok] + (k - 1) * 0.18, marker=marks.get(m, "o"),
                   label=m.replace("_", " "), color=colors[k], zorder=3)
    ax.set_xscale("log")
    ax.set_yticks(y, rows)
    ax.set_xlabel("ratio to the overall rate (log scale; outside the band = flagged)")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.5 / max(len(rows), 1)),
              ncols=4, frameon=False)
    ax.set_title(title)
    return fig
