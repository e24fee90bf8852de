"""``workbench brief``: the co-responder brief as one printable HTML page.

The page is built from :func:`workbench.sections.brief` (suppressed counts, names, rounded
figures), every text escaped with ``html.escape``, scanned with
:func:`workbench.privacy.check_export` for its audience before it is written, and written only to
a file this command created before (a page starting with :data:`MARKER`) or to a new file.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from .export import CSP_INDEX, REPORT_CSS, research_banner

__all__ = ["MARKER", "brief_command", "default_brief_path", "render_brief"]

#: First line of every brief page: a file starting otherwise is never overwritten.
MARKER = "<!DOCTYPE html><!-- workbench brief -->"

_CSS = REPORT_CSS + """
body{max-width:60rem;margin:1.2rem auto;padding:0 1rem;font-size:.92rem}
table{margin:.6rem 0;font-size:.85rem}td,th{border:1px solid var(--wb-rule);padding:.2rem .45rem;text-align:left;
vertical-align:top}th{background:var(--wb-band)}.wb-foot{font-size:.8rem;color:var(--wb-muted)}
@media print{body{max-width:none;margin:0;font-size:9pt}table{font-size:7.5pt}
  .wb-canvass{break-before:page;page-break-before:always}}
"""


def _table(df: pd.DataFrame) -> str:
    e = html.escape
    if df is None or not len(df):
        return ""
    head = "".join(f"<th>{e(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{e('' if pd.isna(v) else str(v))}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    return f"<table><tr>{head}</tr>{body}</table>"


def render_brief(b: Any, *, title: str, min_count: int, data_name: str = "") -> str:
    """HTML of one brief (:class:`workbench.sections.brief.Brief`)."""
    e = html.escape
    research = b.audience == "research"
    period = (f"{b.start:%A %d %B %Y}" if b.days == 1
              else f"{b.start:%d %B} to {b.end - pd.Timedelta(days=1):%d %B %Y}")
    readings = "".join(f"<li>{e(s)}</li>" for s in b.readings)
    notes = "".join(f'<p class="wb-foot">{e(n)}</p>' for n in b.notes)
    canvass = ""
    if research and b.canvass is not None and len(b.canvass):
        canvass = ('<section class="wb-canvass"><h2>Canvass list, shooting by shooting</h2>'
                   '<p class="wb-foot">Areas first (most residents in the zone first), then places (earlier zones '
                   "first, then the nearest). Restricted: for the co-responder team only.</p>"
                   f"{_table(b.canvass)}</section>")
    banner = research_banner() if research else ""
    return f"""{MARKER}
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{e(CSP_INDEX)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}: co-responder brief, {e(period)}</title><style>{_CSS}</style></head>
<body>{banner}
<h1>Co-responder brief: {e(period)}</h1>
<p class="wb-foot">{e(title)}{(' (' + e(data_name) + ')') if data_name else ''}. Areas only, never an address;
counts from 1 to {min_count - 1} are shown as "&lt;{min_count}"; residents are estimates rounded to tens or hundreds.</p>
<ul>{readings}</ul>
{_table(b.areas)}
{notes}
{canvass}
</body></html>
"""


def default_brief_path(params: Any, start: pd.Timestamp, days: int) -> Path:
    """``reports/<report folder>-briefs/brief-<date>[-<days>d].html`` under the current directory."""
    from .runner import report_folder_name

    suffix = "" if days == 1 else f"-{days}d"
    return Path("reports") / f"{report_folder_name(params)}-briefs" / f"brief-{start:%Y-%m-%d}{suffix}.html"


def brief_command(params: str, date: str, days: int = 1, out: str | None = None) -> int:
    """``workbench brief``: write the brief; exit code as :mod:`workbench.cli` documents."""
    from workbench.data import DataError, load_dataset
    from workbench.privacy import PrivacyError, check_export
    from workbench.sections.brief import brief

    from .params import ParameterError, load_params
    from .runner import ensure_synthetic

    try:
        p = load_params(params)
        day = pd.Timestamp(date)
    except (ParameterError, ValueError) as exc:
        print(f"workbench brief: {exc}" if not isinstance(exc, ParameterError) else exc, file=sys.stderr)
        return 2
    if days < 1:
        print("workbench brief: --days must be at least 1", file=sys.stderr)
        return 2
    try:
        ensure_synthetic(p)
        dataset = load_dataset(p.data, base_dir=p.base_dir)
    except DataError as exc:
        print(exc, file=sys.stderr)
        return 2
    b = brief(dataset, day, days=days, min_count=p.privacy.min_count, audience=p.audience)
    page = render_brief(b, title=p.title, min_count=p.privacy.min_count, data_name=dataset.name)
    target = Path(out) if out else default_brief_path(p, b.start, days)
    try:
        check_export(page, dataset, where=target.name, audience=p.audience)
    except PrivacyError as exc:
        print(exc, file=sys.stderr)
        return 3
    if target.exists() and not target.read_text(encoding="utf-8", errors="replace").startswith(MARKER):
        print(f"workbench brief: {target} exists and is not a brief this command wrote; choose another --out",
              file=sys.stderr)
        return 2
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    print(target)
    return 0
