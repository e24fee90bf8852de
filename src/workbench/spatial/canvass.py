"""Co-responder canvass list: where second responders go after a shooting.

For one shooting, several, or all shootings of a local calendar day, the list holds the areas and the
places inside each exposure zone. Areas come first, ranked by residents exposed (most first, in whole
residents: estimates closer than that are ties), then by
prior exposure (zones that touched the same area in the ``prior_days`` before this shooting, most
first); places follow, ranked by their prior exposure, then by distance to the shooting.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.data.errors import DataError

from .exposure import Exposure, _seconds, _window_counts

COLUMNS = [
    "incident_id",
    "rank",
    "target",
    "target_id",
    "kind",
    "name",
    "residents_exposed",
    "children_exposed",
    "prior_exposures",
    "distance_m",
    "start",
    "end",
]


def _prior(rows: pd.DataFrame, key: str, prior_days: float) -> np.ndarray:
    """Zones touching the same target in [start - prior_days, start), per row."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    codes, _ = pd.factorize(rows[key])
    return _window_counts(codes, _seconds(rows["start"]), -prior_days * 86400.0, 0.0)


def canvass_list(
    exposure: Exposure,
    incident_ids: Any = None,
    *,
    date: Any = None,
    prior_days: float = 365.0,
) -> pd.DataFrame:
    """Ranked areas and places to canvass after a shooting (or all shootings of a day).

    Parameters
    ----------
    exposure : Exposure
        From :func:`~workbench.spatial.exposure_zones`, computed over enough history for the prior
        exposure (at least ``prior_days`` before the shootings of interest).
    incident_ids : str or sequence of str, optional
        The shooting(s). Either this or ``date``.
    date : date-like, optional
        Local calendar date (in the incidents' time zone): all shootings of that day.
    prior_days : float, default 365
        Look-back for prior exposure.

    Returns
    -------
    DataFrame
        ``incident_id``, ``rank`` (1 = first to visit, per shooting), ``target`` ('area' or 'place'),
        ``target_id``, ``kind`` (place kind, 'area' for areas), ``name``, ``residents_exposed``,
        ``children_exposed`` (areas), ``prior_exposures``, ``distance_m`` (places), ``start``, ``end``.
    """
    zones = exposure.zones
    if (incident_ids is None) == (date is None):
        raise ValueError("give either incident_ids or date")
    if date is not None:
        day = pd.Timestamp(date).date()
        chosen = zones.loc[zones["start"].dt.date == day, "incident_id"].to_numpy()
    else:
        chosen = np.atleast_1d(np.asarray(incident_ids, dtype=object)).astype(str)
        unknown = np.setdiff1d(chosen, zones["incident_id"].to_numpy())
        if unknown.size:
            raise DataError.single("incidents", "incident_id", "not among the exposure zones", ids=list(unknown))

    areas = exposure.areas.assign(prior_exposures=_prior(exposure.areas, "area_id", prior_days))
    areas = areas[areas["incident_id"].isin(chosen)]
    areas = areas.assign(_res=areas["residents_exposed"].round(0)).sort_values(
        ["incident_id", "_res", "prior_exposures", "area_id"], ascending=[True, False, False, True]
    )
    area_list = pd.DataFrame(
        {
            "incident_id": areas["incident_id"],
            "target": "area",
            "target_id": areas["area_id"],
            "kind": "area",
            "name": areas["area_id"],
            "residents_exposed": areas["residents_exposed"],
            "children_exposed": areas["children_exposed"],
            "prior_exposures": areas["prior_exposures"],
            "distance_m": np.nan,
            "start": areas["start"],
            "end": areas["end"],
        }
    )
    places = exposure.places
    if len(places):
        places = places.assign(prior_exposures=_prior(places, "place_id", prior_days))
        places = places[places["incident_id"].isin(chosen)]
        places = places.sort_values(
            ["incident_id", "prior_exposures", "distance_m", "place_id"], ascending=[True, False, True, True]
        )
        place_list = pd.DataFrame(
            {
                "incident_id": places["incident_id"],
                "target": "place",
                "target_id": places["place_id"],
                "kind": places["kind"],
                "name": places["name"],
                "residents_exposed": np.nan,
                "children_exposed": np.nan,
                "prior_exposures": places["prior_exposures"],
                "distance_m": places["distance_m"],
                "start": places["start"],
                "end": places["end"],
            }
        )
        frames = [f for f in (area_list, place_list) if len(f)]
        out = pd.concat(frames, ignore_index=True) if frames else area_list
    else:
        out = area_list.reset_index(drop=True)
    out["_areas_first"] = (out["target"] == "place").astype(int)
    out = out.sort_values(["incident_id", "_areas_first"], kind="stable").drop(columns="_areas_first")
    out["rank"] = out.groupby("incident_id").cumcount() + 1
    return out[COLUMNS].reset_index(drop=True)
