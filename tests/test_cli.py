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


def _subparsers():
    import argparse

    from workbench.cli import _parser

    p = _parser()
    (sub,) = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
    return p, sub.choices


def test_help_shows_exit_codes_and_an_example(capsys):
    import pytest

    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "exit codes:" in out and "examples:" in out and "workbench report --params" in out
    for code in ("0  success", "1  a report", "2  bad parameters", "3  the privacy", "4  another run"):
        assert code in out
    _, commands = _subparsers()
    assert set(commands) >= {"synth", "validate", "report", "runs", "map", "brief", "kernel"}
    for name in commands:
        with pytest.raises(SystemExit):
            main([name, "--help"])
        text = capsys.readouterr().out
        assert "exit codes:" in text, name
        assert "example:" in text or "examples:" in text, name
        assert f"workbench {name}" in text.split("example", 1)[1], name


def test_every_option_says_what_it_means():
    import argparse

    p, commands = _subparsers()
    for name, sp in [("workbench", p), *commands.items()]:
        for a in sp._actions:
            if isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            assert a.help and len(a.help) > 10, (name, a.dest)
    text = commands["report"].format_help()
    assert "(default: 1)" in text and "(default: None)" not in text


def test_validate_checks_notebook_parameter_values(write_params, capsys):
    good = write_params("v", notebook_parameters={"ok": {"label": "hi"}})
    assert main(["validate", "--params", str(good)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Notebook parameters: 1 value(s) checked" in out and "ok.label = 'hi': ok" in out
    bad = write_params("v", notebook_parameters={"ok": {"label": 3}}, name="bad.yaml")
    assert main(["validate", "--params", str(bad)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "ok.label" in err and "must be text" in err


def test_notebook_parameter_findings_name_each_value(write_params):
    from workbench.report.commands import notebook_parameter_findings
    from workbench.report.params import load_params

    p = load_params(write_params("v", notebook_parameters={"ok": {"label": "x"}}))
    assert notebook_parameter_findings(p) == [("ok.label", "'x'", "")]
    p2 = p.model_copy(update={"notebook_parameters": {"ok": {"label": 3, "nope": 1, "title": "t"}}})
    problems = {w: pr for w, _, pr in notebook_parameter_findings(p2)}
    assert "must be text" in problems["ok.label"]
    assert problems["ok.nope"] == "not a parameter of this notebook"
    assert problems["ok.title"] == "set by the runner"


def test_runs_lists_history_and_refuses_unsafe_names(tmp_path, capsys):
    import json

    from workbench.report.history import carry_history, run_record

    reports = tmp_path / "reports"
    assert main(["runs", "--reports", str(reports)]) == EXIT_OK
    assert "No recorded runs." in capsys.readouterr().out
    rep = reports / "demo"
    (rep / "notebooks").mkdir(parents=True)
    (rep / "index.html").write_text("x")
    write_marker(rep, "demo", "policy", "1")
    s = {"numbers": [{"key": "shootings", "shown": "<11"}], "period": {"end": "2026-11-30"}}
    carry_history(rep, tmp_path / "none", run_record(
        run_name="demo\x1b[31m", report="demo", audience="policy", status="ok", started="",
        finished="2026-12-01T06:00:00+00:00", seconds=40.04, fingerprint="ab" * 32, summary=s), json.dumps(s))
    assert main(["runs", "--reports", str(reports)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "demo" in out and "<11" in out and "abababababab" in out and "40.0" in out
    assert "\x1b" not in out
    assert main(["runs", "--reports", str(reports), "--report", "demo", "--json"]) == EXIT_OK
    (rec,) = json.loads(capsys.readouterr().out)
    assert rec["headline"] == {"shootings": "<11"} and rec["fingerprint"] == "ab" * 32
    assert main(["runs", "--reports", str(reports), "--report", "../demo"]) == EXIT_BAD_INPUT
    assert "not a report folder name" in capsys.readouterr().err
    assert main(["runs", "--reports", str(reports), "--report", "other"]) == EXIT_BAD_INPUT
    assert "no report folder 'other'" in capsys.readouterr().err
