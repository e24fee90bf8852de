"""Shared fixtures: a tiny synthetic city, parameter files and small fixture notebooks.

The tiny city comes from :func:`workbench.synth.write_city` (scale ``tiny``); a hand-built
contract folder (:func:`build_small_city`) stands in when the synth package is unavailable.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
PHILADELPHIA = REPO_ROOT.parent / "shared" / "data" / "philadelphia"

# parameter files and cities of the tests live in temporary folders, the real city in a shared
# folder (a symbolic link in a worktree): allowed roots for the paths of parameter files
os.environ["WORKBENCH_ROOTS"] = os.pathsep.join(
    p for p in (os.environ.get("WORKBENCH_ROOTS", ""), tempfile.gettempdir(), str(PHILADELPHIA.resolve())) if p)
SEED = 20261125


def build_small_city(out: Path, seed: int = SEED) -> Path:
    """A small valid contract folder (16 square areas in Chicago, 400 incidents, 60 people)."""
    import geopandas as gpd
    from shapely.geometry import box

    from workbench.data.dataset import Dataset

    rng = np.random.default_rng(seed)
    tz = "America/Chicago"
    x0, y0, d = -87.70, 41.85, 0.01
    cells = [(i, j) for j in range(4) for i in range(4)]
    areas = gpd.GeoDataFrame(
        {
            "area_id": [f"A{k:02d}" for k in range(16)],
            "population": rng.integers(500, 1500, 16).astype("int64"),
        },
        geometry=[box(x0 + i * d, y0 + j * d, x0 + (i + 1) * d, y0 + (j + 1) * d) for i, j in cells],
        crs="EPSG:4326",
    )
    n = 400
    hot = rng.random(n) < 0.6  # most incidents in the south-west corner
    lon = np.where(hot, x0 + rng.random(n) * 2 * d, x0 + rng.random(n) * 4 * d)
    lat = np.where(hot, y0 + rng.random(n) * 2 * d, y0 + rng.random(n) * 4 * d)
    t0 = pd.Timestamp("2024-01-01", tz=tz)
    occurred = (t0 + pd.to_timedelta(np.sort(rng.random(n)) * 365, unit="D")).floor("s")
    kinds = rng.choice(["fatal_shooting", "nonfatal_shooting", "shots_fired"], n, p=[0.1, 0.4, 0.5])
    incidents = pd.DataFrame(
        {"incident_id": [f"I{k:05d}" for k in range(n)], "occurred_at": occurred,
         "lon": lon, "lat": lat, "kind": kinds}
    )
    people = pd.DataFrame(
        {
            "person_id": [f"P{k:06d}" for k in range(60)],
            "birth_year": pd.array(rng.integers(1970, 2008, 60), dtype="Int64"),
            "sex": rng.choice(["male", "female"], 60),
            "race_ethnicity": rng.choice(["black", "hispanic", "white"], 60),
        }
    )
    shot = incidents[incidents["kind"] != "shots_fired"].head(60)
    victimizations = pd.DataFrame(
        {"incident_id": shot["incident_id"].to_numpy(), "person_id": people["person_id"].to_numpy(),
         "fatal": (shot["kind"] == "fatal_shooting").to_numpy()}
    )
    ds = Dataset(
        tables={"areas": areas, "incidents": incidents, "people": people, "victimizations": victimizations},
        timezone=tz, crs="EPSG:32616", name="small",
    )
    return ds.to_folder(out)


@pytest.fixture(scope="session")
def tiny_city(tmp_path_factory) -> Path:
    """Contract folder of the tiny synthetic city (built once per test session)."""
    out = tmp_path_factory.mktemp("city") / "tiny"
    try:
        from workbench.synth import write_city
    except ImportError:
        return build_small_city(out)
    return Path(write_city(scale="tiny", seed=SEED, out=out))


@pytest.fixture(scope="session")
def synthetic_tiny():
    """The tiny synthetic city (:class:`workbench.synth.SyntheticCity`, seed :data:`SEED`), in memory.

    Shared by the session: tests copy a table before changing it.
    """
    from workbench.synth import generate_city

    return generate_city("tiny", SEED)


@pytest.fixture(scope="session")
def synthetic_demo():
    """The demo synthetic city (:class:`workbench.synth.SyntheticCity`, seed :data:`SEED`), in memory.

    Shared by the session: tests copy a table before changing it.
    """
    from workbench.synth import generate_city

    return generate_city("demo", SEED)


@pytest.fixture(scope="session")
def tiny_dataset(tiny_city):
    """The tiny city as a :class:`~workbench.data.Dataset` (unvalidated read)."""
    from workbench.data.dataset import Dataset

    return Dataset.from_folder(tiny_city)


def _nb(cells: list[str], tag_first: bool = True):
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(metadata={"kernelspec": {"name": "workbench", "display_name": "workbench",
                                               "language": "python"}})
    for i, src in enumerate(cells):
        c = new_code_cell(textwrap.dedent(src).strip())
        if i == 0 and tag_first:
            c.metadata["tags"] = ["parameters"]
        nb.cells.append(c)
    return nb


PARAMS_CELL = """
data_dir = None
run_name = "x"
title = "x"
min_count = 11
"""


@pytest.fixture(scope="session")
def fixture_notebooks(tmp_path_factory) -> Path:
    """Folder of small notebooks: ``ok``, ``fail``, ``slow`` and ``leak``."""
    import nbformat

    d = tmp_path_factory.mktemp("notebooks")
    nbs = {
        "ok": [PARAMS_CELL + "label = 'hello'",
               "from workbench.data.dataset import Dataset\nds = Dataset.from_folder(data_dir)",
               "print(f'{label}: {len(ds[\"incidents\"]) >= 0}')",
               "import os\nprint('cwd:', os.path.basename(os.getcwd()))"],
        "fail": [PARAMS_CELL, "x = 1",
                 "raise ValueError('deliberate failure for the test')", "print('never')"],
        "slow": [PARAMS_CELL + "seconds = 60\nmarker = ''",
                 "import pathlib, time\npathlib.Path(marker).write_text('started')\ntime.sleep(seconds)"],
        "leak": [PARAMS_CELL,
                 "from workbench.data.dataset import Dataset\nds = Dataset.from_folder(data_dir)",
                 "print('first person:', ds['people']['person_id'].iloc[0])"],
    }
    for name, cells in nbs.items():
        nbformat.write(_nb(cells), d / f"{name}.ipynb")
    return d


@pytest.fixture
def write_params(tmp_path, tiny_city, fixture_notebooks):
    """Factory: write a parameter file into ``tmp_path`` and return its path."""

    def make(run_name: str = "t", notebooks=("ok",), notebooks_dir=None, name: str | None = None,
             **overrides) -> Path:
        data = {"run_name": run_name, "title": f"Test {run_name}",
                "data": {"name": "tiny", "source": str(tiny_city), "timezone": "America/Chicago"},
                "privacy": {"min_count": 11}, "notebooks": list(notebooks),
                "notebooks_dir": str(notebooks_dir or fixture_notebooks),
                "execution": {"cell_timeout_s": 120}}
        data.update(overrides)
        path = tmp_path / (name or f"{run_name}.yaml")
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return make


def build_once(tmp_path_factory, worker_id: str, name: str, build) -> Path:
    """Run ``build(folder)`` once per test session, however many xdist workers ask for it.

    The first worker to take the lock builds into a folder shared by the session's workers; the
    others wait and reuse it. ``build`` must leave ``folder / "done"`` only when it succeeded.
    """
    import fcntl

    if worker_id == "master":  # no xdist
        folder = tmp_path_factory.mktemp(name)
        build(folder)
        return folder
    folder = tmp_path_factory.getbasetemp().parent / name
    folder.mkdir(exist_ok=True)
    with open(folder.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (folder / "done").is_file():
                build(folder)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder


@pytest.fixture(scope="session")
def philadelphia_report(tmp_path_factory, worker_id) -> Path:
    """The full Philadelphia report (every notebook in parameters/philadelphia.yaml), run once.

    Shared by every test and xdist worker of the session (:func:`build_once`). A report is
    published only when every notebook succeeded, so the folder's existence means all ran ok.

    Returns
    -------
    Path
        The published report folder.
    """
    params = REPO_ROOT / "parameters" / "philadelphia.yaml"
    if not PHILADELPHIA.is_dir():
        pytest.skip(f"no Philadelphia data at {PHILADELPHIA}")
    if not params.is_file():
        pytest.skip("parameters/philadelphia.yaml is absent")
    from workbench.report import load_params, run_report

    def build(folder: Path) -> None:
        result = run_report(load_params(params), out=folder / "philadelphia", progress=False)
        assert all(nb.status == "ok" for nb in result.notebooks), result.notebooks
        (folder / "done").touch()

    return build_once(tmp_path_factory, worker_id, "philadelphia_report", build) / "philadelphia"


def notebook_report_params(tmp_path: Path, source: Path, notebooks: list[str], name: str = "tiny",
                           min_count: int = 11, **notebook_parameters) -> Path:
    """Write a parameter file running ``notebooks`` on the contract folder ``source``.

    Keyword arguments are per-notebook parameter overrides: ``{"02_people": {...}}``.
    """
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({
        "run_name": name, "title": "Tiny city",
        "data": {"name": name, "source": str(source), "timezone": "America/Chicago"},
        "privacy": {"min_count": min_count},
        "notebooks": list(notebooks),
        "notebook_parameters": notebook_parameters,
        "execution": {"cell_timeout_s": 300},
    }))
    return path


def html_text(html: str) -> str:
    """The visible text of an HTML page: scripts, styles and tags removed."""
    import re

    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)
