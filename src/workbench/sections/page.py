"""What a report notebook uses to put a section on its page: tables, readings, notices, cautions.

The one home of the page helpers that notebooks 00-06 used to write for themselves (a ``show()``
helper per notebook, a ``warnings.catch_warnings`` block per fit). Computation stays in the
section modules (:mod:`workbench.sections`); these functions only display what a section returned.

- :func:`show` -- a table with its counts suppressed through :mod:`workbench.privacy` and its
  footnote, or an :class:`~workbench.sections.Item` (table and readings);
- :func:`show_item` -- one item of a section: its table, its readings and footnotes, or why it
  is missing;
- :func:`say` -- plain sentences as a bullet list; :func:`notice` -- one italic line;
- :func:`cautions` -- a context manager that puts the workbench's typed warnings
  (:class:`~workbench.StatisticalWarning`, :class:`~workbench.ConvergenceWarning`) raised inside it
  on the page, once each, and leaves every other warning to Python's filters;
- :func:`data_end_notice` -- the "Data through ..." line every page opens with.

Text from data is inert: Markdown goes through :class:`workbench.escape.Markdown` (no HTML, no
links) and tables through :func:`workbench.formatting.policy_table` or
:func:`workbench.escape.escape_frame`.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pandas as pd

from workbench._warnings import StatisticalWarning
from workbench.escape import Markdown, escape_frame
from workbench.formatting import policy_table
from workbench.privacy import suppress_counts

from ._common import Item

__all__ = ["cautions", "data_end_notice", "notice", "say", "show", "show_item"]


def _display(obj: Any) -> None:
    from IPython.display import display

    display(obj)


def show(
    table: pd.DataFrame | Item,
    counts: Sequence[str] | None = (),
    *,
    min_count: int = 11,
    precision: int = 2,
    note: bool = True,
    shares: Iterable[str] = (),
    total: str | None = None,
) -> None:
    """Display a table as a policy page shows it.

    Parameters
    ----------
    table : DataFrame or Item
        A table of counts and figures, or a section item (its table is already privacy-applied;
        its readings are shown below it as a bullet list).
    counts : sequence of str, optional
        Count columns of ``table`` to suppress (``1 .. min_count - 1`` hidden,
        :func:`workbench.privacy.suppress_counts`); ``()`` (default) suppresses nothing,
        ``None`` every numeric column.
    min_count : int, default 11
        The privacy threshold of the report.
    precision : int, default 2
        Decimals of non-integer numbers.
    note : bool, default True
        Print the suppression footnote under the table (when ``counts`` were suppressed).
    shares : iterable of str
        Columns holding shares 0..1, shown as percentages.
    total : str, optional
        Row-total column, for complementary suppression.
    """
    if isinstance(table, Item):
        if len(table.table.columns):
            _display(escape_frame(table.table).style.hide(axis="index"))
        say(table.readings)
        return
    if counts == ():
        _display(policy_table(table, precision=precision, shares=shares))
        return
    shown, footnote = suppress_counts(table, counts, min_count, total=total)
    _display(policy_table(shown, precision=precision, shares=shares))
    if note and footnote:
        notice(footnote)


def show_item(item: Item, notes: Iterable[str] = (), *, lead: bool = False, precision: int = 2,
              unavailable: bool = True) -> None:
    """Display one item of a section: its table (display-ready), its readings and ``notes``.

    Parameters
    ----------
    item : Item
        A section's item; its table is already privacy-applied.
    notes : iterable of str
        Footnotes printed in italics under the readings.
    lead : bool, default False
        Print the item's title as a lead-in line first.
    precision : int, default 2
        Decimals of non-integer numbers in the table.
    unavailable : bool, default True
        For an item without data, print its readings (why it is missing) as a notice; ``False``
        prints nothing (the page's opening already said what is missing).
    """
    if not item.available:
        if unavailable:
            notice(" ".join(item.readings))
        return
    if lead:
        say(f"{item.title}:")
    if len(item.table.columns):
        show(item.table, precision=precision)
    say(item.readings)
    for note in notes:
        notice(note)


def say(lines: str | Iterable[str]) -> None:
    """Display plain sentences (already privacy-applied) as a bullet list; one sentence as a paragraph."""
    if isinstance(lines, str):
        _display(Markdown(lines))
        return
    lines = [str(s) for s in dict.fromkeys(lines) if str(s).strip()]
    if lines:
        _display(Markdown("\n".join(f"- {s}" for s in lines)))


def notice(text: str) -> None:
    """Display one line in italics (a caution, a footnote, what a section could not estimate)."""
    if str(text).strip():
        _display(Markdown(f"*{str(text).strip()}*"))


@contextlib.contextmanager
def cautions(source: str) -> Iterator[list[str]]:
    """Put the workbench's typed warnings raised inside the block on the page.

    Every :class:`~workbench.StatisticalWarning` (and its subclass
    :class:`~workbench.ConvergenceWarning`) raised inside is shown once, after the block, as
    ``"Caution from <source>: <message>"``; other warnings go on to Python's own filters
    (nothing is silenced). The list of messages shown is yielded, for a page that wants them.

    Examples
    --------
    >>> import warnings
    >>> from workbench import StatisticalWarning
    >>> with cautions("the model") as said:  # doctest: +SKIP
    ...     warnings.warn("few events", StatisticalWarning)
    """
    said: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StatisticalWarning)
        yield said
    for w in caught:
        if issubclass(w.category, StatisticalWarning):
            msg = str(w.message)
            if msg not in said:
                said.append(msg)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    for msg in said:
        notice(f"Caution from {source}: {msg}")


def data_end_notice(dataset: Any) -> Any:
    """Display the page's "Data through ..." line and return the :class:`~workbench.data.DataEnd`
    (``None`` when the incidents carry no times)."""
    from workbench.data import data_end

    end = data_end(dataset)
    notice(end.sentence if end is not None else "No incident times: the data end is unknown.")
    return end
