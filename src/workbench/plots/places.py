"""Matplotlib figures of the places report: Knox ratio heat table and ranked areas bar chart."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from . import palette as pal

__all__ = ["plot_knox_ratios", "plot_ranked_areas"]


def plot_knox_ratios(ratios: pd.DataFrame, p_values: pd.DataFrame | None = None, *, alpha: float = 0.05,
                     min_count: int | None = None, empty: pd.DataFrame | None = None) -> Figure:
    """Heat table of Knox ratios (rows: distance bands, columns: time bands).

    Parameters
    ----------
    ratios : DataFrame
        Knox ratios in the NRC layout (:func:`workbench.sections.places.knox_display`, or the
        ``knox_table`` of :func:`workbench.sections.places_section`); NaN cells are hidden.
    p_values : DataFrame, optional
        Same layout; cells with ``p < alpha`` are marked with an asterisk. Default:
        ``ratios.attrs['p']`` when present.
    alpha : float
    min_count : int, optional
        Threshold mentioned in the note on hidden cells.
    empty : DataFrame of bool, optional
        Same layout; True where no pair was expected at all (shown as an en dash, not as hidden).
        Default: ``ratios.attrs['empty']`` when present.
    """
    p_values = ratios.attrs.get("p") if p_values is None else p_values
    empty = ratios.attrs.get("empty") if empty is None else empty
    vals = ratios.to_numpy(float)
    fig, ax = plt.subplots(figsize=(1.3 * vals.shape[1] + 2.5, 0.5 * vals.shape[0] + 1.8))
    finite = vals[np.isfinite(vals)]
    # colour scale capped at 2.5 (ratios above get the darkest red; their numbers are printed) so
    # that one extreme cell, such as same-location duplicates, does not wash out the others
    hi = min(max(float(finite.max()) if finite.size else 2.0, 1.05), 2.5)
    lo = min(float(finite.min()) if finite.size else 0.5, 0.95, max(2.0 - hi, 0.05))
    norm = TwoSlopeNorm(vcenter=1.0, vmin=lo, vmax=hi)
    ev = None if empty is None else empty.reindex(index=ratios.index, columns=ratios.columns).to_numpy()
    im = ax.imshow(np.ma.masked_invalid(np.minimum(vals, hi)), cmap=pal.DIVERGING, norm=norm, aspect="auto")
    ax.set_facecolor("#e0e0e0")
    pv = None if p_values is None else p_values.reindex(index=ratios.index, columns=ratios.columns).to_numpy(float)
    for i in range(vals.shape[0]):
        for j in range(vals.shape[1]):
            v = vals[i, j]
            if not np.isfinite(v):
                blank = ev is not None and bool(ev[i, j])
                ax.text(j, i, "\u2013" if blank else "n/s", ha="center", va="center", fontsize=8, color="#555555")
                continue
            star = "*" if pv is not None and np.isfinite(pv[i, j]) and pv[i, j] < alpha else ""
            ax.text(j, i, f"{v:.2f}{star}", ha="center", va="center", fontsize=9,
                    color="white" if abs(min(v, hi) - 1) > 0.6 * (hi - 1) else "black")
    ax.set_xticks(range(vals.shape[1]), [str(c) for c in ratios.columns], rotation=30, ha="right")
    ax.set_yticks(range(vals.shape[0]), [str(r) for r in ratios.index])
    ax.set_xlabel("Days between the two shootings")
    ax.set_ylabel("Distance between the two shootings")
    fig.colorbar(im, ax=ax, label="Knox ratio (observed / expected pairs)",
                 extend="max" if finite.size and finite.max() > hi else "neither")
    note = f"* p < {alpha:g}"
    if min_count:
        note += f"; n/s: fewer than {min_count} pairs, not shown; \u2013: no such pairs at all"
    ax.set_title("Near repeats: pairs of shootings close in space and time\n" + note, fontsize=10)
    fig.tight_layout()
    return fig


def plot_ranked_areas(ranked: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Horizontal bar chart of ranked areas (:func:`workbench.sections.places.ranked_areas`), rank 1 on top."""
    n = len(ranked)
    fig, ax = plt.subplots(figsize=(7, 0.32 * max(n, 3) + 1.2))
    if n == 0:
        ax.text(0.5, 0.5, "No area can be ranked", ha="center", va="center")
        ax.set_axis_off()
        return fig
    y = np.arange(n)[::-1]
    ax.barh(y, ranked["value"].to_numpy(float), color=pal.VERMILLION)
    ax.set_yticks(y, ranked["name" if "name" in ranked else "area_id"].astype(str))
    measure = str(ranked["measure"].iloc[0])
    ax.set_xlabel(measure.capitalize())
    ax.set_title(title or f"Areas ranked by {measure}", fontsize=11)
    ax.axvline(0, color="#333333", lw=0.8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig
