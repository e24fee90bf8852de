"""Area names for readers: the optional ``name`` column of ``areas``, else the area id."""

from __future__ import annotations

import pandas as pd

__all__ = ["area_names"]


def area_names(areas: pd.DataFrame | None) -> pd.Series:
    """Name of every area, indexed by ``area_id``.

    Parameters
    ----------
    areas : DataFrame or None
        The ``areas`` table (``area_id`` and optionally ``name``).

    Returns
    -------
    Series of str
        ``name`` where given and not blank, else the ``area_id`` itself (empty without areas).
    """
    if areas is None or "area_id" not in getattr(areas, "columns", ()):
        return pd.Series(dtype=object)
    ids = areas["area_id"].astype(str)
    if "name" in areas.columns:
        name = areas["name"].astype("string").str.strip()
        name = name.where(name.notna() & (name != ""), ids.astype("string"))
    else:
        name = ids
    return pd.Series(name.astype(str).to_numpy(), index=ids.to_numpy(), name="name", dtype=object)
