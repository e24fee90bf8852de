"""Plain-language readings of the balance view and the program change (aggregates only)."""

from __future__ import annotations

import numpy as np

from .balance import Balance
from .change import ProgramChange
from .measures import POLICE_SOURCES

POLICE_WORDS = {"patrol_hours": "patrol hours", "contacts": "police contacts", "stops": "stops",
                "arrests": "arrests"}
SUPPORT_WORDS = {"visits": "co-responder visits", "referrals": "referrals",
                 "engaged": "referrals that led to engagement"}


def _areas(n: int) -> str:
    return f"{n} area{'s' if n != 1 else ''}"


def police_source_text(source: str) -> str:
    """One sentence saying what the police dose is made of."""
    text = POLICE_SOURCES.get(source, source)
    if source == "responses_and_arrests":
        return ("There are no patrol records, so the police dose is the police-contact measure: "
                f"{text}. Police responses follow the shootings themselves, so this measure says "
                "less about discretionary presence than patrol records would.")
    return f"The police dose comes from {text}."


def balance_readings(bal: Balance) -> list[str]:
    """Sentences describing the classes (numbers of areas, thresholds, uncertainty)."""
    t, p = bal.table, bal.params
    n = len(t)
    counts = t["class"].value_counts()
    pw = POLICE_WORDS[p["police_measure"]]
    sw = SUPPORT_WORDS[p["support_measure"]]
    high = int(counts.get("over-policed and underserved", 0) + counts.get("more police than need", 0))
    out = [
        f"{_areas(high)} of {n} get at least {p['police_high']:g} times the {pw} their shooting rate "
        f"predicts (with at least {p['min_probability']:.0%} probability); "
        f"{int(counts.get('over-policed and underserved', 0))} of them also get little support "
        f"({sw} per victim at most {p['support_low']:.0%} of the citywide rate).",
    ]
    low = int(counts.get("support-led", 0) + counts.get("less police than need", 0))
    if low:
        out.append(f"{_areas(low)} get at most {1 / p['police_high']:.0%} of the predicted {pw}; "
                   f"{int(counts.get('support-led', 0))} of them get high support (the reverse pattern).")
    und = int(counts.get("underserved", 0) + counts.get("over-policed and underserved", 0))
    if bal.support is not None:
        if und == 0 and int(counts.get("support-led", 0)) == 0:
            out.append(f"Support ({sw} per victim) is not clearly lower or higher in any area than "
                       "citywide, once the small numbers of victims per area are taken into account.")
        else:
            out.append(f"{_areas(und)} get clearly less support per victim than citywide.")
    a, b = bal.coef
    if np.isfinite(a):
        out.append(f"The expected {pw} is {1000 * a:,.0f} per 1,000 residents per year plus "
                   f"{b:,.0f} per shooting (fitted across areas, robust to the out-of-line ones).")
    out.append("Rates are smoothed toward the citywide rate in proportion to how little data an area "
               "has (empirical Bayes), so an area with few residents or few shootings is not ranked "
               "on one or two events.")
    return out + list(bal.notes)


def change_readings(pc: ProgramChange, unit: str = "shootings") -> list[str]:
    """Sentences on the before/after change and the comparison (or why there is none)."""
    g = pc.groups.set_index("group")
    out = []
    for grp in ("reached", "not reached"):
        if grp in g.index:
            r = g.loc[grp]
            out.append(f"Areas {grp} by the program ({_areas(int(r['areas']))}): {r['rate_before']:.2f} "
                       f"{unit} per 1,000 residents per year before the start, {r['rate_after']:.2f} after.")
    if pc.did is not None:
        d = pc.did
        out.append(f"Difference in differences: {d['estimate']:+.2f} per 1,000 residents per year "
                   f"({d['level']:.0%} interval {d['lower']:+.2f} to {d['upper']:+.2f}). "
                   "This is an association under strong assumptions (see the caveats), not an effect.")
    else:
        out.append(f"No comparison: {pc.reason}.")
    return out


def pretrend_readings(pre: ProgramChange | None) -> list[str]:
    """Sentences on the pre-period placebo comparison."""
    if pre is None or pre.did is None:
        return ["No pre-period check: the before period or the comparison groups are too small."]
    d = pre.did
    clear = d["lower"] > 0 or d["upper"] < 0
    head = (f"Pre-period check (pretend start {pre.program_start:%Y-%m-%d}, same areas): difference "
            f"{d['estimate']:+.2f} ({d['level']:.0%} interval {d['lower']:+.2f} to {d['upper']:+.2f}). ")
    if clear:
        return [head + "The groups were already drifting apart before the program, so the trends are not "
                "parallel and the comparison above should not be read as the program's doing."]
    return [head + "No clear drift before the program; this supports, but does not prove, parallel trends."]
