"""Places explorer: period, exposure-zone radius and duration, map layers.

Controls: ``start``, ``end`` (dates, end exclusive), ``zone_radius_m``, ``zone_days``,
``layers`` (which overlays the map draws) and ``mode`` (policy or researcher map). Outputs:
the folium map (:func:`workbench.maps.places_map`, offline HTML), the ranked areas (table and
chart) and the page's readings on hot and cold spots and exposure. Everything is computed by the
places page's own functions (:mod:`workbench.sections.places`: :func:`analyze_places`,
:func:`map_cells`, :func:`ranked_areas`, :func:`readings`), so the explorer and page 01 cannot
disagree. The analysis is cached per (period, radius, days): switching layers or the map mode only
redraws the map. Distances are shown in the dataset's unit (``Dataset.distance_unit``, m or ft);
the radius control and the parameters stay in meters.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..data import Dataset
from ..data.units import format_distance
from ._base import Explorer, readings_html, table_html

__all__ = ["LAYERS", "PlacesExplorer"]

#: Map overlays the explorer can switch: label -> :class:`~workbench.sections.places.PlacesResult` attribute.
LAYERS: dict[str, str] = {"density": "kde", "hot spots (Gi*)": "gi", "exposure zones": "exposure",
                          "trauma index": "trauma"}


class PlacesExplorer(Explorer):
    """Interactive places analysis on a dataset.

    Parameters
    ----------
    dataset : Dataset
        Needs incidents; areas (and their population) enable zones, ranked areas and the index.
    start, end : date-like, optional
        Initial period, inclusive start and exclusive end (default: the whole data).
    zone_radius_m : float, default 400
        Initial exposure-zone radius, meters (slider 100 to 1,500 m, shown in the dataset's
        distance unit beside it).
    zone_days : int, default 7
        Initial exposure-zone duration, days (slider 1 to 60).
    layers : sequence of str, optional
        Initial overlays (keys of :data:`LAYERS`; default all).
    mode : {'policy', 'researcher'}, default 'policy'
        Map view. Policy: aggregated cells, suppressed counts, the union of the zones.
        Researcher: exact points and one circle per zone (heavy: on the demo city the map
        HTML is about 14 MB and takes seconds to build).
    min_count : int, default 11
        Privacy threshold passed to the analyses.
    permutations : int, default 99
        Knox permutations (fewer than the report's 999, for interactive speed).
    cell_m : float, default 250
        Map aggregation cell and Gi* cell width, meters (the page's ``cell_m``).
    plots : bool, default True
        Draw the ranked-areas chart (False: map and tables only, faster).
    **analysis
        Further keyword arguments of :func:`workbench.sections.places.analyze_places`
        (``kde_bandwidth_m``, ``spatial_bands_m``...).

    Attributes
    ----------
    result : dict
        ``places`` (:class:`~workbench.sections.places.PlacesResult`), ``ranked`` (DataFrame of
        :func:`~workbench.sections.places.ranked_areas`, or None without areas), ``readings``
        (the page's sentences on hot and cold spots and exposure), ``map``
        (:class:`~workbench.maps.OfflineMap`), ``map_html`` (str), ``layers`` (tuple).
    n_analyses : int
        How many times the (cached) analysis actually ran.
    """

    title = "Places: period, exposure zones and map layers"

    def __init__(self, dataset: Dataset, start: Any = None, end: Any = None, *, zone_radius_m: float = 400.0,
                 zone_days: int = 7, layers: tuple[str, ...] | list[str] | None = None,
                 mode: str = "policy", min_count: int = 11, permutations: int = 99,
                 cell_m: float = 250.0, plots: bool = True, **analysis: Any) -> None:
        super().__init__(plots)
        self.unit = getattr(dataset, "distance_unit", "m")
        for name, value, lo, hi in (("zone_radius_m", zone_radius_m, 100, 1500), ("zone_days", zone_days, 1, 60)):
            if not lo <= value <= hi:
                within = (f" meters ({format_distance(lo, self.unit)} to {format_distance(hi, self.unit)})"
                          if name == "zone_radius_m" and self.unit != "m" else "")
                raise ValueError(f"{name} = {value!r} is impossible here: choose a value from {lo} to {hi}{within}")
        if mode not in ("policy", "researcher"):
            raise ValueError(f"mode must be 'policy' or 'researcher', not {mode!r}")
        self.dataset = dataset
        self.min_count = int(min_count)
        self.cell_m = float(cell_m)
        self.analysis = {"permutations": int(permutations), "cell_m": self.cell_m, **analysis}
        self.n_analyses = 0
        self._cache: dict[tuple, Any] = {}
        occ = dataset["incidents"]["occurred_at"]
        first = occ.min().date()
        after_last = occ.max().date() + dt.timedelta(days=1)
        self.controls = {
            "start": widgets.DatePicker(description="from", value=_date(start) or first),
            "end": widgets.DatePicker(description="before", value=_date(end) or after_last),
            "zone_radius_m": widgets.IntSlider(value=int(zone_radius_m), min=100, max=1500, step=50,
                                               description="zone radius", continuous_update=False,
                                               readout=False, style={"description_width": "initial"}),
            "zone_days": widgets.IntSlider(value=int(zone_days), min=1, max=60, step=1,
                                           description="zone days", continuous_update=False,
                                           style={"description_width": "initial"}),
            "layers": widgets.SelectMultiple(options=list(LAYERS), value=tuple(layers or LAYERS),
                                             description="layers", rows=len(LAYERS)),
            "mode": widgets.ToggleButtons(options=["policy", "researcher"], value=mode, description="map"),
        }
        self.outputs = {
            "map": widgets.HTML(layout=widgets.Layout(width="100%")),
            "ranked_chart": widgets.Image(format="png"),
            "ranked_table": widgets.HTML(),
            "notes": widgets.HTML(),
        }
        # the radius in the reader's unit (the slider itself moves in meters, as the parameter)
        self.radius_label = widgets.HTML(format_distance(self.controls["zone_radius_m"].value, self.unit))
        self.controls["zone_radius_m"].observe(self._show_radius, names="value")
        self._wire()
        self.update()

    def _show_radius(self, change: Any) -> None:
        self.radius_label.value = format_distance(float(change["new"]), self.unit)

    def _control_rows(self) -> list[widgets.Widget]:
        c = self.controls
        return [widgets.HBox([c["start"], c["end"]]), widgets.HBox([c["zone_radius_m"], self.radius_label, c["zone_days"]]),
                widgets.HBox([c["layers"], c["mode"]])]

    def _output_layout(self) -> list[widgets.Widget]:
        o = self.outputs
        return [o["map"], widgets.HBox([o["ranked_chart"], o["ranked_table"]]), o["notes"]]

    def analyze(self, start: Any, end: Any, zone_radius_m: float, zone_days: float) -> Any:
        """:func:`workbench.sections.places.analyze_places` for these settings (cached)."""
        from ..sections import places as pl

        key = (str(start), str(end), float(zone_radius_m), float(zone_days))
        if key not in self._cache:
            self._cache[key] = pl.analyze_places(self.dataset, start, end, zone_radius_m=zone_radius_m,
                                                 zone_days=zone_days, min_count=self.min_count, **self.analysis)
            self.n_analyses += 1
        return self._cache[key]

    def _check(self, v: dict[str, Any]) -> None:
        start, end = _iso(v["start"]), _iso(v["end"])
        if start and end and start >= end:
            raise ValueError(f"the period is empty: 'from' {start} is not before 'before' {end}")

    def _compute(self, v: dict[str, Any]) -> dict[str, Any]:
        from ..maps import places_map
        from ..sections import places as pl

        start, end = _iso(v["start"]), _iso(v["end"])
        res = self.analyze(start, end, v["zone_radius_m"], v["zone_days"])
        ds = self.dataset
        ranked = None
        if ds.has("areas") and len(res.incidents):
            ranked = pl.ranked_areas(res, ds["areas"], self.min_count)
        on = {LAYERS[k] for k in v["layers"]}
        layers = {attr: (getattr(res, attr) if attr in on else None) for attr in LAYERS.values()}
        said = pl.readings(res, self.min_count)
        m = None
        if len(res.incidents):
            cells = pl.map_cells(res.incidents, res.cell_m, "hexagon", self.min_count)
            m = places_map(res.incidents, mode=v["mode"], min_count=self.min_count, areas=ds.get("areas"),
                           places=ds.get("places"), cells=cells, cell_m=res.cell_m, distance_unit=self.unit,
                           **layers)
        return {"places": res, "ranked": ranked,
                "readings": said["knox"] + said["hotspots"] + said["exposure"] + said["areas"],
                "map": m, "map_html": m._repr_html_() if m is not None else "",
                "layers": tuple(v["layers"]), "period": (start, end), "n_incidents": len(res.incidents)}

    def _render(self, r: dict[str, Any]) -> None:
        from ..plots import places as pp
        from ..privacy import count_text
        from ..sections import places as pl

        o = self.outputs
        o["map"].value = r["map_html"] or "<p><i>No incidents in this period.</i></p>"
        ranked = r["ranked"]
        if ranked is not None and len(ranked):
            o["ranked_chart"].value = self._png(pp.plot_ranked_areas, ranked)
            o["ranked_table"].value = table_html(pl.ranked_table(ranked), precision=2, caption="Ranked areas")
        else:
            o["ranked_chart"].value = b""
            o["ranked_table"].value = "<p><i>No ranked areas (no areas, or too few incidents).</i></p>"
        notes = [f"{count_text(r['n_incidents'], self.min_count, words=True)} incidents in the period.",
                 *r["readings"], *r["places"].notes]
        o["notes"].value = readings_html(notes)


def _date(value: Any) -> dt.date | None:
    return None if value is None else pd.Timestamp(value).date()


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()
