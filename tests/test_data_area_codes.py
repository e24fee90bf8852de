"""Areas given as codes without polygons (a precinct per incident): accepted as area ids for
tables and rates; maps, exposure zones and Gi* by area say plainly that they skip."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from workbench.cli import main
from workbench.data import (
    DataError,
    Dataset,
    area_codes_only,
    has_area_shapes,
    incident_area_ids,
    load_dataset,
    validate,
)
from workbench.data.propose import propose_mapping
from workbench.synth.exports import write_exports


@pytest.fixture(scope="module")
def precinct(synthetic_tiny, tmp_path_factory) -> tuple[Path, Dataset, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("precinct")
    path = write_exports(synthetic_tiny.dataset, folder, shapes=("precinct_codes",))["precinct_codes"]
    assert main(["map", str(path), "--out", str(folder / "p.yaml")]) == 0
    return path, load_dataset(folder / "p.yaml"), pd.read_parquet(path)


def test_proposal_maps_the_precinct_as_area_codes(precinct):
    path, _, _ = precinct
    p = propose_mapping(path)
    assert p.data["tables"]["incidents"]["columns"]["area_id"] == "precinct"
    areas = p.data["tables"]["areas"]
    assert areas["columns"] == {"area_id": "precinct"} and areas["dedupe"] == {"key": ["area_id"]}
    assert any(n.startswith("precinct:") and "without polygons" in n and "area codes" in n for n in p.notes)


def test_areas_without_polygons_validate_and_keep_the_codes(precinct, tmp_path):
    _, ds, raw = precinct
    areas = ds["areas"]
    assert not isinstance(areas, gpd.GeoDataFrame) and "geometry" not in areas.columns
    assert sorted(areas["area_id"]) == sorted(raw["precinct"].unique()) and len(areas) == 22
    assert area_codes_only(ds) and not has_area_shapes(ds)
    got = incident_area_ids(ds).to_numpy()
    assert (got == ds["incidents"]["area_id"].to_numpy()).all()
    truth = raw.set_index("event_id")["precinct"]
    assert (ds["incidents"]["area_id"].to_numpy() == truth.loc[ds["incidents"]["incident_id"]].to_numpy()).all()
    back = Dataset.from_folder(ds.to_folder(tmp_path / "c"))
    assert not isinstance(back["areas"], gpd.GeoDataFrame) and area_codes_only(back)
    validate(back)  # a contract folder of codes validates too
    bad = back["incidents"].copy()
    bad.loc[bad.index[0], "area_id"] = "P99"
    with pytest.raises(DataError, match="refers to area_id not in areas"):
        validate(Dataset(tables={**back.tables, "incidents": bad}, timezone=back.timezone, crs=back.crs))


def test_tables_and_rates_by_area_use_the_codes(precinct):
    from workbench import response
    from workbench.sections import overview, places
    from workbench.sections.summary import summarize

    _, ds, raw = precinct
    counts = ds["incidents"]["area_id"].value_counts()
    r = overview.area_rates(ds, min_count=11).set_index("area_id")
    assert (r["incidents"] == counts.reindex(r.index).fillna(0)).all() and r["area_km2"].isna().all()
    assert r.attrs["rate_unit"] == "" and r.attrs["outside_areas"] == 0
    assert (response.incident_areas(ds).to_numpy() == ds["incidents"]["area_id"].to_numpy()).all()
    s = summarize(ds, min_count=3, months=12)  # the tiny city: 173 incidents over 22 precincts
    shots = ds["incidents"][ds["incidents"]["kind"].isin(["fatal_shooting", "nonfatal_shooting"])]
    in_p = (shots["occurred_at"] > s.period.start) & (shots["occurred_at"] <= s.period.end)
    want = shots[in_p]["area_id"].value_counts()
    top = s.top_areas.set_index("area_id")["shootings"]
    assert len(top) and (top == want.reindex(top.index)).all()
    assert "without boundaries" in s.number("people_exposed").note
    res = places.analyze_places(ds, permutations=19, cell_m=500)
    assert res.exposure is None and res.gi is not None
    assert any("without boundaries" in n for n in res.notes)
    ranked = places.ranked_areas(res, ds["areas"], 11)
    assert set(ranked["area_id"]) <= set(counts.index) and ranked["measure"].eq("incidents").all()
    assert ranked["value"].is_monotonic_decreasing


def test_geometry_parts_skip_with_a_sentence(precinct):
    from workbench.maps import places_map
    from workbench.sections.brief import brief
    from workbench.sections.now import data_end, emerging_item, now_shootings

    _, ds, _ = precinct
    shots = now_shootings(ds)
    assert (shots["area_id"].to_numpy() == ds["incidents"].set_index("incident_id")["area_id"]
            .loc[shots["incident_id"]].to_numpy()).all()
    em = emerging_item(ds, shots, data_end(ds), long_days=28, n_steps=6, min_count=11)
    assert not em.available and "without boundaries" in em.readings[0]
    b = brief(ds, shots["occurred_at"].max().normalize(), days=7)
    assert any("without boundaries" in n for n in b.notes)
    m = places_map(ds.points("incidents"), areas=ds["areas"], cell_m=500)  # no outlines, no crash
    assert "Incidents per 500 m cell" in m.get_root().render()


@pytest.mark.slow
def test_report_on_precinct_codes_says_what_it_skips(precinct, tmp_path):
    """The precinct export through ``workbench report``: the overview shows a table by precinct
    instead of the map, the places page ranks precincts and says what it skips."""
    import yaml

    from conftest import html_text
    from workbench.report import run_report

    path, ds, _ = precinct
    doc = yaml.safe_load((path.parent.parent / "p.yaml").read_text())
    doc["data"]["source"] = str(path.parent)
    doc.update(run_name="precinct", notebooks=["00_data_overview", "01_places"])
    params = tmp_path / "precinct.yaml"
    params.write_text(yaml.safe_dump(doc))
    result = run_report(params, out=tmp_path / "report", progress=False)
    assert all(r.status == "ok" for r in result.notebooks)
    def text(path: Path) -> str:
        return " ".join(html_text(path.read_text()).split())

    overview_text = text(tmp_path / "report" / "00_data_overview.html")
    assert "The map by area: skipped, because these data give areas as codes without boundaries" in overview_text
    assert "P01" in overview_text or "P02" in overview_text  # the table by precinct code
    places_text = text(tmp_path / "report" / "01_places.html")
    assert "Emerging hot spots by area (the hot spot statistic compares neighbouring areas): skipped" in places_text
    assert "Data through 2024-12-31" in places_text
    index = text(result.index)
    assert "Data through 2024-12-31" in index
