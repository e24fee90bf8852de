"""Exit codes of ``workbench validate`` and ``workbench report`` (0 ok, 1 failed, 2 bad input, 3 privacy)."""

from __future__ import annotations

from pathlib import Path


from workbench.cli import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, EXIT_PRIVACY, main
from workbench.report.guard import write_marker


def test_validate_ok_prints_quality_summary(write_params, capsys):
    assert main(["validate", "--params", str(write_params("v"))]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Parameters OK" in out and "Data OK" in out
    assert "incidents" in out and "occurred_at" in out  # the data-quality table


def test_validate_bad_parameters_lists_every_problem(tmp_path, capsys):
    p = tmp_path / "bad.yaml"
    p.write_text("run_name: x\ntitle: x\ndata: {source: nowhere}\nprivacy: {min_count: -1}\nfoo: 1\n")
    assert main(["validate", "--params", str(p)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "privacy.min_count" in err and "foo" in err


def test_report_bad_parameters_and_bad_data_write_nothing(write_params, tmp_path, capsys):
    out = tmp_path / "reports" / "r"
    bad = write_params("r", privacy={"min_count": 0}, name="bad.yaml")
    assert main(["report", "--params", str(bad), "--out", str(out), "--quiet"]) == EXIT_BAD_INPUT
    nodata = write_params("r", data={"name": "x", "source": str(tmp_path / "missing"),
                                     "timezone": "America/Chicago"}, name="nodata.yaml")
    assert main(["report", "--params", str(nodata), "--out", str(out), "--quiet"]) == EXIT_BAD_INPUT
    assert "source folder not found" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()


def test_report_failing_notebook_exits_1_and_names_cell(write_params, tmp_path, capsys):
    out = tmp_path / "reports" / "r"
    code = main(["report", "--params", str(write_params("r", notebooks=["fail"])), "--out", str(out), "--quiet"])
    assert code == EXIT_FAILED
    err = capsys.readouterr().err
    assert "Notebook fail failed in cell" in err and "raise ValueError" in err and "_failed" in err
    assert not out.exists()
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["_failed"]


def test_report_privacy_leak_exits_3_and_publishes_nothing(write_params, tmp_path, capsys, tiny_dataset):
    out = tmp_path / "reports" / "r"
    out.mkdir(parents=True)
    (out / "index.html").write_text("last good")
    write_marker(out, "r", "policy", "0")
    code = main(["report", "--params", str(write_params("r", notebooks=["leak"])), "--out", str(out), "--quiet"])
    assert code == EXIT_PRIVACY
    err = capsys.readouterr().err
    first = str(tiny_dataset["people"]["person_id"].iloc[0])
    assert "Privacy scan refused leak.html" in err and first in err
    assert (out / "index.html").read_text() == "last good"
    assert sorted(p.name for p in out.parent.iterdir()) == ["_failed", "r"]


def test_report_ok_prints_index_path(write_params, tmp_path, capsys):
    out = tmp_path / "reports" / "r"
    assert main(["report", "--params", str(write_params("r")), "--out", str(out), "--quiet"]) == EXIT_OK
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(out / "index.html")


def test_batch_without_matches_is_bad_input(tmp_path, capsys):
    assert main(["report", "--batch", str(tmp_path / "*.yaml"), "--quiet"]) == EXIT_BAD_INPUT
    assert "no parameter file matches" in capsys.readouterr().out


def test_kernel_install_names_this_interpreter(capsys):
    import json
    import sys

    from workbench.report.kernel import kernel_spec_dir

    assert main(["kernel", "--install"]) == EXIT_OK
    assert capsys.readouterr().out.strip() == "workbench"
    spec = json.loads((kernel_spec_dir() / "kernel.json").read_text())
    assert Path(spec["argv"][0]).resolve() == Path(sys.executable).resolve()
