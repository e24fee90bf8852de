"""The report runner keeps only what it needs of a large dataset while the notebooks run."""

from __future__ import annotations

import pytest

from workbench import privacy
from workbench.report.runner import _area_names, _privacy_view
from workbench.synth import generate_city


def test_privacy_view_keeps_no_table_only_the_full_scan_indexes():
    ds = generate_city("tiny", seed=1).dataset
    full = privacy._scan_indexes(ds)
    view = _privacy_view(ds)
    assert view.tables == {} and "incidents" in ds.tables  # the runner holds no row while notebooks run
    assert privacy._scan_indexes(view) is full  # built from every table, not rebuilt from fewer
    pid = str(ds["people"]["person_id"].iloc[0])
    html = f"<p>{pid}</p>"
    with pytest.raises(privacy.PrivacyError):
        privacy.check_export(html, view, where="x.html")
    privacy.check_export(html, view, where="x.html", audience="research")  # ids allowed there
    names = _area_names(ds)  # id -> name, computed in the summary thread from the full tables
    assert len(names) == len(ds["areas"])


def test_response_join_keeps_tz_aware_times_and_does_not_touch_the_input():
    """prepare_response_data no longer copies responses or goes through object Timestamps (2 M rows)."""
    import pandas as pd

    from workbench.response import prepare_response_data

    ds = generate_city("tiny", seed=1).dataset
    before = ds["responses"].copy()
    data = prepare_response_data(ds)
    pd.testing.assert_frame_equal(ds["responses"], before)  # input untouched without the copy
    occ = data.responses["occurred_at"]
    assert str(occ.dtype) == f"datetime64[ns, {ds.timezone}]"
    inc = ds["incidents"].set_index("incident_id")["occurred_at"]
    expect = inc.loc[data.responses["incident_id"]].dt.tz_convert(ds.timezone).to_numpy()
    assert (occ.to_numpy() == expect).all()
