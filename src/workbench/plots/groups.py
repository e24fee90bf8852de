"""Charts with many groups: keep the largest and lump the rest into one "other" group.

A chart with more than about eight groups cannot give each a distinct colour
(:data:`workbench.plots.palette.MAX_QUALITATIVE`) and is hard to read; :func:`top_groups`
keeps the ``keep`` largest groups (by row count or a weight column) and relabels the rest
``"other (N groups)"`` so bars, violins and lines draw at most ``keep + 1`` groups.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["DEFAULT_KEEP", "top_groups"]

#: Groups kept by default (the eighth colour goes to "other").
DEFAULT_KEEP = 7


def top_groups(df: pd.DataFrame, group: str, weight: str | None = None, keep: int = DEFAULT_KEEP,
               other: str = "other") -> pd.DataFrame:
    """``df`` with all but the ``keep`` largest groups of ``group`` relabelled as one "other" group.

    Parameters
    ----------
    df : DataFrame
        Rows of a chart (one per record or per group).
    group : str
        Column naming the group (provider, service, agency, area, ...).
    weight : str, optional
        Column whose sum ranks the groups; default: the number of rows.
    keep : int, default 7
        Groups kept by name; nothing changes when there are at most ``keep + 1`` groups (lumping
        one group into "other" only hides its name).
    other : str, default "other"
        Label of the lumped group; the number of groups it holds is appended.

    Returns
    -------
    DataFrame
        A copy; ``group`` is text (``str``). Rows are neither dropped nor re-aggregated, so
        counts and sums over the "other" group stay exact.

    Examples
    --------
    >>> d = pd.DataFrame({"g": list("aabbbcdefghij")})
    >>> top_groups(d, "g", keep=2)["g"].value_counts().to_dict()
    {'other (8 groups)': 8, 'b': 3, 'a': 2}
    """
    if keep < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    out = df.copy()
    labels = out[group].astype(str)
    size = (out[weight].groupby(labels).sum() if weight else labels.value_counts())
    size = size.sort_values(ascending=False, kind="stable")
    if len(size) <= keep + 1:
        out[group] = labels
        return out
    kept = set(size.index[:keep])
    n_other = len(size) - keep
    out[group] = labels.where(labels.isin(kept), f"{other} ({n_other} groups)")
    return out
