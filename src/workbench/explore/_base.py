"""Shared machinery of the explorers: controls wired to :meth:`Explorer.update`, rendering helpers.

Figures are rendered to PNG bytes in :class:`ipywidgets.Image` widgets and tables to HTML in
:class:`ipywidgets.HTML` widgets, so what a user sees is also plain widget state (tests read it
without a kernel); notes and errors go to an :class:`ipywidgets.Output` area.
"""

from __future__ import annotations

import html
import io
import traceback
import warnings
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

__all__ = ["Explorer", "figure_png", "readings_html", "table_html", "check_value"]


def check_value(name: str, widget: widgets.Widget, value: Any) -> None:
    """Refuse a value that the control cannot take, instead of letting the widget clamp it.

    ipywidgets silently clamps a slider's value into ``[min, max]`` and ignores nothing else, so
    ``explorer.set(zone_radius_m=-5)`` would quietly analyse 100 m. This raises instead.

    Raises
    ------
    ValueError
        A number outside the control's ``[min, max]``, not a number for a numeric control, or an
        option that a selection control does not offer; the message names the control and the
        allowed values.
    """
    lo, hi = getattr(widget, "min", None), getattr(widget, "max", None)
    if lo is not None and hi is not None and not isinstance(widget, widgets.DatePicker):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{name} must be a number from {lo} to {hi}, not {value!r}")
        if not np.isfinite(value) or value < lo or value > hi:
            raise ValueError(f"{name} = {value!r} is impossible here: choose a value from {lo} to {hi}")
        return
    options = getattr(widget, "options", None)
    if options is not None:
        labels = [o[0] if isinstance(o, tuple) else o for o in options]
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        chosen = value if isinstance(widget, widgets.SelectMultiple) else (value,)
        bad = [v for v in chosen if v not in values and v not in labels]
        if bad:
            raise ValueError(f"{name}: {bad!r} not among the choices {values!r}")


def figure_png(fig: Any, dpi: int = 80) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it (figures are never left open)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=dpi)
    finally:
        plt.close(fig)
    return buf.getvalue()


def table_html(df: pd.DataFrame | None, precision: int = 3, max_rows: int = 40, caption: str = "") -> str:
    """A small HTML table (index hidden) with an optional caption; empty text for no table."""
    if df is None:
        return ""
    cap = f"<p><b>{html.escape(caption)}</b></p>" if caption else ""
    if not len(df):
        return cap + "<p><i>No rows.</i></p>"
    body = df.head(max_rows).to_html(index=False, float_format=lambda v: f"{v:.{precision}f}",
                                     na_rep="-", border=0, classes="workbench-explore")
    more = f"<p><i>{len(df) - max_rows} more rows not shown.</i></p>" if len(df) > max_rows else ""
    return cap + body + more


def readings_html(lines: Any) -> str:
    """A section's readings as the report shows them: a bullet list rendered from Markdown.

    Same rule as :func:`workbench.sections.page.say` (plain sentences, duplicates and empty ones
    dropped) through :func:`workbench.escape.render_markdown` (no raw HTML, no links), so text
    from data stays text."""
    from ..escape import render_markdown

    lines = [str(s) for s in dict.fromkeys(lines) if str(s).strip()]
    return render_markdown("\n".join(f"- {s}" for s in lines)) if lines else ""


class Explorer:
    """Base class: named controls, output widgets, ``result`` and an observer per control.

    Subclasses fill :attr:`controls` (name -> widget) and :attr:`outputs` (name -> widget), then
    call :meth:`_wire`; :meth:`_compute` gathers the control values, calls the analysis API and
    returns the new :attr:`result`; :meth:`_render` puts it into the output widgets.

    Attributes
    ----------
    controls : dict of str to ipywidgets.Widget
        The input widgets by name (set ``.value`` to change a setting; the explorer updates).
    outputs : dict of str to ipywidgets.Widget
        Image, HTML and Output widgets showing the result.
    result : dict
        The latest computed objects and tables (what the outputs show).
    widget : ipywidgets.Box
        Controls above outputs, ready to display.
    log : ipywidgets.Output
        The traceback of the last failed update (empty after a successful one).
    n_updates : int
        Number of completed updates (each recomputation adds one).
    plots : bool
        Draw the figures (False: tables and maps only, faster).
    """

    title = "Explorer"

    def __init__(self, plots: bool = True) -> None:
        self.plots = bool(plots)
        self.controls: dict[str, widgets.Widget] = {}
        self.outputs: dict[str, widgets.Widget] = {}
        self.result: dict[str, Any] = {}
        self.n_updates = 0
        self.log = widgets.Output()
        self.status = widgets.HTML()
        self._hold = False

    # -- wiring ---------------------------------------------------------------------------
    def _wire(self) -> None:
        for w in self.controls.values():
            w.observe(self._on_change, names="value")
        ctl = widgets.VBox([widgets.HTML(f"<h3>{html.escape(self.title)}</h3>"),
                            *self._control_rows(), self.status])
        self.widget = widgets.VBox([ctl, *self._output_layout(), self.log])

    def _control_rows(self) -> list[widgets.Widget]:
        return list(self.controls.values())

    def _output_layout(self) -> list[widgets.Widget]:
        return list(self.outputs.values())

    def _on_change(self, change: Mapping[str, Any]) -> None:
        if not self._hold:
            self.update()

    def set(self, **values: Any) -> Explorer:
        """Set several controls at once and update once (``explorer.set(zone_radius_m=600)``)."""
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise KeyError(f"unknown controls {unknown}; available: {sorted(self.controls)}")
        try:
            for k, v in values.items():
                check_value(k, self.controls[k], v)
            self._check({**self.values, **values})
        except ValueError as exc:
            # refused before any control changes: the message goes to the widget, the values stay
            self._refuse(exc)
            return self
        self._hold = True
        try:
            for k, v in values.items():
                self.controls[k].value = v
        finally:
            self._hold = False
        self.update()
        return self

    @property
    def values(self) -> dict[str, Any]:
        """Current control values by name."""
        return {k: w.value for k, w in self.controls.items()}

    def _png(self, plot: Any, *args: Any, **kwargs: Any) -> bytes:
        """PNG of ``plot(*args, **kwargs)`` (empty when :attr:`plots` is off)."""
        return figure_png(plot(*args, **kwargs)) if self.plots else b""

    def _refuse(self, exc: Exception) -> None:
        self.result = {"error": exc}
        self.status.value = f"<span style='color:#b00'>Not applied: {html.escape(str(exc))}</span>"

    # -- update ---------------------------------------------------------------------------
    def update(self) -> dict[str, Any]:
        """Recompute from the current control values and redraw; returns :attr:`result`.

        Warnings raised by the analyses are not hidden: they are collected into
        ``result['warnings']`` (one line each) and listed under the controls.
        """
        self.status.value = "<i>updating...</i>"
        try:
            self._check(self.values)
        except ValueError as exc:  # an impossible combination set in the widget: a message, no traceback
            self.result = {"error": exc}
            self.status.value = f"<span style='color:#b00'>Cannot show this: {html.escape(str(exc))}</span>"
            self.log.outputs = ()
            self.n_updates += 1
            return self.result
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self.result = self._compute(self.values)
                self._render(self.result)
            messages = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught
                                          if not issubclass(w.category, DeprecationWarning)))
            self.result["warnings"] = messages
            self.status.value = ("" if not messages else "<ul style='color:#8a5a00'>" + "".join(
                f"<li>{html.escape(m)}</li>" for m in messages) + "</ul>")
            self.log.outputs = ()
        except Exception as exc:  # noqa: BLE001 - shown to the user, kept in result for tests
            self.result = {"error": exc}
            self.status.value = f"<span style='color:#b00'>Could not update: {html.escape(str(exc))}</span>"
            self.log.outputs = ()
            self.log.append_stderr("".join(traceback.format_exception(exc)))
        self.n_updates += 1
        return self.result

    def _check(self, values: dict[str, Any]) -> None:
        """Refuse an impossible combination of control values (``ValueError`` with the message
        the widget shows; nothing is computed). Each control's own range is checked by
        :func:`check_value`; this is for rules across controls (an empty period...)."""

    def _compute(self, values: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _render(self, result: dict[str, Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- display --------------------------------------------------------------------------
    def display(self) -> None:
        """Show the explorer in the notebook."""
        from IPython.display import display

        display(self.widget)

    def _ipython_display_(self) -> None:
        self.display()
