"""HTML export for policy readers: outputs only, no code, no prompts, nothing fetched online.

nbconvert's ``lab`` template loads require.js, MathJax, MermaidJS and (for widget state) the
Jupyter widgets manager from CDNs. :data:`OFFLINE_TEMPLATE` extends ``lab`` and empties those
blocks, so a report page opens on a machine without network access; it also adds the report's
shared style sheet (:data:`REPORT_CSS`, print rules included) and alt text
on every image: the image's ``alt`` metadata when a notebook sets one, else the nearest preceding
heading ("Chart: <heading>").

Research reports (``audience="research"``) use :data:`RESEARCH_TEMPLATE`, the same template
with :func:`research_banner` at the top of the page; policy pages are exactly as before.
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
    "OFFLINE_TEMPLATE",
    "PALETTE",
    "REPORT_CSS",
    "RESEARCH_BANNER",
    "RESEARCH_TEMPLATE",
    "add_alt_text",
    "export_html",
    "research_banner",
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
table{border-collapse:collapse}
.jp-RenderedHTMLCommon table td,.jp-RenderedHTMLCommon table th{padding:.25rem .6rem}
img{max-width:100%;height:auto}
@media print{
  @page{size:A4;margin:15mm 12mm}
  body{font-size:10.5pt;color:#000}
  body.jp-Notebook main{max-width:none;padding:0}
  a{color:#000;text-decoration:underline}
  h1,h2,h3,h4{break-after:avoid;page-break-after:avoid}
  img,svg,figure,table,tr,.jp-RenderedImage,.wb-card{break-inside:avoid;page-break-inside:avoid}
  iframe{break-inside:avoid;page-break-inside:avoid;max-width:100%}
  .jp-OutputArea-output{overflow:visible!important}
  .jp-RenderedHTMLCommon table{font-size:7.5pt;max-width:100%}
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
    add_alt_text(nb)
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
    return _fill_default_alt(body)
