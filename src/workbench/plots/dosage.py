"""Matplotlib figures of the dosage analysis. Plotting only: the numbers come from
:mod:`workbench.dosage`.

No figure shows a count below ``min_count``: the quadrant chart and the map show smoothed ratios
and classes, and the support of areas with fewer than ``min_count`` victims is not drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullFormatter

from workbench.dosage.balance import HIDDEN_CLASS, Balance, policy_classes
from workbench.privacy import enough

from . import palette as pal

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    from matplotlib.figure import Figure

    from workbench.dosage.change import ProgramChange

__all__ = ["CLASS_COLORS", "plot_balance_map", "plot_group_trends", "plot_quadrant", "ratio_axis"]

#: Balance class -> colour: ColorBrewer RdBu (colour-blind safe; :data:`palette.DIVERGING_6`),
#: red for more police than need, blue for more support; neutral greys for the rest.
CLASS_COLORS = {
    "over-policed and underserved": pal.DIVERGING_6[0],
    "more police than need": pal.DIVERGING_6[1],
    "underserved": pal.DIVERGING_6[2],
    "support-led": pal.DIVERGING_6[5],
    "less police than need": pal.DIVERGING_6[4],
    "in balance": "#f0f0f0",
    HIDDEN_CLASS: "#d9d9d9",
}
_POLICE = {"patrol_hours": "patrol hours", "contacts": "police contacts", "stops": "stops",
           "arrests": "arrests"}
_SUPPORT = {"visits": "co-responder visits", "referrals": "referrals", "engaged": "engaged referrals"}


#: Tick values of a ratio axis (log scale) in order of preference (1-2-5 first), thinned to those
#: at least a factor 1.3 apart.
_TICKS = (0.1, 0.2, 0.5, 2, 5, 10, 20, 50, 100, 0.02, 0.05, 0.25, 0.33, 3, 4)


def ratio_axis(values: np.ndarray, refs: tuple[float, ...] = (), *, far: float = 4.0, reach: float = 1.6,
               pad: float = 1.12, min_span: float = 1.5) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Limits of a logarithmic ratio axis that fit the data.

    The axis spans the values (and 1, the reference), padded by ``pad``; a reference line
    (a class threshold) is brought in when it lies within a factor ``reach`` of the data, else
    it is left off the chart. A few extreme values are clipped: a value more than ``far``
    times above the 95th percentile of the values (below the 5th), taken at a data value (with
    up to 20 areas: the second largest, second smallest), and beyond 1, is drawn at the edge
    instead of stretching the axis.

    Parameters
    ----------
    values : ndarray
        Positive ratios (non-finite or non-positive values are ignored).
    refs : tuple of float
        Reference values (thresholds) to show when near the data.
    far : float, default 4
        Factor beyond the 95th (5th) percentile past which a value is clipped.
    reach : float, default 1.6
        Factor within which a reference value is brought onto the axis.
    pad : float, default 1.12
        Margin factor on each side.
    min_span : float, default 1.5
        Smallest ratio of the upper to the lower limit.

    Returns
    -------
    lo, hi : float
        Axis limits.
    above, below : ndarray of bool
        Values beyond the upper / lower limit (drawn at the edge).
    """
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v) & (v > 0)
    above = np.zeros(v.shape, bool)
    below = np.zeros(v.shape, bool)
    if ok.sum() >= 3:
        top = np.quantile(v[ok], 0.95, method="lower")
        bottom = np.quantile(v[ok], 0.05, method="higher")
        above = ok & (v > far * max(top, 1.0))
        below = ok & (v < min(bottom, 1.0) / far)
    inner = v[ok & ~above & ~below]
    lo = float(min(np.min(inner), 1.0)) if inner.size else 1.0
    hi = float(max(np.max(inner), 1.0)) if inner.size else 1.0
    near = [r for r in refs if np.isfinite(r) and r > 0 and lo / reach <= r <= hi * reach]
    lo, hi = min([lo, *near]), max([hi, *near])
    if hi / lo < min_span:
        mid = np.sqrt(hi * lo)
        lo, hi = mid / np.sqrt(min_span), mid * np.sqrt(min_span)
    return lo / pad, hi * pad, above, below


def _ticks(lo: float, hi: float, refs: tuple[float, ...]) -> list[float]:
    """Ticks within ``[lo, hi]``: 1, the thresholds, then round values at least a factor 1.3
    from every tick already chosen."""
    keep = [v for v in (1.0, *refs) if lo <= v <= hi]
    for v in _TICKS:
        if lo <= v <= hi and all(max(v, k) / min(v, k) >= 1.3 for k in keep):
            keep.append(v)
    return sorted(keep)


def _clip_note(what: str, v: np.ndarray, above: np.ndarray, below: np.ndarray) -> list[str]:
    """Sentence parts naming how many areas are drawn at an edge, and how far out they are."""
    out = []
    for mask, side, word, ext in ((above, "right" if what.startswith("police") else "top", "up to", np.max),
                                  (below, "left" if what.startswith("police") else "bottom", "down to", np.min)):
        if mask.any():
            n = int(mask.sum())
            out.append(f"{n} area{'s' if n != 1 else ''} with an extreme {what} ({word} {ext(v[mask]):.2g}) "
                       f"drawn at the {side} edge")
    return out


def _name_points(ax, x: np.ndarray, y: np.ndarray, ids: np.ndarray, ok: np.ndarray,
                 labels: Mapping[str, str]) -> None:
    """Write the names of the labelled areas next to their points (aggregates only).

    Left to right, each name takes the first row above or below its point (alternating,
    farther rows with a thin leader line) where it overlaps no name already written; a name
    that would run past the right edge is written to the left of its point.
    """
    pick = np.flatnonzero(ok & np.isin(ids, list(labels)))
    if not pick.size:
        return
    scale = 72 / ax.figure.dpi  # pixels -> points
    px = ax.transData.transform(np.column_stack([x[pick], y[pick]])) * scale
    right = ax.bbox.x1 * scale
    rows = (7, -13, 17, -23, 27, -33, 37, -43, 47, -53, 57, -63)
    taken: list[tuple[float, float, float]] = []  # (row y, from x, to x) in points
    for k in np.argsort(px[:, 0], kind="stable"):
        name = str(labels[ids[pick[k]]])
        width = 4.4 * len(name) + 8
        left = px[k, 0] + 5 + width > right
        span = (px[k, 0] - 5 - width, px[k, 0] - 5) if left else (px[k, 0] + 5, px[k, 0] + 5 + width)
        free = [r for r in rows if not any(abs(ty - (px[k, 1] + r)) < 9 and a < span[1] and span[0] < b
                                           for ty, a, b in taken)]
        dy = free[0] if free else rows[-1]
        taken.append((px[k, 1] + dy, *span))
        ax.annotate(name, (x[pick[k]], y[pick[k]]), xytext=(-5 if left else 5, dy), textcoords="offset points",
                    ha="right" if left else "left", fontsize=7.5, color="#252525", zorder=4,
                    parse_math=False,  # a name from the data is text, never mathtext ("$" stays "$")
                    arrowprops={"arrowstyle": "-", "color": "#969696", "lw": 0.5} if abs(dy) > 13 else None)


def plot_quadrant(bal: Balance, min_count: int, title: str | None = None,
                  labels: Mapping[str, str] | None = None) -> "Figure":
    """Police dose relative to need (x) against support relative to citywide (y), sized by need.

    Both axes are logarithmic ratios (1 = as expected) fitted to the data
    (:func:`ratio_axis`): a threshold far from every area is left off the chart, and a few
    extreme areas are drawn at the edge as triangles, with a note under the title. Dashed lines
    are the class thresholds; horizontal bars are the police-ratio intervals. Areas with fewer
    than ``min_count`` victims have no support value drawn: they are grey rings on the line
    ``y = 1``. When no area has a support value to show, or support per victim does not vary
    between areas beyond chance (every area gets the citywide rate), the chart is a strip of
    police ratios.

    Parameters
    ----------
    bal : Balance
        The balance fit (:func:`workbench.dosage.balance`).
    min_count : int
        Privacy threshold (victims behind a support value).
    title : str, optional
        Chart title.
    labels : mapping, optional
        ``area_id -> name`` of the areas to name on the chart (the areas the page names;
        aggregates only).
    """
    t = bal.table
    p = bal.params
    cls = policy_classes(bal, min_count)
    few = ~enough(t.get("support_victims", t["victims"]).fillna(0).to_numpy(), min_count)
    x = t["police_ratio"].to_numpy(float)
    y = np.where(few, 1.0, t["support_ratio"].fillna(1.0).to_numpy(float))
    need = t["need_rate"].to_numpy(float)
    size = 15 + 250 * need / np.nanmax(need) if np.nanmax(need) > 0 else np.full(len(t), 30.0)
    ok = np.isfinite(x) & (x > 0)
    has_support = np.isfinite(t["support_ratio"].to_numpy(float))
    shown_y = ok & ~few & has_support
    flat = bal.support is None or bool(getattr(bal.support, "pooled", False)) or \
        (shown_y.any() and np.nanmax(y[shown_y]) / np.nanmin(y[shown_y]) < 1.02)
    strip = not shown_y.any() or flat  # no support spread to show: a strip, not an empty square
    notes: list[str] = []
    police_refs = (p["police_high"], 1 / p["police_high"])
    support_refs = (p["support_low"], 1 / p["support_low"])
    x0, x1, right, left = ratio_axis(x, police_refs)
    notes += _clip_note("police ratio", x, right, left)
    xd = np.clip(x, x0 * 1.06, x1 / 1.06)
    if strip:
        y0, y1, up, down = 0.8, 1.25, np.zeros(len(t), bool), np.zeros(len(t), bool)
    else:
        y0, y1, up, down = ratio_axis(np.where(shown_y, y, np.nan), support_refs)
        notes += _clip_note("support ratio", y, up, down)
    yd = np.clip(y, y0 * 1.06, y1 / 1.06)
    fig, ax = plt.subplots(figsize=(9, 3.4) if strip else (9, 6.2), layout="constrained")
    lo = t["police_ratio_lower"].to_numpy(float)
    hi = t["police_ratio_upper"].to_numpy(float)
    show = ok & ~few
    ax.hlines(yd[ok], np.where(np.isfinite(lo[ok]), lo[ok], xd[ok]), np.where(np.isfinite(hi[ok]), hi[ok], xd[ok]),
              color="#bdbdbd", lw=0.7, zorder=1)
    colors = np.array([CLASS_COLORS.get(c, "#999999") for c in cls])
    edge = right | left | up | down
    marker = np.where(right, ">", np.where(left, "<", np.where(up, "^", np.where(down, "v", "o"))))
    for m in np.unique(marker):
        k = show & (marker == m)
        ax.scatter(xd[k], yd[k], s=size[k], c=colors[k], marker=m, edgecolor="#404040", linewidth=0.5, zorder=3)
    ring = np.array([CLASS_COLORS[c] if c not in ("in balance", HIDDEN_CLASS) else "#8c8c8c" for c in cls])
    for m in np.unique(marker):
        k = ok & few & (marker == m)
        ax.scatter(xd[k], yd[k], s=size[k], marker=m, facecolor="none", edgecolor=ring[k], linewidth=1.3,
                   zorder=2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}"))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xticks(_ticks(x0, x1, police_refs))
    ax.set_yticks([1] if strip else _ticks(y0, y1, support_refs))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    for v in police_refs:
        if x0 < v < x1:
            ax.axvline(v, ls="--", color="#737373", lw=0.8)
    for v in support_refs:
        if not strip and y0 < v < y1:
            ax.axhline(v, ls="--", color="#737373", lw=0.8)
    ax.axvline(1, color="#bdbdbd", lw=0.6)
    ax.axhline(1, color="#bdbdbd", lw=0.6)
    off = [f"{v:.2g}" for v in police_refs if not x0 < v < x1]
    off += [f"{v:.2g}" for v in (() if strip else support_refs) if not y0 < v < y1]
    if off:
        notes.append(f"threshold{'s' if len(off) > 1 else ''} {', '.join(off)} off the chart: no area near "
                     f"{'them' if len(off) > 1 else 'it'}")
    ax.set_xlabel(f"police dose relative to need ({_POLICE[p['police_measure']]} / expected for the shooting rate)")
    ax.set_ylabel("support relative to citywide" + ("" if strip else f" ({_SUPPORT[p['support_measure']]} per victim)"))
    present = [c for c in CLASS_COLORS if c in set(cls) and c != HIDDEN_CLASS]  # police classes also as rings
    handles = [Line2D([], [], marker="o", ls="", markerfacecolor=CLASS_COLORS[c], markeredgecolor="#404040",
                      label=c) for c in present]
    if (ok & few).any():
        handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="none", markeredgecolor="#8c8c8c",
                              label=f"ring: under {min_count} victims,\nsupport not shown"))
    if edge.any():
        handles.append(Line2D([], [], marker=">", ls="", markerfacecolor="#bdbdbd", markeredgecolor="#404040",
                              label="triangle: beyond the axis"))
    # legend under the axes: the plot keeps the full width
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2 if strip else -0.1), frameon=False,
              ncol=min(len(handles), 4), title="marker size: shooting rate", title_fontsize=8, fontsize=8)
    default = "Police dose against support dose, by area"
    if strip and not shown_y.any():
        default = (f"Police dose by area (support not shown: no area has {min_count} or more victims "
                   "with a support measure)")
    elif strip:
        default = "Police dose by area (support per victim: the citywide rate everywhere)"
    note = "; ".join(notes)
    ax.set_title(title or default, loc="left", pad=16 if note else 6)
    if note:
        ax.annotate(note[0].upper() + note[1:] + ".", (0, 1), xycoords="axes fraction", xytext=(0, 4),
                    textcoords="offset points", fontsize=8, color="#525252", va="bottom", annotation_clip=False)
    ax.spines[["top", "right"]].set_visible(False)
    if labels:
        fig.get_layout_engine().execute(fig)  # final axes position, then the names
        _name_points(ax, xd, yd, t["area_id"].astype(str).to_numpy(), ok, labels)
    return fig


def plot_balance_map(bal: Balance, areas: "gpd.GeoDataFrame", min_count: int,
                     title: str = "Balance classes") -> "Figure":
    """Choropleth of the balance classes; classes resting on fewer than ``min_count`` victims
    are hatched grey."""
    cls = policy_classes(bal, min_count)
    m = areas[["area_id", "geometry"]].merge(
        pd.DataFrame({"area_id": bal.table["area_id"].to_numpy(), "class": cls.to_numpy()}), on="area_id",
        how="left")
    m["class"] = m["class"].fillna("in balance")
    fig, ax = plt.subplots(figsize=(7, 7), layout="constrained")
    handles = []
    for c, color in CLASS_COLORS.items():
        sub = m[m["class"] == c]
        if not len(sub):
            continue
        kw = {"hatch": "///", "edgecolor": "#9e9e9e"} if c == HIDDEN_CLASS else {"edgecolor": "white"}
        sub.plot(ax=ax, color=color, linewidth=0.3, **kw)
        handles.append(Patch(facecolor=color, label=c, **({"hatch": "///", "edgecolor": "#9e9e9e"}
                                                          if c == HIDDEN_CLASS else {})))
    m.boundary.plot(ax=ax, color="#bdbdbd", linewidth=0.2)
    ax.legend(handles=handles, loc="lower left", frameon=False, fontsize=8)
    ax.set_axis_off()
    ax.set_title(title, loc="left")
    return fig


def plot_group_trends(trends: pd.DataFrame, pc: "ProgramChange", min_count: int, unit: str = "shootings",
                      title: str | None = None) -> "Figure":
    """Pooled rate per group and period with the program start marked; periods whose count is
    below ``min_count`` are left as gaps."""
    fig, ax = plt.subplots(figsize=(9, 3.4), layout="constrained")
    styles = {"reached": (pal.VERMILLION, "-"), "not reached": (pal.BLUE, "-"), "unknown": ("#969696", ":")}
    for g, d in trends.groupby("group"):
        d = d.sort_values("start")
        y = np.where(enough(d["count"].to_numpy(), min_count), d["rate"].to_numpy(float), np.nan)
        if pc.outcome == "patrol_hours":
            y = d["rate"].to_numpy(float)  # hours, not people or events
        color, ls = styles.get(g, ("#636363", "-"))
        ax.plot(d["start"], y, ls, color=color, marker="o", ms=3, label=g)
    ps = pc.program_start.tz_localize(None)
    ax.axvline(ps, color="#404040", ls="--", lw=1)
    ax.annotate("program start", (ps, 1), xycoords=("data", "axes fraction"), xytext=(3, -12),
                textcoords="offset points", fontsize=8)
    ax.set_ylabel(f"{unit} per 1,000 residents per year")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, loc="upper left", fontsize=8)
    ax.set_title(title or f"{unit.capitalize()} by program reach (gaps: fewer than {min_count})", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig
