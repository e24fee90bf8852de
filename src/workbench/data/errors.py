"""One error type for every problem with input data.

A :class:`DataError` collects every :class:`Problem` found in a source before anything is
written, and its message names the file or table, the column, how many rows are bad and the
first offending ids, so the person who owns the data can fix it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: How many offending ids a message shows.
MAX_IDS_SHOWN = 5


@dataclass(frozen=True)
class Problem:
    """One problem in one column of one source.

    Parameters
    ----------
    source : str
        File path, SQL table or contract table name the rows came from.
    column : str or None
        Offending column (``None`` for table-level problems such as an empty table).
    message : str
        What is wrong, in words a data owner understands (``"unparseable date"``).
    n_rows : int
        Number of offending rows (0 for table-level problems).
    first_ids : tuple of str
        Ids (or row numbers when the id itself is bad) of the first offending rows.
    hint : str
        The offending values and how to fix them, shown after the row count.
    """

    source: str
    column: str | None
    message: str
    n_rows: int = 0
    first_ids: tuple[str, ...] = field(default_factory=tuple)
    hint: str = ""

    def __str__(self) -> str:
        from workbench.redact import redact

        source = redact(self.source)  # a database URL never shows its password
        where = source if self.column is None else f"{source}, column '{self.column}'"
        text = f"{where}: {redact(self.message)}"
        if self.n_rows:
            text += f" ({self.n_rows} row{'s' if self.n_rows != 1 else ''}"
            if self.first_ids:
                shown = ", ".join(map(str, self.first_ids[:MAX_IDS_SHOWN]))
                more = ", ..." if self.n_rows > len(self.first_ids[:MAX_IDS_SHOWN]) else ""
                text += f"; first: {shown}{more}"
            text += ")"
        if self.hint:
            text += f": {self.hint}"
        return text


class DataError(ValueError):
    """Input data break the contract. Raised before any output is written.

    Parameters
    ----------
    problems : Problem or iterable of Problem
        Everything found wrong; the message lists them all.
    """

    def __init__(self, problems: Problem | Iterable[Problem]):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self._format())

    def _format(self) -> str:
        if len(self.problems) == 1:
            return f"Bad input data: {self.problems[0]}"
        lines = [f"Bad input data ({len(self.problems)} problems):"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)

    @classmethod
    def single(
        cls,
        source: str,
        column: str | None,
        message: str,
        ids: Sequence[object] = (),
        n_rows: int | None = None,
    ) -> "DataError":
        """Build an error with one problem; ``n_rows`` defaults to ``len(ids)``."""
        ids = [str(i) for i in ids]
        return cls(
            Problem(
                source=source,
                column=column,
                message=message,
                n_rows=len(ids) if n_rows is None else n_rows,
                first_ids=tuple(ids[:MAX_IDS_SHOWN]),
            )
        )
