"""Text from data or parameters made inert wherever it lands: HTML, Markdown, tables, maps.

Every name that comes from a file (areas, places, providers, agencies, patrol units), the report
title, the data set's name and notebook parameters may hold ``<script>``, event handlers,
Markdown links or spreadsheet formulas. The helpers here are the one place that escapes them:

- :func:`html_text`: HTML-escape (``& < > " '``) for element text and attribute values;
- :func:`md_text`: for text inserted into Markdown: every ASCII punctuation character that
  Markdown gives a meaning to is backslash-escaped (no link, image, emphasis, heading, list or
  code can come out of it) and ``& < >`` are HTML-escaped (no raw HTML); line breaks become
  spaces;
- :func:`render_markdown`: Markdown to HTML with raw HTML escaped and links, images and
  autolinks switched off (mistune, the renderer nbconvert uses), for text built from data;
- :class:`Markdown`: a drop-in for :class:`IPython.display.Markdown` in the report notebooks
  whose output is :func:`render_markdown` (``text/html``), never raw Markdown;
- :func:`escape_frame`: a copy of a table with every text cell, column and index label
  HTML-escaped, for tables shown through a pandas ``Styler`` (which does not escape);
- :func:`sanitize_html`: the export's last line of defence: an HTML fragment with every tag
  and attribute outside a small allow-list escaped (so it shows as text) or dropped.
"""

from __future__ import annotations

import html as _html
import string
from typing import Any

__all__ = [
    "Markdown",
    "escape_frame",
    "html_text",
    "md_text",
    "render_markdown",
    "sanitize_html",
]

#: ASCII punctuation Markdown may interpret; ``& < >`` are HTML-escaped instead.
_MD_SPECIAL = "".join(c for c in string.punctuation if c not in "&<>")
_MD_TABLE = str.maketrans({c: "\\" + c for c in _MD_SPECIAL})


def html_text(value: Any) -> str:
    """``str(value)`` HTML-escaped (quotes included): safe as element text and attribute value."""
    return _html.escape(str(value), quote=True)


def md_text(value: Any) -> str:
    """``str(value)`` safe inside Markdown: literal text, no markup, no HTML, one line.

    Examples
    --------
    >>> md_text("[x](javascript:alert(1)) <b>")
    '\\\\[x\\\\]\\\\(javascript\\\\:alert\\\\(1\\\\)\\\\) &lt;b&gt;'
    """
    text = " ".join(str(value).split())
    return _html.escape(text.translate(_MD_TABLE), quote=False)


_RENDERER = None


def render_markdown(text: str) -> str:
    """Markdown to HTML without raw HTML (escaped), links, images or autolinks (shown as text)."""
    global _RENDERER
    if _RENDERER is None:
        import mistune

        # no raw-HTML rules: tags are plain text (escaped by the text renderer), while entities
        # such as &lt; (from md_text) stay entities; no link, autolink or reference rules
        md = mistune.create_markdown(escape=False, plugins=["strikethrough", "table"])
        for rule in ("link", "auto_link", "auto_email", "inline_html"):
            if rule in md.inline.rules:
                md.inline.rules.remove(rule)
        for rule in ("ref_link", "raw_html"):
            if rule in md.block.rules:
                md.block.rules.remove(rule)
        _RENDERER = md
    return str(_RENDERER(str(text)))


class Markdown:
    """Display Markdown built from data safely (drop-in for ``IPython.display.Markdown``).

    The output is ``text/html`` from :func:`render_markdown` (raw HTML shown as text, no links),
    plus the Markdown source as ``text/plain``.

    Parameters
    ----------
    data : str
        Markdown text (headings, emphasis, lists, code and tables work; links and HTML do not).
    """

    def __init__(self, data: str = ""):
        self.data = str(data)

    def _repr_html_(self) -> str:
        return f'<div class="wb-md">{render_markdown(self.data)}</div>'

    def __repr__(self) -> str:
        return self.data


def escape_frame(df):
    """A copy of ``df`` with text cells, column labels and index labels HTML-escaped.

    For tables displayed through ``df.style`` (a pandas ``Styler`` writes cell text as raw
    HTML unless ``escape="html"`` is given to every ``format`` call).
    """
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype) or isinstance(s.dtype, pd.CategoricalDtype):
            out[col] = s.map(lambda v: html_text(v) if isinstance(v, str) else v)

    def labels(index):
        if isinstance(index, pd.MultiIndex):
            return index.set_levels([lv.map(lambda v: html_text(v) if isinstance(v, str) else v)
                                     for lv in index.levels])
        return index.map(lambda v: html_text(v) if isinstance(v, str) else v)

    out.columns = labels(out.columns)
    out.index = labels(out.index)
    return out


# -- the export's allow-list ------------------------------------------------------------------
#: Tags an output may contain (tables, text structure); anything else is shown as text.
ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details",
    "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "li", "ol", "p", "pre", "s", "small", "span", "strong", "style", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
})
#: Attributes kept (on any allowed tag); ``on*`` handlers, ``src``, ``srcdoc`` never are.
ALLOWED_ATTRIBUTES = ("class", "id", "style", "colspan", "rowspan", "title", "align", "scope",
                      "role", "aria-label", "aria-hidden", "border", "lang", "dir", "open", "type")


def sanitize_html(fragment: str) -> str:
    """Escape every tag outside :data:`ALLOWED_TAGS`; keep only :data:`ALLOWED_ATTRIBUTES`.

    Uses bleach (html5lib's parser, as browsers parse): ``<script>``, ``<svg onload>``,
    ``<img onerror>``, ``<iframe>`` and the like come out as visible text; links keep only
    ``#fragment`` targets. CSS in ``style`` attributes is kept as written (remote loads are
    blocked by the page's Content-Security-Policy).
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import bleach

    def attr_ok(tag: str, name: str, value: str) -> bool:
        if name in ALLOWED_ATTRIBUTES:
            return True
        return tag == "a" and name == "href" and value.startswith("#")

    return bleach.clean(escape_cell_markup(fragment), tags=ALLOWED_TAGS, attributes=attr_ok, protocols=[],
                        strip=False, strip_comments=True, css_sanitizer=_PermissiveCSS())


def escape_cell_markup(fragment: str) -> str:
    """Show any markup *inside* table cells (``td``, ``th``, ``caption``) as text.

    pandas ``Styler`` and ``to_html`` write cell text as it is; a table cell never holds markup
    of its own, so a tag there came from data: ``<b>x</b>`` in a provider name is shown as
    ``<b>x</b>``, not bold.
    """
    from html.parser import HTMLParser

    cells = {"td", "th", "caption"}

    class _P(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=False)
            self.out: list[str] = []
            self.depth = 0  # open cells

        def _text(self, raw: str) -> None:
            self.out.append(_html.escape(raw, quote=False))

        def handle_starttag(self, tag, attrs):
            raw = self.get_starttag_text() or ""
            if self.depth and tag not in cells:
                self._text(raw)
            else:
                self.out.append(raw)
                if tag in cells:
                    self.depth += 1

        def handle_startendtag(self, tag, attrs):
            raw = self.get_starttag_text() or ""
            self._text(raw) if self.depth else self.out.append(raw)

        def handle_endtag(self, tag):
            raw = f"</{tag}>"
            if tag in cells and self.depth:
                self.depth -= 1
                self.out.append(raw)
            elif self.depth:
                self._text(raw)
            else:
                self.out.append(raw)

        def handle_data(self, data):
            self._text(data) if self.depth else self.out.append(data)

        def handle_entityref(self, name):
            self.out.append(f"&{name};")

        def handle_charref(self, name):
            self.out.append(f"&#{name};")

        def handle_comment(self, data):
            pass

        def handle_decl(self, decl):
            pass

        def unknown_decl(self, data):
            pass

        def handle_pi(self, data):
            pass

    p = _P()
    p.feed(fragment)
    p.close()
    return "".join(p.out)


class _PermissiveCSS:
    """Keep ``style`` attributes as written (bleach's allow-list of properties would drop the
    colours and widths pandas Styler and the report use); ``url(`` and ``expression(`` are
    removed, so no attribute style can load anything."""

    def sanitize_css(self, style: str) -> str:
        import re

        return re.sub(r"(?i)(url|expression|image-set|@import)\s*\(", "blocked(", style)
