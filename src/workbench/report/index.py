"""The report's ``index.html``: links to every notebook page plus the run metadata.

A research report's index (``audience: research``) opens with the restricted-use banner
(:func:`~workbench.report.export.research_banner`) and names its audience in the run table; a
policy index is exactly as before.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import yaml

from .export import CSP_INDEX, REPORT_CSS, research_banner
from .now import NOW_CSS, render_now

if TYPE_CHECKING:  # pragma: no cover
    from .params import ReportParams
    from .runner import NotebookRun

__all__ = ["SECRET_KEYS", "SECTION_DESCRIPTIONS", "render_index", "render_summary", "rendered_parameters"]

#: One line per report section, shown under its link on the index page: what the notebook's opening
#: paragraph and headings cover (tests/test_sections_overview.py checks each against its notebook).
SECTION_DESCRIPTIONS: dict[str, str] = {
    "00_data_overview": ("What the data cover: incidents by month and kind, how complete the data are, where "
                         "incidents happen, and who is shot (victims by age group, sex and race/ethnicity)."),
    "01_places": ("Where shootings concentrate and how risk spreads: near-repeat chains, the map of places, areas "
                  "heating up or cooling down, and the areas that need attention first."),
    "02_people": ("Who is at risk and who is shot: the co-arrest network, exposure to recent victims, how "
                  "shootings spread along ties (a contagion model), and risk lists checked for accuracy and fairness."),
    "03_response": ("What happens after a shooting: who responds and how fast, time on scene, referrals and "
                    "follow-ups, the time to engagement and what goes with it, how follow-up ends, and who is "
                    "shot again."),
    "04_past_victims": ("Living people shot before the program started or never referred: where they live, how long "
                        "ago they were shot, and how many remain unreached as outreach proceeds."),
    "05_dosage": ("Police presence and support per area measured against the violence there: the balance classes, "
                  "the areas most out of balance, and the change after the program start."),
    "06_brief": ("The co-responder brief for the shootings of the last day or week: the areas their exposure zones "
                 "reach, residents, schools and parks inside, services within reach, and until when the risk stays "
                 "raised."),
}

_CSS = REPORT_CSS + """
body{max-width:64rem;margin:2rem auto;padding:0 1rem}
h1{margin-bottom:.2rem}table{margin:1rem 0}
td,th{border:1px solid var(--wb-rule);padding:.3rem .7rem;text-align:left;vertical-align:top}
th{background:var(--wb-band)}pre{background:#f5f7fa;padding:.8rem;overflow-x:auto;font-size:.85rem}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:var(--wb-ok)}.failed{color:var(--wb-warn);font-weight:600}code{font-size:.85rem}
.wb-lede{color:var(--wb-muted);margin-top:0}
.wb-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(11.5rem,1fr));gap:.8rem;margin:1rem 0}
.wb-card{border:1px solid var(--wb-rule);border-top:4px solid var(--wb-accent);border-radius:4px;padding:.6rem .8rem}
.wb-card h3{font-size:.95rem;margin:0 0 .3rem;color:var(--wb-muted)}
.wb-card .wb-value{font-size:1.6rem;font-weight:700;color:var(--wb-head)}
.wb-card .wb-na{font-size:1rem;font-weight:400;color:var(--wb-muted);font-style:italic}
.wb-card p{margin:.2rem 0;font-size:.85rem}
.wb-sections dt{font-weight:600;margin-top:.6rem}.wb-sections dd{margin-left:0;color:var(--wb-muted)}
.wb-foot{font-size:.85rem;color:var(--wb-muted)}
""" + NOW_CSS


def _hide_password(source: str) -> str:
    from workbench.redact import redact

    if "://" not in source:
        return redact(source)
    try:
        from sqlalchemy.engine import make_url

        return redact(make_url(source).render_as_string(hide_password=True))
    except Exception:  # not a SQLAlchemy URL: the generic redaction
        return redact(source)


#: Parameter keys whose values are secrets (pseudonymisation salts, passwords): never shown.
SECRET_KEYS = ("salt", "password", "secret", "token")


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("***" if any(s in str(k).lower() for s in SECRET_KEYS) else _mask(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask(v) for v in value]
    return value


def rendered_parameters(params: ReportParams) -> str:
    """The run's parameters as YAML: what the file set, plus the privacy threshold.

    Secrets are masked: salts of pseudonymous ids (knowing one lets anyone with the source
    rows recompute the pseudonyms) and database passwords.
    """
    data: dict[str, Any] = params.model_dump(mode="json", exclude_unset=True)
    data.pop("notebooks_dir", None)
    data.setdefault("privacy", {})["min_count"] = params.privacy.min_count
    data["notebooks"] = list(params.notebooks)
    src = data.get("data", {}).get("source")
    if isinstance(src, str):
        data["data"]["source"] = _hide_password(src)
    return yaml.safe_dump(_mask(data), sort_keys=False, default_flow_style=False)


def _num(value: Any) -> str:
    return "" if value is None else f"{float(value):.1f}"


def _date(iso: str) -> str:
    return iso[:10]


def _months(n: int) -> str:
    """``"month"`` or ``"12 months"``: reads as "the last ..." and "the ... before"."""
    return "month" if n == 1 else f"{n} months"


def render_summary(summary: dict[str, Any], changes: Sequence[str] = (), compared_with: str | None = None) -> str:
    """HTML fragment of the executive summary (key numbers, top areas, changes since the last run).

    Parameters
    ----------
    summary : dict
        :func:`workbench.sections.summary.summary_json` of this run (aggregates after suppression only).
    changes : sequence of str
        :func:`workbench.sections.summary.changes_since` sentences.
    compared_with : str, optional
        The earlier run compared with when it is not the last one (``"the run of 2026-11-01, 3
        runs back"``, the parameter ``compare_with``); names the heading.

    A summary that could not be computed (its ``error``, :func:`workbench.sections.summary.failed_summary`)
    is a heading and the reason; the ``cautions`` (typed warnings raised while the numbers were
    computed) are shown one line each under the cards.
    """
    e = html.escape
    if summary.get("error") or not summary.get("period"):  # the summary could not be computed: say why
        why = summary.get("error") or "The executive summary could not be computed."
        return (f'<section id="summary" aria-labelledby="summary-h">\n<h2 id="summary-h">Summary</h2>\n'
                f'<p class="wb-na">{e(str(why))}</p>\n</section>\n')
    p = summary["period"]
    months = int(p["months"])  # the report's summary_months
    mc = int(summary["min_count"])
    marker = f"<{mc}"
    cards = []
    any_suppressed = False
    for n in summary["numbers"]:
        shown = str(n.get("shown", ""))
        value_cls = ("wb-value" if any(ch.isdigit() for ch in shown) and not shown.startswith(("fewer", "could not"))
                     else "wb-value wb-na")
        foot = ""
        if n.get("suppressed") or marker in shown or marker in str(n.get("shown_previous", "")):
            any_suppressed = True
            foot = "<sup>*</sup>"
        prev = str(n.get("shown_previous", ""))
        change = n.get("change") or ""
        prev_line = f"Previous period: {e(prev)}" + (f" &middot; <strong>{e(change)}</strong>" if change else "")
        cards.append(
            f'<div class="wb-card"><h3>{e(n["label"])}</h3>'
            f'<div class="{value_cls}">{e(shown)}{foot}</div>'
            f"<p>{prev_line}</p><p class=\"wb-foot\">{e(n.get('note', ''))}</p></div>"
        )
    areas = summary.get("top_areas") or []
    if areas:
        rows = "".join(
            f"<tr><td class=\"num\">{int(a['rank'])}</td><td>{e(str(a.get('name') or a['area_id']))}</td>"
            f"<td class=\"num\">{int(a['shootings']):,}</td><td class=\"num\">{e(str(a.get('previous') or '-'))}</td>"
            f"<td class=\"num\">{_num(a.get('per_10k'))}</td></tr>"
            for a in areas
        )
        if any(marker in str(a.get("previous", "")) for a in areas):
            any_suppressed = True
        area_html = (
            "<table><caption class=\"wb-foot\">Areas with at least "
            f"{mc} shootings in the period, most first.</caption>"
            "<tr><th class=\"num\">Rank</th><th>Area</th><th class=\"num\">Shootings</th>"
            "<th class=\"num\">Previous period</th><th class=\"num\">Per 10,000 residents</th></tr>"
            f"{rows}</table>"
        )
    elif not summary.get("has_areas", True):
        area_html = ("<p>These data have no areas (no boundaries were given), so shootings are not "
                     "ranked by area; the places page maps them on a grid instead.</p>")
    else:
        area_html = f"<p>No area had {mc} or more shootings in the period (smaller counts are not listed).</p>"
    change_html = "".join(f"<li>{e(c)}</li>" for c in changes) or "<li>Nothing to compare.</li>"
    notes = "".join(f"<p class=\"wb-foot\">{e(x)}</p>" for x in summary.get("notes", []))
    # typed workbench warnings raised while the numbers were computed: one line each
    notes += "".join(f"<p class=\"wb-foot wb-caution\">Caution: {e(str(x))}</p>" for x in summary.get("cautions", []))
    footnote = (
        f'<p class="wb-foot"><sup>*</sup> Counts from 1 to {mc - 1} are shown as "{e(marker)}" to protect '
        "the people involved; shares and medians of so few people are not shown either.</p>"
        if any_suppressed else
        f'<p class="wb-foot">Counts from 1 to {mc - 1} would be shown as "{e(marker)}" (none in this summary).</p>'
    )
    return f"""<section id="summary" aria-labelledby="summary-h">
<h2 id="summary-h">Summary</h2>
<p class="wb-period">The last {_months(months)} of data, <strong>{e(p.get('first_day') or _date(p['start']))} to {e(_date(p['end']))}</strong>,
compared with the {_months(months)} before ({e(p.get('prev_first_day') or _date(p['prev_start']))} to {e(_date(p['prev_end']))}).</p>
<div class="wb-cards">{''.join(cards)}</div>
{footnote}{notes}
<h3>Where shootings are most frequent</h3>
{area_html}
<h3>What changed since {e(compared_with) if compared_with else "the last run"}</h3>
<ul>{change_html}</ul>
</section>
"""


def render_index(
    params: ReportParams,
    runs: Sequence[NotebookRun],
    *,
    fingerprint: str,
    version: str,
    started: str,
    finished: str,
    summary: dict[str, Any] | None = None,
    changes: Sequence[str] = (),
    now: dict[str, Any] | None = None,
    compared_with: str | None = None,
) -> str:
    """HTML of the index page.

    Parameters
    ----------
    params : ReportParams
        The run's parameters.
    runs : sequence of NotebookRun
        Notebooks in run order (name, status, duration, html file name).
    fingerprint : str
        SHA-256 of the data (:meth:`workbench.data.Dataset.fingerprint`).
    version : str
        ``workbench`` package version.
    started, finished : str
        Time-zone-aware ISO 8601 times of the run.
    summary : dict, optional
        :func:`workbench.sections.summary.summary_json`; the page opens with the executive summary
        (:func:`render_summary`) when given.
    changes : sequence of str
        What changed since the previous run (:func:`workbench.sections.summary.changes_since`).
    now : dict, optional
        :meth:`workbench.sections.NowBlock.to_json`; the page opens with the Now block
        (:func:`workbench.report.now.render_now`) when given.
    compared_with : str, optional
        The earlier run the changes compare with, when not the last one (:func:`render_summary`).
    """
    e = html.escape
    sections = "\n".join(
        f"<dt><a href=\"{e(r.html.name if r.html else '')}\">{e(_section_title(r.name))}</a>"
        + ("" if r.status == "ok" else f" <span class=\"{e(r.status)}\">({e(r.status)})</span>")
        + f"</dt><dd>{e(SECTION_DESCRIPTIONS.get(r.name, ''))}</dd>"
        for r in runs
    )
    rows = "\n".join(
        f"<tr><td><a href=\"{e(r.html.name if r.html else '')}\">{e(r.name)}</a></td>"
        f"<td class=\"{e(r.status)}\">{e(r.status)}</td><td>{r.duration_s:.1f} s</td>"
        f"<td><a href=\"notebooks/{e(r.name)}.ipynb\">notebook</a></td></tr>"
        for r in runs
    )
    summary_html = render_summary(summary, changes, compared_with) if summary else ""
    period = (summary or {}).get("period") or {}
    through = period.get("through") or (str((now or {}).get("end") or "")[:10] or None)
    data_end_html = (f"\n<p class=\"wb-data-end\">Data through <strong>{e(str(through))}</strong>"
                     + (f": {e(str(period['rule']))}" if period.get("rule") else "")
                     + ". Every page and chart of this report stops there.</p>" if through else "")
    now_html = render_now(now, {r.name: r.html.name for r in runs if r.html and r.status == "ok"},
                          params.privacy.min_count)
    research = params.audience == "research"
    banner = f"{research_banner()}\n" if research else ""
    audience_row = (
        "<tr><th>Audience</th><td>research (restricted: pseudonymous person-level rows; "
        "not for policy audiences or publication)</td></tr>\n"
        if research else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{e(CSP_INDEX)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(params.title)}</title><style>{_CSS}</style></head>
<body>
{banner}<header>
<h1>{e(params.title)}</h1>
<p class="wb-lede">Violence Response Workbench report <code>{e(params.run_name)}</code>, finished {e(finished)}.
Counts below {params.privacy.min_count} are suppressed in every page.</p>{data_end_html}
</header>
<main>
{now_html}{summary_html}
<section id="sections" aria-labelledby="sections-h">
<h2 id="sections-h">Sections</h2>
<dl class="wb-sections">
{sections}
</dl>
</section>
<section id="run" aria-labelledby="run-h">
<h2 id="run-h">Run</h2>
<table><tr><th>Page</th><th>Status</th><th>Run time</th><th>For researchers</th></tr>
{rows}
</table>
<table>
{audience_row}<tr><th>Started</th><td>{e(started)}</td></tr>
<tr><th>Finished</th><td>{e(finished)}</td></tr>
<tr><th>Data fingerprint (SHA-256)</th><td><code>{e(fingerprint)}</code></td></tr>
<tr><th>workbench version</th><td>{e(version)}</td></tr>
<tr><th>Parameter file</th><td><code>{e(params.source)}</code></td></tr>
</table>
<details class="wb-appendix"><summary>Technical appendix: the run's parameters (YAML)</summary>
<pre>{e(rendered_parameters(params))}</pre>
</details>
</section>
</main>
</body></html>
"""


def _section_title(name: str) -> str:
    """``"01_places"`` -> ``"Places"``."""
    head, _, rest = name.partition("_")
    words = (rest if head.isdigit() and rest else name).replace("_", " ")
    return words[:1].upper() + words[1:]
