"""Patrol tracks (GPS / AVL pings) to contract ``patrols`` rows by area.

A *track* has one row per ping: ``patrol_id``, ``unit``, ``lon``, ``lat`` (WGS84),
``recorded_at`` (tz-aware) and optionally ``activity`` (default ``patrol``). Each ping gets the
area it falls in (point in polygon). Consecutive ``patrol`` pings of one patrol in the same
area form one row that starts at the first ping and ends at the first ping of the next segment
of the same patrol (or at the segment's last ping when it is the patrol's last). Pings with
another activity (``stop``, ``arrest``, ``community_engagement``) become one event row each.
Pings outside every area are dropped and counted in ``attrs['dropped_outside']``.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from workbench.data.errors import DataError

TRACK_COLUMNS = ("patrol_id", "unit", "lon", "lat", "recorded_at")


def patrols_from_track(track: pd.DataFrame, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Turn a track of points into contract ``patrols`` rows.

    Parameters
    ----------
    track : DataFrame
        ``patrol_id``, ``unit``, ``lon``, ``lat``, ``recorded_at`` (tz-aware), optional
        ``activity``.
    areas : GeoDataFrame
        ``area_id`` and polygons (any CRS).

    Returns
    -------
    DataFrame
        Contract ``patrols`` columns; ``patrol_id`` is ``<patrol_id>-<segment number>``.
    """
    missing = [c for c in TRACK_COLUMNS if c not in track.columns]
    if missing:
        raise DataError.single("track", missing[0], f"missing column(s) {', '.join(missing)}")
    if not isinstance(track["recorded_at"].dtype, pd.DatetimeTZDtype):
        raise DataError.single("track", "recorded_at", "timestamps have no time zone")
    t = track.copy()
    t["activity"] = t["activity"] if "activity" in t else "patrol"
    pts = gpd.GeoDataFrame({"row": np.arange(len(t))},
                           geometry=gpd.points_from_xy(t["lon"], t["lat"]), crs="EPSG:4326")
    j = gpd.sjoin(pts, areas[["area_id", "geometry"]].to_crs("EPSG:4326"), how="inner",
                  predicate="within").drop_duplicates("row")
    area = np.full(len(t), None, dtype=object)
    area[j["row"].to_numpy()] = j["area_id"].to_numpy()
    t["area_id"] = area
    dropped = int(t["area_id"].isna().sum())
    t = t[t["area_id"].notna()].sort_values(["patrol_id", "recorded_at"], kind="stable").reset_index(drop=True)

    ev = t[t["activity"] != "patrol"]
    p = t[t["activity"] == "patrol"].reset_index(drop=True)
    pid = p["patrol_id"].to_numpy()
    new = np.ones(len(p), bool)
    new[1:] = (pid[1:] != pid[:-1]) | (p["area_id"].to_numpy()[1:] != p["area_id"].to_numpy()[:-1])
    seg = np.cumsum(new) - 1
    g = p.groupby(seg)
    rows = g.agg(patrol=("patrol_id", "first"), unit=("unit", "first"), area_id=("area_id", "first"),
                 started_at=("recorded_at", "first"), last=("recorded_at", "last"))
    nxt = rows["started_at"].shift(-1)
    same = rows["patrol"].shift(-1) == rows["patrol"]
    rows["ended_at"] = nxt.where(same, rows["last"])
    rows["n"] = rows.groupby("patrol").cumcount() + 1
    out = pd.DataFrame({
        "patrol_id": rows["patrol"].astype(str) + "-" + rows["n"].astype(str),
        "unit": rows["unit"], "area_id": rows["area_id"].astype(str),
        "started_at": rows["started_at"], "ended_at": rows["ended_at"], "activity": "patrol",
    })
    if len(ev):
        k = ev.groupby("patrol_id").cumcount() + 1
        out = pd.concat([out, pd.DataFrame({
            "patrol_id": ev["patrol_id"].astype(str) + "-e" + k.astype(str), "unit": ev["unit"],
            "area_id": ev["area_id"].astype(str), "started_at": ev["recorded_at"],
            "ended_at": pd.Series(pd.NaT, index=ev.index, dtype=ev["recorded_at"].dtype),
            "activity": ev["activity"]})], ignore_index=True)
    out = out.sort_values("started_at", kind="stable").reset_index(drop=True)
    out.attrs["dropped_outside"] = dropped
    return out
