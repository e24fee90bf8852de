"""Parameter files: every problem reported at once, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workbench.report import ParameterError, load_params
from workbench.report.params import DEFAULT_NOTEBOOKS_DIR

REPO = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, data: dict) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


def _good(**over) -> dict:
    d = {"run_name": "demo", "title": "Demo", "data": {"name": "demo", "source": "../data/demo",
         "timezone": "America/Chicago"}, "notebooks": ["00_data_overview"]}
    d.update(over)
    return d


def test_repo_parameter_files_load_and_resolve_relative_paths():
    p = load_params(REPO / "parameters" / "demo.yaml")
    assert p.run_name == "demo" and p.privacy.min_count == 11
    assert p.data.synthetic.scale == "demo" and p.data.synthetic.seed == 20261125
    assert p.data.source_path(p.base_dir).resolve() == (REPO / "data" / "demo").resolve()
    assert p.notebooks_dir == DEFAULT_NOTEBOOKS_DIR
    assert p.execution.cell_timeout_s == 600
    tiny = load_params(REPO / "parameters" / "tiny.yaml")
    assert tiny.data.synthetic.scale == "tiny"
    research = load_params(REPO / "parameters" / "demo-research.yaml")
    assert research.audience == "research" and research.data == p.data and research.notebooks == p.notebooks
    from workbench.report import default_out

    assert default_out(research).name == "demo-research" and default_out(p).name == "demo"


def test_all_problems_in_one_error(tmp_path):
    bad = _good(
        colour="red",                                   # unknown key
        privacy={"min_count": 0},                       # impossible value
        execution={"cell_timeout_s": "soon"},           # wrong type
        notebooks=["00_data_overview", "99_missing"],   # missing notebook
    )
    bad["data"]["timezone"] = "Mars/Olympus"            # nested (DataSpec) problem
    with pytest.raises(ParameterError) as err:
        load_params(_write(tmp_path, bad))
    locs = dict(err.value.problems)
    assert set(locs) == {"colour", "privacy.min_count", "execution.cell_timeout_s", "notebooks",
                         "data.timezone"}
    msg = str(err.value)
    assert "5 problems" in msg and "99_missing" in msg and "greater than or equal to 1" in msg


def test_unknown_notebook_parameters_and_reserved_names(tmp_path):
    bad = _good(notebook_parameters={"00_data_overview": {"start": "2024-01-01", "colour": 1,
                                                          "min_count": 3},
                                     "not_in_run": {}})
    with pytest.raises(ParameterError) as err:
        load_params(_write(tmp_path, bad))
    (loc, msg), = err.value.problems
    assert loc == "notebook_parameters"
    assert "colour" in msg and "min_count" in msg and "not_in_run" in msg and "start" not in msg.split("known")[0]


def test_timeouts_positive_and_run_name_safe(tmp_path):
    bad = _good(run_name="../escape", execution={"cell_timeout_s": 0, "start_timeout_s": -1})
    with pytest.raises(ParameterError) as err:
        load_params(_write(tmp_path, bad))
    assert {loc for loc, _ in err.value.problems} == {
        "run_name", "execution.cell_timeout_s", "execution.start_timeout_s"}


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ParameterError, match="file not found"):
        load_params(tmp_path / "nope.yaml")
    p = tmp_path / "bad.yaml"
    p.write_text("run_name: [unclosed\n")
    with pytest.raises(ParameterError, match="not valid YAML"):
        load_params(p)
    p.write_text("- a list\n")
    with pytest.raises(ParameterError, match="mapping"):
        load_params(p)


def test_parameters_for_injects_runner_values(tmp_path):
    p = load_params(_write(tmp_path, _good(notebook_parameters={"00_data_overview": {"start": "2024-01-01"}})))
    got = p.parameters_for("00_data_overview", "/x/data")
    assert got == {"data_dir": "/x/data", "run_name": "demo", "title": "Demo", "min_count": 11,
                   "start": "2024-01-01"}


def test_rendered_parameters_mask_salts_and_passwords(tmp_path):
    from workbench.report.index import rendered_parameters

    d = _good()
    d["data"]["source"] = "postgresql://analyst:hunter2@db.example/city"
    d["data"]["tables"] = {"people": {"sql": "select * from victims", "person_ids": {
        "column": "person_id", "key": ["case_no"], "salt": "s3cret-salt", "length": 16}}}
    text = rendered_parameters(load_params(_write(tmp_path, d)))
    assert "hunter2" not in text and "s3cret-salt" not in text
    assert "salt: '***'" in text and "analyst:***@db.example" in text
    assert "min_count: 11" in text and "00_data_overview" in text


def test_summary_months_default_range_and_messages(tmp_path):
    assert load_params(_write(tmp_path, _good())).summary_months == 12
    assert load_params(_write(tmp_path, _good(summary_months=6))).summary_months == 6
    assert load_params(_write(tmp_path, _good(summary_months=60))).summary_months == 60
    for bad, words in ((0, "greater than or equal to 1"), (61, "less than or equal to 60"),
                       (6.5, "valid integer"), ("a year", "valid integer")):
        with pytest.raises(ParameterError) as err:
            load_params(_write(tmp_path, _good(summary_months=bad)))
        assert [loc for loc, _ in err.value.problems] == ["summary_months"]
        assert "- summary_months: " in str(err.value) and words in str(err.value), bad
    # not a notebook parameter: the runner uses it for the index page only
    p = load_params(_write(tmp_path, _good(summary_months=6)))
    assert "summary_months" not in p.parameters_for("00_data_overview", "/x/data")
