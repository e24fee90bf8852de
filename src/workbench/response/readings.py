"""Plain-language readings of the response and survival results (for report pages).

Every sentence uses only aggregated figures; counts below ``min_count`` are written as
``"fewer than <min_count>"``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.privacy import count_text as privacy_count_text
from workbench.privacy import enough

__all__ = ["count_text", "coverage_readings", "cox_readings", "incidence_readings", "km_readings",
           "scene_readings"]


def count_text(n: int, min_count: int) -> str:
    """``"1,234"``, or ``"fewer than 11"`` for a suppressed count (zero stays ``"0"``).

    :func:`workbench.privacy.count_text` in words.
    """
    return privacy_count_text(int(n), min_count, words=True)


def _days(x: float) -> str:
    return "not reached" if not np.isfinite(x) else f"{x:.0f} days"


def coverage_readings(overall: pd.DataFrame, by_year: pd.DataFrame, min_count: int) -> list[str]:
    """Sentences on co-response coverage and arrival times."""
    out = []
    if len(overall):
        r = overall.iloc[0]
        out.append(f"Of {count_text(r['shootings'], min_count)} shootings with a victim in the period, "
                   f"{count_text(r['covered'], min_count)} ({r['share_covered']:.0%}) had a non-police "
                   "responder on scene.")
        if np.isfinite(r["arrival_median_min"]):
            out.append(f"The first non-police responder arrived a median of {r['arrival_median_min']:.0f} minutes "
                       f"after the shooting (half of arrivals between {r['arrival_q1_min']:.0f} and "
                       f"{r['arrival_q3_min']:.0f} minutes).")
    yrs = by_year[enough(by_year["shootings"], min_count)]
    if len(yrs) >= 2:
        a, b = yrs.iloc[0], yrs.iloc[-1]
        out.append(f"Coverage went from {a['share_covered']:.0%} in {a['group']} to {b['share_covered']:.0%} "
                   f"in {b['group']}.")
    return out


def scene_readings(scene: pd.DataFrame, min_count: int) -> list[str]:
    """Sentences on time on scene, naming the longest and shortest median."""
    s = scene[enough(scene["n"], min_count)].sort_values("median_min")
    out = []
    if len(s):
        lo, hi = s.iloc[0], s.iloc[-1]
        out.append(f"Median time on scene ranges from {lo['median_min']:.0f} minutes "
                   f"({str(lo['group']).replace('_', ' ')}) to {hi['median_min']:.0f} minutes "
                   f"({str(hi['group']).replace('_', ' ')}).")
    excl = int(scene["excluded"].sum())
    out.append("No response record had an impossible time on scene." if excl == 0 else
               f"{count_text(excl, min_count)} response records with an impossible or missing time on scene "
               "are left out of these figures (see the data checks).")
    return out


def km_readings(medians: pd.DataFrame, logrank: dict | None, by_label: str, min_count: int) -> list[str]:
    """Sentences on median time to engagement by group and the log-rank test."""
    m = medians[enough(medians["n"], min_count)]
    out = []
    fin = m[np.isfinite(m["median"])].sort_values("median")
    if len(fin) >= 2:
        a, b = fin.iloc[0], fin.iloc[-1]
        out.append(f"By {by_label}, half of referrals had engaged after {a['median']:.0f} days for "
                   f"{str(a['group']).replace('_', ' ')} and after {b['median']:.0f} days for "
                   f"{str(b['group']).replace('_', ' ')}.")
    if logrank is not None:
        p = logrank["p_value"]
        from workbench.formatting import format_p  # one home for how a p-value reads

        out.append(f"The log-rank test {'finds' if p < 0.05 else 'does not find'} a difference between the "
                   f"{by_label} curves ({format_p(p)}; the chance of a difference at least this large if the "
                   "groups engaged equally fast).")
    return out


def cox_readings(summary: pd.DataFrame, concordance: float, failing: list[str]) -> list[str]:
    """Sentences on the strongest hazard ratios, concordance and the assumption check."""
    out = []
    sig = summary[(summary["hr_lower"] > 1) | (summary["hr_upper"] < 1)]
    for _, r in sig.reindex(sig["coef"].abs().sort_values(ascending=False).index).head(3).iterrows():
        faster = r["hazard_ratio"] > 1
        out.append(f"{r['column']}: engagement happens {'faster' if faster else 'slower'} "
                   f"(hazard ratio {r['hazard_ratio']:.2f}, 95% interval {r['hr_lower']:.2f} to "
                   f"{r['hr_upper']:.2f}), other covariates held fixed.")
    out.append(f"The model ranks who engages sooner correctly {concordance:.0%} of the time (concordance; "
               "50% is chance).")
    out.append("The proportional-hazards check passed for every covariate." if not failing else
               "The proportional-hazards check failed for " + ", ".join(failing) +
               "; read their hazard ratios as averages over time (a stratified model is shown).")
    return out


def incidence_readings(at: pd.DataFrame, horizon: float) -> list[str]:
    """Sentences on the cumulative incidence of each cause at ``horizon`` days."""
    d = at[(at["time"] == horizon) & at["cif"].notna()]
    if not len(d):
        return []
    parts = [f"{r['cause']} {r['cif']:.0%}" for _, r in d.iterrows()]
    return [f"Within {horizon:.0f} days of a referral: " + ", ".join(parts) + "."]
