"""HTML of the index's *Now* block (from :meth:`workbench.sections.NowBlock.to_json`).

Every piece of text from the data (area names, table cells) is escaped with ``html.escape``;
counts arrive already suppressed.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

__all__ = ["NOW_CSS", "render_now"]

#: Rows shown per item table (the sentences above it name the areas).
MAX_ROWS = 10

NOW_CSS = """
#now .wb-now-item{border-left:4px solid var(--wb-accent);padding:.2rem 0 .2rem .8rem;margin:1rem 0}
#now .wb-now-item h3{margin:.2rem 0}#now table{font-size:.9rem}
#now .wb-now-na{color:var(--wb-muted);font-style:italic}
"""


def _cell(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".") if v == v else "-"
    return html.escape(str(v)) if str(v) not in ("", "nan", "NaN", "None") else "-"


def _table(item: Mapping[str, Any]) -> str:
    rows = item.get("rows") or []
    if not rows:
        return ""
    cols = list(item["columns"])
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in cols)
    def num(v: Any, c: str) -> bool:  # numbers and suppressed counts ("<11") align right
        return c != cols[0] and (isinstance(v, (int, float)) or (isinstance(v, str) and v.startswith("<")))

    body = "".join(
        "<tr>" + "".join(
            f"<td class=\"num\">{_cell(r.get(c))}</td>" if num(r.get(c), c)
            else f"<td>{_cell(r.get(c))}</td>" for c in cols) + "</tr>"
        for r in rows[:MAX_ROWS]
    )
    more = (f"<p class=\"wb-foot\">and {len(rows) - MAX_ROWS} more areas.</p>" if len(rows) > MAX_ROWS else "")
    return f"<table><tr>{head}</tr>{body}</table>{more}"


def render_now(block: Mapping[str, Any] | None, pages: Mapping[str, str] | None = None, min_count: int = 11) -> str:
    """HTML section ``<section id="now">`` of the Now block ("" without a block).

    Parameters
    ----------
    block : dict
        :meth:`workbench.sections.NowBlock.to_json`.
    pages : mapping, optional
        Notebook name -> HTML file name of the pages of this report (links; an item whose
        page did not run gets no link).
    min_count : int
        Privacy threshold (named in the footnote).
    """
    if not block:
        return ""
    e = html.escape
    if block.get("error"):  # compute_now failed: say so where the block would be
        return (f'<section id="now" aria-labelledby="now-h">\n<h2 id="now-h">Now</h2>\n'
                f'<p class="wb-now-na">{e(str(block["error"]))}</p>\n</section>\n')
    pages = dict(pages or {})
    end = str(block.get("end") or "")[:10]
    short, long_ = int(block["short_days"]), int(block["long_days"])
    parts = []
    for it in block.get("items", []):
        key = e(str(it["key"]))
        readings = "".join(f"<li>{e(str(s))}</li>" for s in it.get("readings", []))
        page = pages.get(str(it.get("page", "")))
        link = (f'<p class="wb-foot"><a href="{e(page)}">Method and details: {e(_title(it.get("page", "")))} '
                f"page</a></p>" if page else "")
        cls = "wb-now-item" + ("" if it.get("available", True) else " wb-now-na")
        parts.append(f'<div class="{cls}" id="now-{key}"><h3>{e(str(it["title"]))}</h3>'
                     f"<ul>{readings}</ul>{_table(it)}{link}</div>")
    notes = "".join(f'<p class="wb-foot">{e(str(n))}</p>' for n in block.get("notes", []))
    return f"""<section id="now" aria-labelledby="now-h">
<h2 id="now-h">Now</h2>
<p class="wb-period">The last {short} and {long_} days before the data end (<strong>{e(end)}</strong>):
where risk is raised, which areas are heating up or cooling, where shootings went without co-response,
and where police presence outweighs need. Areas only, never single shootings; counts from 1 to
{min_count - 1} are shown as "&lt;{min_count}".</p>
{''.join(parts)}{notes}
</section>
"""


def _title(name: str) -> str:
    head, _, rest = str(name).partition("_")
    words = (rest if head.isdigit() and rest else str(name)).replace("_", " ")
    return words[:1].upper() + words[1:]


def compute_now(params: Any, dataset: Any) -> dict[str, Any] | None:
    """The Now block of a report run as JSON; None when switched off, ``{"error": ...}`` when it raised.

    Parameters
    ----------
    params : ReportParams
        ``params.now`` and ``params.privacy.min_count`` are used.
    dataset : Dataset
    """
    import logging

    from workbench.sections import now_block

    cfg = params.now
    if not cfg.enabled:
        return None
    try:
        block = now_block(dataset, min_count=params.privacy.min_count, short_days=cfg.short_days,
                          long_days=cfg.long_days, history_days=cfg.history_days, n_steps=cfg.n_steps,
                          time_window=cfg.time_window,
                          permutations=cfg.permutations)
    except Exception as exc:  # the index must always be written: it says the block is missing, and why
        logging.getLogger("workbench.report").warning("report %s: no Now block: %s", params.run_name,
                                                      type(exc).__name__, exc_info=exc)
        return {"error": f"The Now block could not be computed ({type(exc).__name__}; the run log has the details)."}
    return block.to_json()
