"""Real data: near repeats among Philadelphia shootings (skipped when ../shared/data/philadelphia is absent).

Ratcliffe & Rengert (2008) found Philadelphia shootings within about a block and two weeks of a
previous shooting far more common than chance; the Knox table must show that surplus.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from workbench.spatial import KernelDensity, KnoxTest, risk_window

ROOT = Path(__file__).resolve().parents[1]
PHILLY = ROOT.parent / "shared" / "data" / "philadelphia"

pytestmark = [
    pytest.mark.philadelphia,
    pytest.mark.skipif(not PHILLY.exists(), reason=f"Philadelphia data not found at {PHILLY}"),
]


@pytest.fixture(scope="module")
def shootings() -> gpd.GeoDataFrame:
    frames = [gpd.read_file(f) for f in sorted(PHILLY.glob("shootings_*.json"))]
    g = pd.concat(frames, ignore_index=True)
    g = g[g.geometry.notna() & ~g.geometry.is_empty].drop_duplicates("dc_key")
    g = gpd.GeoDataFrame(g, geometry="geometry", crs="EPSG:4326").to_crs("EPSG:32618")
    g["occurred_at"] = pd.to_datetime(g["date"], format="%Y/%m/%d %H:%M:%S").dt.tz_localize(
        "America/New_York", ambiguous="NaT", nonexistent="shift_forward"
    )
    return g[g["occurred_at"].notna()].reset_index(drop=True)


def test_philadelphia_near_repeat_shootings(shootings):
    assert len(shootings) > 10_000
    feet = 0.3048
    knox = KnoxTest(
        spatial_bands=np.arange(7) * 400 * feet,  # 400-ft bands to 2,400 ft
        temporal_bands=[0, 15, 29, 43, 57, 71],  # NRC "0 to 14", "15 to 28", ... days
        permutations=99,
        seed=1,
    ).fit(shootings)
    t = knox.table_
    first_block = t[(t.distance_from_m == 0) & (t.distance_to_m > 0) & (t.days_from == 0)].iloc[0]
    assert first_block.knox_ratio > 1.2 and first_block.p_value == 0.01
    same = t[(t.distance_to_m == 0) & (t.days_from == 0)].iloc[0]
    assert same.knox_ratio > 2 and same.p_value == 0.01
    window = risk_window(knox)
    assert window.raised and 0 < window.radius_m <= 2400 * feet and window.days >= 15


def test_philadelphia_kde_integrates(shootings):
    kd = KernelDensity(bandwidth=300, cell_size=100).fit(shootings)
    assert kd.density_.sum() * kd.cell_area_ == pytest.approx(len(shootings))
