"""The runner regenerates a synthetic folder made by another scale, seed or generator version."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from workbench.report import ensure_synthetic, load_params
from workbench.synth import GENERATOR_VERSION, synthetic_meta


def _params(tmp_path, source):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({
        "run_name": "refresh", "title": "refresh",
        "data": {"name": "tiny", "source": str(source), "timezone": "America/Chicago",
                 "synthetic": {"scale": "tiny", "seed": 20261125}},
        "notebooks": ["00_data_overview"],
    }))
    return load_params(path)


@pytest.fixture
def copied_city(tiny_city, tmp_path):
    folder = tmp_path / "city"
    shutil.copytree(tiny_city, folder)
    return folder


def test_folder_from_this_generator_is_reused(copied_city, tmp_path):
    meta = json.loads((copied_city / "dataset.json").read_text())
    assert meta["synthetic"] == synthetic_meta("tiny", 20261125)
    assert meta["synthetic"]["generator"] == GENERATOR_VERSION
    assert ensure_synthetic(_params(tmp_path, copied_city)) is None


def test_folder_from_an_older_generator_is_regenerated(copied_city, tmp_path):
    meta_file = copied_city / "dataset.json"
    meta = json.loads(meta_file.read_text())
    meta["synthetic"]["generator"] = GENERATOR_VERSION - 1
    meta_file.write_text(json.dumps(meta))
    (copied_city / "incidents.parquet").write_bytes(b"stale")

    assert ensure_synthetic(_params(tmp_path, copied_city)) == copied_city.resolve()
    fresh = json.loads(meta_file.read_text())
    assert fresh["synthetic"]["generator"] == GENERATOR_VERSION
    assert (copied_city / "incidents.parquet").read_bytes()[:4] == b"PAR1"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".city")]  # no stale or temp left


def test_folder_without_a_synthetic_record_is_never_touched(copied_city, tmp_path):
    meta_file = copied_city / "dataset.json"
    meta = json.loads(meta_file.read_text())
    del meta["synthetic"]
    meta_file.write_text(json.dumps(meta))
    before = {p.name: p.stat().st_mtime_ns for p in copied_city.iterdir()}
    assert ensure_synthetic(_params(tmp_path, copied_city)) is None
    assert {p.name: p.stat().st_mtime_ns for p in copied_city.iterdir()} == before
