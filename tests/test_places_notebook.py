"""Notebook 01_places end to end, and the proof that the Knox test finds the synthetic city's truth.

* the notebook runs on the tiny city through the report runner; its HTML has no code, no person id,
  no exact incident, and the map inside it is offline (Leaflet inlined, no external links);
* on the demo city the Knox ratios are raised inside the near-repeat range of ``truth.json``
  (``near_repeat_sigma_m``, ``near_repeat_tau_days``) and not beyond it; a control city generated
  with ``near_repeat_branching=0`` shows no raised band;
* on Philadelphia (skipped when absent) the first block / two weeks cell is raised as published.
"""

from __future__ import annotations

import html as html_lib
import re

import numpy as np
import pytest
import yaml

from workbench.maps import external_references
from workbench.report import run_report
from workbench.report.params import DEFAULT_NOTEBOOKS_DIR, RESERVED_PARAMETERS, notebook_parameter_names
from workbench.spatial import KnoxTest, risk_window

from conftest import PHILADELPHIA, REPO_ROOT
from test_notebooks import _code_free

NOTEBOOK_PARAMETERS = {
    "start", "end", "spatial_bands_m", "temporal_bands_days", "permutations", "zone_radius_m", "zone_days",
    "kde_bandwidth_m", "kde_cell_m", "cell_m", "min_share_shown", "cell_shape", "index_weights", "researcher_mode",
    "knox_time_resolution",
    "basemap",
}
#: script URLs that come from nbconvert's page template, not from the notebook's outputs
TEMPLATE_URLS = ("require.js", "mathjax")


def test_parameters_cell():
    names = notebook_parameter_names(DEFAULT_NOTEBOOKS_DIR / "01_places.ipynb")
    assert names == set(RESERVED_PARAMETERS) | NOTEBOOK_PARAMETERS


def test_notebook_is_calls_and_prose():
    """Under 80 lines of code in all code cells; the analyses run inside ``cautions`` (typed warnings on
    the page); no page computation left in the notebook (it lives in workbench.sections.places)."""
    import json

    nb = json.loads((DEFAULT_NOTEBOOKS_DIR / "01_places.ipynb").read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    lines = [ln for src in code for ln in src.splitlines() if ln.strip()]
    assert len(lines) < 80, len(lines)
    body = "\n".join(code[1:])
    assert "with cautions(" in body and "places_section(" in body.split("with cautions(", 1)[1]
    for computed in ("choose_cell_size", "relabel_bands", "parse_distances", "same_location_pairs", "pd.Timestamp",
                     "enough(", "canvass_list", "[0, 100, 200", "[0, 14, 28", "warnings."):
        assert computed not in "\n".join(code), computed


@pytest.fixture(scope="module")
def places_page(tiny_city, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("places")
    params = tmp / "places.yaml"
    params.write_text(yaml.safe_dump({
        "run_name": "tiny", "title": "Tiny city",
        "data": {"name": "tiny", "source": str(tiny_city), "timezone": "America/Chicago"},
        "notebooks": ["01_places"],
        "notebook_parameters": {"01_places": {"permutations": 99, "kde_cell_m": 100}},
    }))
    result = run_report(params, out=tmp / "reports" / "tiny", progress=False)
    assert [r.status for r in result.notebooks] == ["ok"], result.notebooks
    return (tmp / "reports" / "tiny" / "01_places.html").read_text()


def test_places_notebook_policy_html(places_page, tiny_dataset):
    page = places_page
    _code_free(page)
    for code in ("import matplotlib", "analyze_places", "Dataset.from_folder", "min_count = 11"):
        assert code not in page
    for text in ("Do shootings come in near-repeat chains?", "Map of places", "Areas that need attention first",
                 "Knox ratio", "Not shown in the policy view", " m wide"):
        assert text in page
    assert page.count("<img ") >= 2  # Knox heat table, ranked areas
    # no person id, no incident id
    tokens = set(re.findall(r"[A-Za-z0-9_\-]+", html_lib.unescape(page)))
    assert not tokens & set(tiny_dataset["people"]["person_id"])
    assert not tokens & set(tiny_dataset["incidents"]["incident_id"])
    # the map: one iframe, offline, Leaflet inline
    frames = re.findall(r'<iframe[^>]*?\ssrcdoc="([^"]*)"', page)
    assert len(frames) == 1
    inner = html_lib.unescape(frames[0])
    assert external_references(inner) == [] and 'version="1.9.3"' in inner
    assert "L.tileLayer(" not in inner
    # external scripts of the page itself can only be nbconvert's template ones
    outside = [u for u in external_references(page) if not any(t in u for t in TEMPLATE_URLS)]
    assert outside == []


# -- proof on the synthetic city ------------------------------------------------------------------
BANDS = dict(spatial_bands=(0, 100, 200, 300, 400, 600, 800, 1200), temporal_bands=(0, 7, 14, 28, 56),
             same_location=False, permutations=199, seed=1)


@pytest.fixture(scope="module")
def demo_knox():
    from workbench.synth import generate_city

    out = {}
    for label, kw in (("truth", {}), ("control", {"near_repeat_branching": 0.0})):
        city = generate_city("demo", 7, **kw)
        out[label] = (KnoxTest(**BANDS).fit(city.dataset.points("incidents")), city.truth)
    return out


def _truth_params(truth: dict) -> tuple[float, float, float]:
    def find(d, key):
        if isinstance(d, dict):
            if key in d:
                return d[key]
            for v in d.values():
                r = find(v, key)
                if r is not None:
                    return r
        return None

    return tuple(float(find(truth, k)) for k in ("near_repeat_sigma_m", "near_repeat_tau_days", "near_repeat_branching"))


def test_knox_raised_within_the_truth_range_only(demo_knox):
    knox, truth = demo_knox["truth"]
    sigma, tau, branching = _truth_params(truth)
    assert branching > 0
    t = knox.table_
    inside = t[(t.distance_to_m <= sigma) & (t.days_to <= tau)]
    assert len(inside) and (inside.knox_ratio > 1.5).all() and (inside.p_value <= 0.01).all()
    beyond = t[(t.distance_from_m >= 4 * sigma) & np.isfinite(t.days_to)]
    assert len(beyond) and (beyond.knox_ratio < 1.15).all()
    late = t[(t.days_from >= 8 * tau) & np.isfinite(t.distance_to_m)]  # open band: far in time
    assert (late.knox_ratio < 1.05).all()
    w = risk_window(knox, ratio_threshold=1.2, alpha=0.05)
    assert w.raised and sigma <= w.radius_m <= 3 * sigma and tau <= w.days <= 8 * tau


def test_knox_control_city_without_near_repeats(demo_knox):
    knox, truth = demo_knox["control"]
    assert _truth_params(truth)[2] == 0.0
    t = knox.table_
    sd = knox.simulated_.reshape(len(knox.simulated_), -1).std(axis=0)
    assert (np.abs(t.observed - t.expected) <= 4 * sd + 1).all()  # within test error everywhere
    first = t[(t.distance_to_m == 100) & (t.days_to == 7)].iloc[0]
    assert first.knox_ratio < 1.2 and first.p_value > 0.05
    assert not ((t.knox_ratio > 1.3) & (t.p_value < 0.01)).any()
    assert not risk_window(knox, ratio_threshold=1.2, alpha=0.05).raised


# -- Philadelphia (published comparison, docs/validation.md) --------------------------------------
@pytest.mark.slow
@pytest.mark.philadelphia
@pytest.mark.skipif(not PHILADELPHIA.is_dir(), reason=f"no Philadelphia data at {PHILADELPHIA}")
def test_philadelphia_first_block_two_weeks():
    from workbench.data import load_dataset

    params = REPO_ROOT / "parameters" / "philadelphia.yaml"
    if not params.is_file():
        pytest.skip("parameters/philadelphia.yaml is absent")
    ds = load_dataset(params)
    feet = 0.3048
    knox = KnoxTest(spatial_bands=np.arange(7) * 400 * feet, temporal_bands=(0, 15, 29, 43, 57, 71),
                    permutations=99, seed=1).fit(ds.points("incidents"))
    t = knox.table_
    block = t[(t.distance_from_m == 0) & (t.distance_to_m > 0) & (t.days_from == 0)].iloc[0]
    # Ratcliffe & Rengert (2008): about a third more than expected within one block and two weeks
    assert 1.15 <= block.knox_ratio <= 1.6 and block.p_value == 0.01
    far = t[(t.distance_from_m >= 5 * 400 * feet) & (t.days_from == 0) & np.isfinite(t.distance_to_m)]
    assert (far.knox_ratio < block.knox_ratio).all()
