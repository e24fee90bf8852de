"""workbench.plots.palette: Okabe-Ito colours in every chart, map and page; no tab10 or viridis."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from workbench.plots import palette as pal  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src" / "workbench"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _hex(c) -> str:
    return to_hex(c).upper()


# -- the palette ------------------------------------------------------------------------------
def test_okabe_ito_values_and_order():
    assert pal.OKABE_ITO == ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442",
                             "#000000")
    assert (pal.BLUE, pal.ORANGE, pal.BLUISH_GREEN, pal.VERMILLION) == pal.OKABE_ITO[:4]
    assert (pal.SKY_BLUE, pal.REDDISH_PURPLE, pal.YELLOW, pal.BLACK) == pal.OKABE_ITO[4:]


@pytest.mark.parametrize("n", range(23))
def test_qualitative_colours_are_distinct(n):
    colors = pal.qualitative(n)
    assert len(colors) == n
    assert len({c.upper() for c in colors}) == n  # never a repeat, whatever the case
    assert all(re.fullmatch(r"#[0-9A-F]{6}", c) for c in colors)
    assert colors[:8] == list(pal.OKABE_ITO[:n])


def test_qualitative_fallback_tiers_are_documented_mixes():
    c = pal.qualitative(22)
    assert c[8] == pal.mix(pal.BLUE, "#000000", 0.4) == "#00446B"  # 9th: blue darkened by 40 % black
    assert c[15] == pal.mix(pal.BLUE, "#ffffff", 0.5) == "#80B8D8"  # 16th: blue lightened by 50 % white
    assert pal.BLACK not in c[8:] and "#808080" not in c  # no grey: kept for neutral marks
    assert pal.linestyles(12) == ["-"] * 8 + ["--"] * 4
    assert pal.hatches(17) == [""] * 8 + ["///"] * 7 + ["..."] * 2
    assert len(set(zip(c, pal.linestyles(22)))) == 22
    with pytest.raises(ValueError, match="at most 22"):
        pal.qualitative(23)
    with pytest.raises(ValueError):
        pal.qualitative(-1)


def test_mix_text_colour_and_legibility():
    assert pal.mix("#000000", "#FFFFFF", 0.5) == "#808080"
    assert pal.mix(pal.YELLOW, "#000000", 0.0) == pal.YELLOW
    with pytest.raises(ValueError):
        pal.mix(pal.BLUE, "#fff", 0.5)
    assert pal.text_color_on(pal.BLUE) == "white" and pal.text_color_on(pal.YELLOW) == "black"
    assert pal.legible_on_white(pal.BLUE) == pal.BLUE  # contrast 5.1 on white already
    dark_yellow = pal.legible_on_white(pal.YELLOW)
    assert dark_yellow == pal.mix(pal.YELLOW, "#000000", 0.4)  # the least darkening reaching 3:1
    assert 1.05 / (pal._luminance(dark_yellow) + 0.05) >= 3.0 > 1.05 / (pal._luminance(pal.YELLOW) + 0.05)


def test_colormaps_exist_and_rc_settings():
    from matplotlib import colormaps

    for name in (pal.SEQUENTIAL, pal.DENSITY, pal.COUNTS, pal.RATES, pal.EXPOSURE, pal.DIVERGING):
        assert name in colormaps
    assert pal.SEQUENTIAL == "cividis"
    rc = pal.matplotlib_rc()
    with plt.rc_context(rc):
        _, ax = plt.subplots()
        lines = [ax.plot([0, 1], [i, i])[0] for i in range(3)]
        assert [_hex(ln.get_color()) for ln in lines] == list(pal.OKABE_ITO[:3])
        assert plt.rcParams["image.cmap"] == "cividis"


def test_no_tab10_or_viridis_in_plots_and_maps():
    offenders = []
    for folder in ("plots", "maps"):
        for f in sorted((SRC / folder).glob("*.py")):
            text = f.read_text(encoding="utf-8")
            offenders += [f"{folder}/{f.name}: {w}" for w in ("tab10", "tab20", "viridis") if w in text]
    assert offenders == []


def test_importing_the_palette_maps_and_report_does_not_import_pyplot():
    code = ("import sys, workbench.plots.palette, workbench.maps, workbench.report.export; "
            "import workbench.plots as p; assert p.palette.BLUE; "
            "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_report_css_takes_its_colours_from_the_palette():
    from workbench.report.export import PALETTE, REPORT_CSS

    assert PALETTE is pal.OKABE_ITO
    for var, colour in (("accent", pal.BLUE), ("warn", pal.VERMILLION), ("ok", pal.BLUISH_GREEN)):
        assert f"--wb-{var}:{colour};" in REPORT_CSS or f"--wb-{var}:{colour}}}" in REPORT_CSS


def test_package_names_stay_available_lazily():
    from workbench import plots
    from workbench.plots import response

    assert plots.plot_km is response.plot_km and plots.CLASS_COLORS["support-led"] == pal.DIVERGING_6[5]
    assert set(plots.__all__) >= {"plot_km", "plot_cascade", "palette", "dosage"}
    with pytest.raises(AttributeError):
        plots.plot_nothing  # noqa: B018


# -- charts -----------------------------------------------------------------------------------
def _km(groups: list[str]) -> SimpleNamespace:
    t = np.array([0.0, 10, 20, 40])
    curves = pd.DataFrame([{"group": g, "time": x, "survival": s, "lower": s - 0.05, "upper": min(s + 0.05, 1)}
                           for g in groups for x, s in zip(t, (1.0, 0.8, 0.6, 0.5))])
    at_risk = pd.DataFrame([{"group": g, "time": x, "at_risk": n} for g in groups
                            for x, n in zip(t, (40, 30, 20, 5))])
    return SimpleNamespace(curves=curves, at_risk=at_risk, alpha=0.05)


def test_km_curves_use_okabe_ito_then_styled_tiers():
    from workbench.plots.response import plot_km

    groups = [f"g{i}" for i in range(10)]
    fig = plot_km(_km(groups), min_count=11)
    ax = fig.axes[0]
    steps = [ln for ln in ax.lines if ln.get_label() in groups]
    assert [_hex(ln.get_color()) for ln in steps] == pal.qualitative(10)
    assert [ln.get_linestyle() for ln in steps] == ["-"] * 8 + ["--"] * 2
    # at-risk numbers are written in the curve colour, darkened where it would be faint on white
    yellow_texts = [t for t in fig.axes[1].texts if t.get_text() in ("40", "<11")
                    and _hex(t.get_color()) == pal.legible_on_white(pal.YELLOW)]
    assert len(yellow_texts) == 2


def test_cumulative_incidence_and_single_series_colours():
    from workbench.plots.response import plot_cumulative_incidence, plot_trend

    cif = pd.DataFrame([{"group": "all", "cause": c, "time": x, "cif": p, "lower": np.nan, "upper": np.nan}
                        for c in ("engaged", "declined", "unreachable") for x, p in ((0, 0), (10, 0.2))])
    fig = plot_cumulative_incidence(cif)
    assert [_hex(ln.get_color()) for ln in fig.axes[0].lines] == list(pal.OKABE_ITO[:3])
    trend = pd.DataFrame({"month": pd.period_range("2024-01", periods=4, freq="M").astype(str),
                          "coverage": [0.1, 0.2, 0.3, 0.4]})
    trend.attrs["program_start"] = pd.Timestamp("2024-02-15")
    fig = plot_trend(trend, "coverage", "share", "Coverage", share=True)
    colours = [_hex(ln.get_color()) for ln in fig.axes[0].lines]
    assert colours[0] == pal.BLUE and pal.VERMILLION in colours  # series, program start


def test_people_charts_draw_with_fixed_model_colours():
    from workbench.plots import people as pp

    models = ["demographics", "prior_victimization", "exposure", "contagion", "contagion_demographics",
              "someone_elses_model"]
    summary = pd.DataFrame({"model": models, "share_captured": np.linspace(0.01, 0.06, 6)})
    fig = pp.plot_capture(summary, 0.01)
    bars = sorted(fig.axes[0].patches, key=lambda b: -b.get_y())  # first model on top
    colours = [_hex(b.get_facecolor()) for b in bars]
    assert colours[:5] == list(pal.OKABE_ITO[:5])
    assert colours[5] not in colours[:5] and colours[5] == pal.REDDISH_PURPLE  # unknown model: next unused

    cut = pd.to_datetime(["2024-01-01", "2024-04-01"]).tz_localize("UTC")
    ev = pd.DataFrame([{"model": m, "cutoff": c, "share_captured": 0.05} for m in models[:2] for c in cut])
    fig = pp.plot_capture_over_time(ev)
    assert [_hex(ln.get_color()) for ln in fig.axes[0].lines] == [pal.BLUE, pal.ORANGE]

    cal = pd.DataFrame([{"model": m, "mean_predicted": p, "observed_rate": p * 1.1}
                        for m in ("contagion", "demographics") for p in (0.001, 0.01, 0.05)])
    fig = pp.plot_calibration(cal)
    assert [_hex(ln.get_color()) for ln in fig.axes[0].lines[:2]] == [pal.VERMILLION, pal.BLUE]

    exp = pd.DataFrame({"n_victims_1": [0] * 30 + [1] * 12 + [2] * 3, "n_victims_2": [0] * 20 + [1] * 25})
    fig = pp.plot_exposure_distribution(exp, min_count=11)
    filled = {_hex(b.get_facecolor()) for ax in fig.axes for b in ax.patches}
    assert pal.BLUE in filled and "#FFFFFF" in filled  # small bars drawn empty

    audit = pd.DataFrame({"attribute": ["sex", "sex", "sex"], "group": ["all", "female", "male"],
                          "reliable": [True, True, True], "selection_rate_ratio": [1.0, 0.7, 1.2],
                          "capture_rate_ratio": [1.0, 0.9, 1.1], "false_positive_rate_ratio": [1.0, 1.3, 0.9]})
    fig = pp.plot_audit(audit)
    dots = fig.axes[0].collections
    assert [_hex(c.get_facecolor()[0]) for c in dots] == list(pal.OKABE_ITO[:3])


def test_cascade_nodes_use_cividis_with_readable_labels():
    from matplotlib import colormaps

    from workbench.plots import people as pp

    nodes = pd.DataFrame({"label": ["A", "B", "C"], "day": [0.0, 30.0, 90.0], "generation": [0, 1, 2],
                          "n_shootings": [1, 1, 1]})
    edges = pd.DataFrame({"source": ["A", "B"], "target": ["B", "C"], "delay_days": [30.0, 60.0]})
    fig = pp.plot_cascade(nodes, edges)
    ax = fig.axes[0]
    fills = [_hex(c) for c in ax.collections[0].get_facecolor()]
    assert fills == [_hex(colormaps["cividis"](v)) for v in (0.0, 0.5, 1.0)]
    label_colour = {t.get_text(): _hex(t.get_color()) for t in ax.texts if t.get_text() in ("A", "B", "C")}
    assert label_colour["A"] == "#FFFFFF" and label_colour["C"] == "#000000"  # dark blue / light yellow


def test_places_and_overview_charts():
    from workbench.plots.overview import plot_monthly
    from workbench.plots.places import plot_ranked_areas

    ranked = pd.DataFrame({"area_id": ["A", "B"], "value": [3.0, 2.0], "measure": "incidents per km²"})
    fig = plot_ranked_areas(ranked)
    assert {_hex(b.get_facecolor()) for b in fig.axes[0].patches} == {pal.VERMILLION}
    monthly = pd.DataFrame({"month": ["2024-01", "2024-02"], "total": [20, 30], "hidden": [False, False]})
    fig = plot_monthly(monthly, 11)
    assert _hex(fig.axes[0].lines[0].get_color()) == pal.BLUE


def test_dosage_charts_draw():
    from workbench import dosage
    from workbench.plots import dosage as pdz

    n = 12
    pop = np.full(n, 5000.0)
    shoot = np.array([2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24], float)
    hours = (0.1 + 40 * shoot / pop) * pop
    hours[:3] *= 3.0
    counts = pd.DataFrame({"area_id": [f"A{i}" for i in range(n)], "period": "all", "population": pop,
                           "resident_years": pop, "shootings": shoot, "patrol_hours": hours,
                           "victims": shoot * 3, "coresponder_visits": shoot * 2, "police_contacts": np.nan})
    bal = dosage.balance(counts, n_draws=500)
    fig = pdz.plot_quadrant(bal, 11)
    assert fig.axes
    areas = gpd.GeoDataFrame({"area_id": counts["area_id"]},
                             geometry=[shapely.box(i, 0, i + 1, 1) for i in range(n)], crs="EPSG:32618")
    fig = pdz.plot_balance_map(bal, areas, 11)
    legend = {t.get_text() for t in fig.axes[0].get_legend().get_texts()}
    assert legend <= set(pdz.CLASS_COLORS)
    trends = pd.DataFrame({"group": ["reached"] * 3 + ["not reached"] * 3,
                           "start": list(pd.date_range("2024-01-01", periods=3, freq="QS")) * 2,
                           "count": [20, 25, 30] * 2, "rate": [1.0, 1.2, 1.1, 0.9, 1.0, 1.3]})
    pc = SimpleNamespace(outcome="shootings", program_start=pd.Timestamp("2024-04-01", tz="UTC"))
    fig = pdz.plot_group_trends(trends, pc, 11)
    colours = {ln.get_label(): _hex(ln.get_color()) for ln in fig.axes[0].lines}
    assert colours["reached"] == pal.VERMILLION and colours["not reached"] == pal.BLUE


# -- maps -------------------------------------------------------------------------------------
def test_map_points_and_gi_use_the_palette():
    import folium

    from workbench.maps import GI_COLORS, add_gi, add_incidents, add_places

    pts = gpd.GeoDataFrame(
        {"kind": ["school", "park", "library", "mystery"], "name": list("abcd")},
        geometry=gpd.points_from_xy([-75.16, -75.15, -75.14, -75.13], [39.95] * 4), crs="EPSG:4326")
    inc = gpd.GeoDataFrame(
        {"incident_id": ["i1", "i2", "i3"], "occurred_at": ["2024-01-01"] * 3,
         "kind": ["fatal_shooting", "nonfatal_shooting", "shots_fired"]},
        geometry=gpd.points_from_xy([-75.16, -75.15, -75.14], [39.96] * 3), crs="EPSG:4326")
    cells = gpd.GeoDataFrame({"cls": ["hot spot 99%", "cold spot 95%", "not significant"], "label": ["30", "12", "5"]},
                             geometry=[shapely.box(-75.2 + i / 100, 39.9, -75.19 + i / 100, 39.91) for i in range(3)],
                             crs="EPSG:4326")
    m = folium.Map(location=[39.95, -75.15], zoom_start=12, tiles=None)
    add_places(m, pts)
    add_incidents(m, inc)
    add_gi(m, cells)
    html = m.get_root().render()
    for colour in (pal.BLUE, pal.BLUISH_GREEN, pal.BLACK, pal.VERMILLION, pal.ORANGE, pal.SKY_BLUE,
                   pal.DIVERGING_6[0], pal.DIVERGING_6[4]):
        assert colour in html, colour
    for old in ("#1b9e77", "#66a61e", "#a6761d", "#d62f27", "#984ea3"):  # Dark2, ArcGIS-like, Set1
        assert old not in html
    assert list(GI_COLORS.values()) == list(pal.DIVERGING_6)
