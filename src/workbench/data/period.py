"""The incidents of a period: the one rule for ``start <= occurred_at < end`` in the data's zone.

The ground floor's period filter, shared by every page and analysis that takes a ``start`` and an
``end`` parameter (the data overview, places, who is shot): bounds are read with
:func:`workbench.data.local_timestamp` (naive dates in the dataset's time zone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .timestamps import local_timestamp

if TYPE_CHECKING:  # pragma: no cover
    from .dataset import Dataset

__all__ = ["incidents_in_period"]


def incidents_in_period(
    dataset: Dataset, start: str | pd.Timestamp | None = None, end: str | pd.Timestamp | None = None
) -> pd.DataFrame:
    """Incidents with ``start <= occurred_at < end`` (bounds in the dataset's time zone).

    Parameters
    ----------
    dataset : Dataset
        Needs ``incidents`` (``occurred_at`` tz-aware).
    start, end : str or Timestamp, optional
        Period bounds (inclusive start, exclusive end); naive values are read in
        ``dataset.timezone`` (:func:`workbench.data.local_timestamp`). ``None`` = open.

    Returns
    -------
    DataFrame
        The matching rows of ``incidents`` (original index kept).
    """
    inc = dataset["incidents"]
    t = inc["occurred_at"].dt.tz_convert(dataset.timezone)
    keep = np.ones(len(inc), dtype=bool)
    lo, hi = local_timestamp(start, dataset.timezone), local_timestamp(end, dataset.timezone)
    if lo is not None:
        keep &= (t >= lo).to_numpy()
    if hi is not None:
        keep &= (t < hi).to_numpy()
    return inc.loc[keep]
