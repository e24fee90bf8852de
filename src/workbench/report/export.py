"""HTML export for policy readers: outputs only, no code, no prompts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import nbformat

__all__ = ["export_html"]


def export_html(notebook: "str | Path | nbformat.NotebookNode", title: str) -> str:
    """Render an executed notebook as standalone HTML without any code.

    Uses nbconvert's ``lab`` template with ``exclude_input``, ``exclude_input_prompt`` and
    ``exclude_output_prompt``; markdown, tables, figures and interactive (widget / JavaScript)
    outputs are kept.

    Parameters
    ----------
    notebook : path or NotebookNode
        Executed notebook.
    title : str
        Document title (the browser tab and the page heading metadata).

    Returns
    -------
    str
        The HTML document.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = notebook if isinstance(notebook, nbformat.NotebookNode) else nbformat.read(notebook, 4)
    nb.metadata["title"] = title  # nbconvert >= 6 takes the <title> from here
    exporter = HTMLExporter(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body
