"""Scale presets of the synthetic city.

A :class:`Scale` fixes the size of the city (residents, areas, radius), the observation period
and the calibration targets (network size, expected shooting victimizations). The background
rate of the shooting process is solved from ``target_victimizations`` so that the *expected*
count over the period hits the target (see :func:`workbench.synth.hawkes.expected_counts`).

===== ========== ======== ======= ========= ================ ==========================
scale residents  areas    years   radius    network people   expected victimizations
===== ========== ======== ======= ========= ================ ==========================
tiny  6,000      16       1       2.5 km    330  (5.5%)      110
demo  300,000    ~150     5       7 km      15,900 (5.3%)    1,750
city  2,700,000  ~800     8       15 km     140,000 (5.2%)   12,000
===== ========== ======== ======= ========= ================ ==========================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd


@dataclass(frozen=True)
class Scale:
    """Size, period and calibration targets of one synthetic city.

    Parameters
    ----------
    name : str
        Preset name (``"tiny"``, ``"demo"``, ``"city"``).
    residents : int
        Total population over all areas (persons).
    n_areas : int
        Number of areas (Voronoi cells of a jittered grid, clipped to the city outline).
    radius_km : float
        Mean radius of the city outline (km).
    start : str
        First day of the observation period (local date, ISO format).
    years : int
        Length of the observation period (calendar years).
    network_people : int
        People with at least one arrest (the co-arrest network), about 5% of residents.
    target_victimizations : float
        Expected shooting victimizations over the period; the background rate is solved
        from it.
    plant_recent : bool, default False
        Add the planted recent spots of :mod:`workbench.synth.planted` (an emerging spot and a
        near-repeat chain at the end of the period) on top of the simulation.
    """

    name: str
    residents: int
    n_areas: int
    radius_km: float
    start: str
    years: int
    network_people: int
    target_victimizations: float
    plant_recent: bool = False

    @property
    def days(self) -> float:
        """Length of the observation period in days (calendar years from ``start``)."""
        start = pd.Timestamp(self.start)
        return float((start + pd.DateOffset(years=self.years) - start) / pd.Timedelta(days=1))

    def to_dict(self) -> dict:
        """Plain dict (JSON-serializable)."""
        return asdict(self)


#: The presets: ``tiny`` for unit tests, ``demo`` for the demo report, ``city`` (Chicago scale)
#: for benchmarks.
SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 6_000, 16, 2.5, "2024-01-01", 1, 330, 110.0),
    "demo": Scale("demo", 300_000, 150, 7.0, "2020-01-01", 5, 15_900, 1_750.0, plant_recent=True),
    "city": Scale("city", 2_700_000, 800, 15.0, "2017-01-01", 8, 140_000, 12_000.0),
}
