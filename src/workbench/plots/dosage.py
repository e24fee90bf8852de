"""Matplotlib figures of the dosage analysis. Plotting only: the numbers come from
:mod:`workbench.dosage`.

No figure shows a count below ``min_count``: the quadrant chart and the map show smoothed ratios
and classes, and the support of areas with fewer than ``min_count`` victims is not drawn.
"""

from __future__ import annotations

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

__all__ = ["CLASS_COLORS", "plot_balance_map", "plot_group_trends", "plot_quadrant"]

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


def plot_quadrant(bal: Balance, min_count: int, title: str | None = None) -> "Figure":
    """Police dose relative to need (x) against support relative to citywide (y), sized by need.

    Both axes are logarithmic ratios (1 = as expected); dashed lines are the class thresholds;
    horizontal bars are the police-ratio intervals. Areas with fewer than ``min_count``
    victims have no support value drawn: they are grey rings on the line ``y = 1``.
    """
    t = bal.table
    p = bal.params
    cls = policy_classes(bal, min_count)
    few = ~enough(t["victims"].fillna(0).to_numpy(), min_count)
    x = t["police_ratio"].to_numpy(float)
    y = np.where(few, 1.0, t["support_ratio"].fillna(1.0).to_numpy(float))
    need = t["need_rate"].to_numpy(float)
    size = 15 + 250 * need / np.nanmax(need) if np.nanmax(need) > 0 else np.full(len(t), 30.0)
    ok = np.isfinite(x) & (x > 0)
    has_support = np.isfinite(t["support_ratio"].to_numpy(float))
    strip = not (ok & ~few & has_support).any()  # no support value to show: a strip, not an empty square
    fig, ax = plt.subplots(figsize=(9, 3.4) if strip else (9, 6.2), layout="constrained")
    lo = t["police_ratio_lower"].to_numpy(float)
    hi = t["police_ratio_upper"].to_numpy(float)
    show = ok & ~few
    ax.hlines(y[ok], np.where(np.isfinite(lo[ok]), lo[ok], x[ok]), np.where(np.isfinite(hi[ok]), hi[ok], x[ok]),
              color="#bdbdbd", lw=0.7, zorder=1)
    colors = np.array([CLASS_COLORS.get(c, "#999999") for c in cls])
    ax.scatter(x[show], y[show], s=size[show], c=colors[show], edgecolor="#404040", linewidth=0.5, zorder=3)
    ring = np.array([CLASS_COLORS[c] if c not in ("in balance", HIDDEN_CLASS) else "#8c8c8c" for c in cls])
    ax.scatter(x[ok & few], y[ok & few], s=size[ok & few], facecolor="none", edgecolor=ring[ok & few],
               linewidth=1.3, zorder=2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.2g}"))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xticks([0.25, 0.5, 1, 2, 4])
    ax.set_yticks([1] if strip else [0.25, 0.5, p["support_low"], 1, 1 / p["support_low"], 2, 4])
    xs = np.concatenate([x[ok], [p["police_high"] * 1.3, 0.6 / p["police_high"]]])
    ys = (np.array([0.8, 1.25]) if strip
          else np.concatenate([y[ok], [1 / p["support_low"] * 1.2, p["support_low"] / 1.2]]))
    ax.set_xlim(np.nanmin(xs) / 1.1, np.nanmax(xs) * 1.1)
    ax.set_ylim(np.nanmin(ys) / 1.1, np.nanmax(ys) * 1.1)
    for v in (p["police_high"], 1 / p["police_high"]):
        ax.axvline(v, ls="--", color="#737373", lw=0.8)
    for v in (p["support_low"], 1 / p["support_low"]):
        ax.axhline(v, ls="--", color="#737373", lw=0.8)
    ax.axvline(1, color="#bdbdbd", lw=0.6)
    ax.axhline(1, color="#bdbdbd", lw=0.6)
    ax.set_xlabel(f"police dose relative to need ({_POLICE[p['police_measure']]} / expected for the shooting rate)")
    ax.set_ylabel(f"support relative to citywide ({_SUPPORT[p['support_measure']]} per victim)")
    present = [c for c in CLASS_COLORS if c in set(cls) and c != HIDDEN_CLASS]  # police classes also as rings
    handles = [Line2D([], [], marker="o", ls="", markerfacecolor=CLASS_COLORS[c], markeredgecolor="#404040",
                      label=c) for c in present]
    if (ok & few).any():
        handles.append(Line2D([], [], marker="o", ls="", markerfacecolor="none", markeredgecolor="#8c8c8c",
                              label=f"ring: under {min_count} victims,\nsupport not shown"))
    # legend under the axes: the plot keeps the full width
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2 if strip else -0.1), frameon=False,
              ncol=min(len(handles), 4), title="marker size: shooting rate", title_fontsize=8, fontsize=8)
    default = "Police dose against support dose, by area"
    if strip:
        default = (f"Police dose by area (support not shown: no area has {min_count} or more victims "
                   "with a support measure)")
    ax.set_title(title or default, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
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
