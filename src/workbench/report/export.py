"""HTML export for policy readers: outputs only, no code, no prompts, nothing fetched online.

nbconvert's ``lab`` template loads require.js, MathJax, MermaidJS and (for widget state) the
Jupyter widgets manager from CDNs. :data:`OFFLINE_TEMPLATE` extends ``lab`` and empties those
blocks, so a report page opens on a machine without network access; it also adds the report's
shared style sheet (:data:`REPORT_CSS`, print rules included) and alt text
on every image: the image's ``alt`` metadata when a notebook sets one, else the nearest preceding
heading ("Chart: <heading>").

Research reports (``audience="research"``) use :data:`RESEARCH_TEMPLATE`, the same template
with :func:`research_banner` at the top of the page; policy pages are exactly as before.

Hostile text (:func:`inert_outputs`, ``docs/security.md``): before rendering, every Markdown
*output* (text written by code from data) is rendered with raw HTML escaped and links off
(:func:`workbench.escape.render_markdown`) and every HTML output except the workbench's own maps
is passed through :func:`workbench.escape.sanitize_html`. Every page carries a
Content-Security-Policy (:func:`content_security_policy`): nothing remote is loaded, no inline
event handler runs, and only the scripts present at export time (hashed) may run.
"""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.plots import palette as _pal
from workbench.privacy import AUDIENCES

if TYPE_CHECKING:  # pragma: no cover
    import nbformat

__all__ = [
    "CSP_INDEX",
    "OFFLINE_TEMPLATE",
    "PALETTE",
    "REPORT_CSS",
    "RESEARCH_BANNER",
    "RESEARCH_TEMPLATE",
    "add_alt_text",
    "add_csp",
    "content_security_policy",
    "drop_empty_sections",
    "export_html",
    "inert_outputs",
    "research_banner",
    "tidy_table_cells",
]

#: Okabe-Ito colour-blind-safe palette (blue, orange, bluish green, vermillion, sky blue, reddish
#: purple, yellow, black): :data:`workbench.plots.palette.OKABE_ITO`, shared with charts and maps.
PALETTE: tuple[str, ...] = _pal.OKABE_ITO

#: Style shared by the index and every section page: type, headings, tables, print rules. The
#: accent, warning and success colours are Okabe-Ito blue, vermillion and bluish green.
REPORT_CSS = f"""
:root{{--wb-ink:#1f2933;--wb-muted:#52606d;--wb-rule:#cbd2d9;--wb-head:#0b3c5d;--wb-accent:{_pal.BLUE};
--wb-warn:{_pal.VERMILLION};--wb-ok:{_pal.BLUISH_GREEN};--wb-band:#f0f4f8}}
""" + """body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--wb-ink);line-height:1.5}
body.jp-Notebook main{max-width:64rem;margin:0 auto;padding:0 1rem}
h1,h2,h3,h4{color:var(--wb-head);line-height:1.25}
h1{font-size:1.9rem}h2{font-size:1.4rem;border-bottom:2px solid var(--wb-accent);padding-bottom:.15rem}
h3{font-size:1.15rem}
a{color:var(--wb-accent)}a:visited{color:#5a3d8a}
body{overflow-wrap:break-word}
table{border-collapse:collapse}
.jp-RenderedHTMLCommon table td,.jp-RenderedHTMLCommon table th{padding:.25rem .6rem}
.jp-RenderedHTMLCommon table{display:block;max-width:100%;overflow-x:auto}
.jp-RenderedHTMLCommon th{white-space:normal;max-width:14rem;vertical-align:bottom}
.jp-OutputArea-output{max-width:100%;overflow-x:auto}
pre{white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
img,iframe,svg,video{max-width:100%}
img{height:auto}
details.wb-appendix{margin:1rem 0;padding:.4rem .8rem;border:1px solid var(--wb-rule);background:var(--wb-band)}
details.wb-appendix>summary{cursor:pointer;font-weight:600;color:var(--wb-head)}
.wb-notice{padding:.6rem 1rem;border-left:4px solid var(--wb-accent);background:var(--wb-band)}
@media print{
  @page{size:A4;margin:15mm 12mm}
  body{font-size:10.5pt;color:#000}
  body.jp-Notebook main{max-width:none;padding:0}
  a{color:#000;text-decoration:underline}
  h1,h2,h3,h4{break-after:avoid;page-break-after:avoid}
  img,svg,figure,table,tr,.jp-RenderedImage,.wb-card{break-inside:avoid;page-break-inside:avoid}
  iframe{break-inside:avoid;page-break-inside:avoid;max-width:100%}
  .jp-OutputArea-output{overflow:visible!important}
  .jp-RenderedHTMLCommon table{font-size:7.5pt;max-width:100%;display:table;overflow:visible}
  details.wb-appendix>*{display:block}
  .jp-RenderedHTMLCommon th,.jp-RenderedHTMLCommon td{padding:.1rem .25rem!important;white-space:normal!important;
    overflow-wrap:anywhere}
  .wb-noprint{display:none!important}
}
"""

_ALT = "'<img alt=\"' ~ (output.metadata.get('alt', 'Chart') | escape_html) ~ '\" '"

#: Jinja template (extends nbconvert's ``lab``): no CDN scripts, report style, image alt text.
OFFLINE_TEMPLATE = (
    "{%- extends 'lab/index.html.j2' -%}\n"
    "{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}\n"
    "{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}\n"
    "{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}\n"
    "{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}\n"
    "{%- block html_head_css -%}<style type=\"text/css\">{{ resources.workbench_css }}</style>"
    "{%- endblock html_head_css -%}\n"
    "{% block data_png scoped %}{{ super() | replace('<img ', " + _ALT + ", 1) }}{% endblock data_png %}\n"
    "{% block data_jpg scoped %}{{ super() | replace('<img ', " + _ALT + ", 1) }}{% endblock data_jpg %}\n"
    "{% block data_svg scoped %}{{ super() | replace('<img ', " + _ALT + ", 1) }}{% endblock data_svg %}\n"
)

#: Plain-language restriction notice shown at the top of every page of a research report.
RESEARCH_BANNER = (
    "Restricted: research report with pseudonymous person-level rows. "
    "Not for policy audiences or publication."
)

# inline style: REPORT_CSS (shared with policy pages) stays as it is; the banner prints too
_BANNER_STYLE = (
    "margin:0 0 1rem;padding:.6rem 1rem;border:2px solid {warn};background:#fdecea;color:#611a15;"
    "font-weight:600;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"
).format(warn=_pal.VERMILLION)


def research_banner() -> str:
    """HTML of the restricted-use banner (:data:`RESEARCH_BANNER`) for research report pages."""
    return (
        f'<div class="wb-restricted" role="note" style="{_BANNER_STYLE}">'
        f"{html_lib.escape(RESEARCH_BANNER)}</div>"
    )


#: :data:`OFFLINE_TEMPLATE` with the research banner as the first thing in ``<main>``.
RESEARCH_TEMPLATE = (
    OFFLINE_TEMPLATE
    + "{%- block body_header -%}{{ super() }}{{ resources.workbench_banner }}{%- endblock body_header -%}\n"
)

_HEADING_MD = re.compile(r"^\s{0,3}#{1,4}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_HEADING_HTML = re.compile(r"<h[1-4][^>]*>(.*?)</h[1-4]>", re.DOTALL | re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
_NBCONVERT_DEFAULT_ALT = "No description has been provided for this image"


def _plain(text: str) -> str:
    text = html_lib.unescape(_TAGS.sub("", text))
    text = re.sub(r"[*_`\[\]]|\(http[^)]*\)", "", text)
    return " ".join(text.split())


def _last_heading(text: str, html: bool = False) -> str | None:
    found = _HEADING_HTML.findall(text) if html else _HEADING_MD.findall(text)
    return _plain(found[-1]) if found else None


def add_alt_text(nb: nbformat.NotebookNode, default: str = "Chart") -> int:
    """Give every image output an ``alt`` in its metadata (in place).

    The alt text is ``"Chart: <nearest preceding heading>"`` (markdown cells and markdown/HTML
    outputs count as headings), numbered when one heading has several images. Images that already
    have ``metadata['alt']`` keep it.

    Returns
    -------
    int
        Images given an alt text.
    """
    heading, seen, n = None, 0, 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            h = _last_heading(cell.source)
            if h:
                heading, seen = h, 0
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if any(t in data for t in _IMAGE_TYPES):
                meta = out.setdefault("metadata", {})
                if not meta.get("alt"):
                    seen += 1
                    label = f"{default}: {heading}" if heading else default
                    meta["alt"] = label if seen == 1 else f"{label} ({seen})"
                    n += 1
            for kind, is_html in (("text/markdown", False), ("text/html", True)):
                if kind in data:
                    src = data[kind] if isinstance(data[kind], str) else "".join(data[kind])
                    h = _last_heading(src, html=is_html)
                    if h:
                        heading, seen = h, 0
    return n


def _fill_default_alt(body: str) -> str:
    """Images inside HTML outputs that nbconvert gave its placeholder: use the preceding heading."""
    if _NBCONVERT_DEFAULT_ALT not in body:
        return body
    out, pos, heading = [], 0, None
    pattern = re.compile(r"<h[1-4][^>]*>.*?</h[1-4]>|alt=\"" + _NBCONVERT_DEFAULT_ALT + "\"", re.DOTALL | re.IGNORECASE)
    for m in pattern.finditer(body):
        if m.group(0).startswith("alt="):
            out.append(body[pos:m.start()])
            label = f"Image: {heading}" if heading else "Image"
            out.append(f'alt="{html_lib.escape(label)}"')
            pos = m.end()
        else:
            heading = _plain(m.group(0)).rstrip("¶").strip() or heading
    out.append(body[pos:])
    return "".join(out)


#: Content-Security-Policy of the index page: no script at all, nothing remote. (``frame-ancestors``
#: is left out: browsers ignore it in a <meta> element and say so in the console.)
CSP_INDEX = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
             "form-action 'none'")

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.DOTALL | re.IGNORECASE)
_SRCDOC = re.compile(r"""\bsrcdoc\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_EXTERNAL_SRC = re.compile(r"\bsrc\s*=", re.IGNORECASE)


def _script_hashes(page: str, depth: int = 0) -> set[str]:
    """``'sha256-...'`` of every inline script of ``page`` and of its ``srcdoc`` frames."""
    import base64
    import hashlib

    found = set()
    for m in _SCRIPT.finditer(page):
        if _EXTERNAL_SRC.search(m.group(1)):
            continue  # external scripts are not allowed at all (no source is listed)
        text = m.group(2).replace("\r\n", "\n").replace("\r", "\n")  # as the HTML parser sees it
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        found.add("'sha256-" + base64.b64encode(digest).decode("ascii") + "'")
    if depth < 3:
        for m in _SRCDOC.finditer(page):
            found |= _script_hashes(html_lib.unescape(m.group(1) or m.group(2) or ""), depth + 1)
    return found


def content_security_policy(page: str) -> str:
    """The Content-Security-Policy of a section page.

    Scripts: only the inline scripts present in the exported page and its map frames, by
    SHA-256 hash (CSP level 2); with hashes listed, browsers ignore ``'unsafe-inline'`` for
    scripts, so inline event handlers (``onerror=``, ``onload=``) never run and no script can be
    fetched. Styles may be inline (pandas and Leaflet set them); images only from ``data:`` and
    ``blob:``; fonts from ``data:``; no connections, forms, plugins or base URL. Map frames
    (``srcdoc``) inherit the policy.
    """
    hashes = " ".join(sorted(_script_hashes(page))) or "'none'"
    return (f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; "
            "img-src data: blob:; font-src data:; connect-src 'none'; media-src 'none'; "
            "object-src 'none'; frame-src 'self' blob: data:; child-src 'self' blob: data:; "
            "worker-src 'none'; base-uri 'none'; form-action 'none'")


def add_csp(page: str, policy: str | None = None) -> str:
    """``page`` with a ``<meta http-equiv="Content-Security-Policy">`` first in ``<head>``."""
    policy = content_security_policy(page) if policy is None else policy
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html_lib.escape(policy)}">'
    m = re.search(r"<head[^>]*>", page, re.IGNORECASE)
    if m is None:
        return meta + page
    return page[:m.end()] + "\n" + meta + page[m.end():]


#: A table cell holding nothing but a missing or infinite number as Python/pandas print it.
_RESIDUAL_CELL = re.compile(
    r"(<td\b[^>]*>)\s*(?:nan|NaN|-?inf|-?Inf|None|NaT|&lt;NA&gt;|<NA>)\s*(</td>)")
#: A table cell holding one number in scientific notation (``2.34e-12``).
_SCIENTIFIC_CELL = re.compile(r"(<td\b[^>]*>)\s*(-?\d+(?:\.\d+)?[eE][-+]?\d+)\s*(</td>)")


def tidy_table_cells(html: str) -> str:
    """Residual ``nan``/``inf``/``None`` table cells as "–", scientific notation as a plain number.

    A last safety net for policy tables not shown through
    :func:`workbench.sections.format.policy_table`; only whole ``<td>`` contents are changed,
    never text inside a sentence.
    """
    from workbench.formatting import MISSING, format_number

    html = _RESIDUAL_CELL.sub(lambda m: m.group(1) + MISSING + m.group(2), html)
    return _SCIENTIFIC_CELL.sub(
        lambda m: m.group(1) + html_lib.escape(format_number(float(m.group(2)), 3)) + m.group(3), html)


_SECTION_HEADING = re.compile(r"^\s{0,3}#{2,4}\s+\S")


def drop_empty_sections(nb: nbformat.NotebookNode) -> int:
    """Remove section headings whose section printed nothing (in place).

    A markdown cell that opens with a heading (``##`` to ``####``) and is followed by one or
    more code cells (up to the next markdown cell), none of which has an output, is dropped:
    a section without data then leaves no empty heading behind, and the page's one notice (the
    notebook's opening cell says what data would fill the skipped sections) stands for all of
    them. Headings followed by text only (methods) are kept.

    Returns
    -------
    int
        Headings removed.
    """
    cells, keep, n, i = nb.cells, [], 0, 0
    while i < len(cells):
        cell = cells[i]
        j = i + 1
        while j < len(cells) and cells[j].cell_type != "markdown":
            j += 1
        code = [c for c in cells[i + 1:j] if c.cell_type == "code"]
        if (cell.cell_type == "markdown" and _SECTION_HEADING.match(cell.source or "") and code
                and not any(c.get("outputs") for c in code)):
            n += 1
        else:
            keep.append(cell)
        i += 1
    nb.cells = keep
    return n


def _is_workbench_map(out) -> bool:
    meta = out.get("metadata", {}).get("text/html", {})
    return isinstance(meta, dict) and bool(meta.get("workbench_map"))


def inert_outputs(nb: nbformat.NotebookNode) -> int:
    """Make every code-cell output inert (in place): no HTML or links from data can render.

    ``text/markdown`` outputs become ``text/html`` rendered without raw HTML, links or images
    (:func:`workbench.escape.render_markdown`); ``text/html`` outputs other than the workbench's
    maps (:class:`workbench.maps.offline.OfflineMap`, marked in the output's metadata) are
    sanitized (:func:`workbench.escape.sanitize_html`); ``application/javascript`` outputs are
    dropped. Markdown *cells* (the notebook's own text) are left as written.

    Returns
    -------
    int
        Outputs changed.
    """
    from workbench.escape import render_markdown, sanitize_html

    n = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not data:
                continue
            if "application/javascript" in data:
                del data["application/javascript"]
                n += 1
            if "text/markdown" in data:
                src = data.pop("text/markdown")
                src = src if isinstance(src, str) else "".join(src)
                if "text/html" not in data:
                    data["text/html"] = f'<div class="wb-md">{render_markdown(src)}</div>'
                n += 1
            if "text/html" in data and not _is_workbench_map(out):
                src = data["text/html"]
                src = src if isinstance(src, str) else "".join(src)
                data["text/html"] = tidy_table_cells(sanitize_html(src))
                n += 1
    return n


def export_html(
    notebook: str | Path | nbformat.NotebookNode, title: str, audience: str = "policy"
) -> str:
    """Render an executed notebook as standalone, offline HTML without any code.

    Uses :data:`OFFLINE_TEMPLATE` (nbconvert's ``lab`` template without CDN scripts) with
    ``exclude_input``, ``exclude_input_prompt`` and ``exclude_output_prompt``; markdown, tables,
    figures and interactive (widget / JavaScript) outputs are kept. Every image gets alt text
    (:func:`add_alt_text`).

    Parameters
    ----------
    notebook : path or NotebookNode
        Executed notebook (not modified on disk).
    title : str
        Document title (the browser tab and the page heading metadata).
    audience : {"policy", "research"}, default "policy"
        ``"research"`` puts the restricted-use banner (:func:`research_banner`) at the top of
        the page (:data:`RESEARCH_TEMPLATE`); policy pages carry none.

    Returns
    -------
    str
        The HTML document.
    """
    import copy

    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    if isinstance(notebook, nbformat.NotebookNode):
        nb = copy.deepcopy(notebook)
    else:
        nb = nbformat.read(notebook, 4)
    nb.metadata["title"] = title  # nbconvert >= 6 takes the <title> from here
    nb.metadata.pop("widgets", None)  # widget state needs the CDN widget manager: not in policy pages
    drop_empty_sections(nb)
    add_alt_text(nb)
    inert_outputs(nb)
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, got {audience!r}")
    template = OFFLINE_TEMPLATE if audience == "policy" else RESEARCH_TEMPLATE
    resources = {"metadata": {"name": title}, "workbench_css": REPORT_CSS}
    if audience == "research":
        resources["workbench_banner"] = research_banner()
    exporter = HTMLExporter(
        template_name="lab",
        template_file="workbench_offline.html.j2",
        extra_loaders=[DictLoader({"workbench_offline.html.j2": template})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return add_csp(_fill_default_alt(body))
