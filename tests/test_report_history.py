"""Run history: records of published and failed runs, kept summaries, the index's comparison."""

from __future__ import annotations

import json
from datetime import date

import pytest

from workbench.report.guard import write_marker
from workbench.report.history import (
    FAILED_RECORD,
    HISTORY_DIR,
    RUNS_FILE,
    carry_history,
    comparison_summary,
    format_runs,
    list_runs,
    read_history,
    record_failure,
    run_record,
)
from workbench.sections.summary import changes_since


def _summary(shootings: str, finished: str, fingerprint: str = "f" * 64) -> dict:
    return {
        "period": {"start": "2025-01-01T00:00:00-06:00", "end": finished, "prev_start": "", "prev_end": "",
                   "months": 12, "previous_complete": True},
        "min_count": 11, "notes": [],
        "numbers": [{"key": "shootings", "label": "Shootings", "shown": shootings},
                    {"key": "coresponse_coverage", "label": "Co-response coverage", "shown": "40%"}],
        "top_areas": [], "fingerprint": fingerprint, "finished": finished, "run_name": "r",
    }


def _publish(reports, finished: str, shootings: str, keep_runs: int = 10, fingerprint: str = "f" * 64):
    """What the runner does on a successful run: staging with carried history, then the swap."""
    import shutil

    target = reports / "r"
    staging = reports / ".r.tmp-1-abc"
    staging.mkdir(parents=True)
    s = _summary(shootings, finished, fingerprint)
    text = json.dumps(s)
    (staging / "summary.json").write_text(text)
    (staging / "index.html").write_text("<html></html>")
    (staging / "notebooks").mkdir()
    carry_history(staging, target, run_record(
        run_name="r", report="r", audience="policy", status="ok", started=finished, finished=finished,
        seconds=12.5, fingerprint=fingerprint, version="1", summary=s, notebooks={"ok": 3.25}), text, keep_runs)
    write_marker(staging, "r", "policy", "1")
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target


@pytest.fixture
def three_runs(tmp_path):
    reports = tmp_path / "reports"
    for finished, n in (("2026-11-01T06:00:00-06:00", "120"), ("2026-11-08T06:00:00-06:00", "130"),
                        ("2026-11-15T06:00:00-06:00", "150")):
        target = _publish(reports, finished, n, keep_runs=2)
    return reports, target


def test_history_keeps_every_record_and_the_last_keep_runs_summaries(three_runs):
    reports, target = three_runs
    recs = read_history(target)
    assert [r["headline"]["shootings"] for r in recs] == ["120", "130", "150"]
    assert recs[-1]["notebooks"] == {"ok": 3.2} and recs[-1]["seconds"] == 12.5
    kept = sorted(p.name for p in (target / HISTORY_DIR).iterdir())
    assert kept == ["20261108T120000Z.summary.json", "20261115T120000Z.summary.json", RUNS_FILE]
    assert recs[0]["summary"] == "" and recs[-1]["summary"] == "20261115T120000Z.summary.json"


def test_comparison_picks_previous_n_back_or_a_date(three_runs):
    reports, target = three_runs
    prev, against, note = comparison_summary(target, "previous")
    assert prev["numbers"][0]["shown"] == "150" and against is None and note is None
    prev, against, note = comparison_summary(target, "2")
    assert prev["numbers"][0]["shown"] == "130" and against == "the run of 2026-11-08 06:00, 2 runs back"
    prev, against, note = comparison_summary(target, date(2026, 11, 10))
    assert prev["numbers"][0]["shown"] == "130" and note is None
    prev, against, note = comparison_summary(target, "2026-11-02")  # that run's summary is no longer kept
    assert prev["numbers"][0]["shown"] == "130" and "no kept run is that old" in note
    prev, against, note = comparison_summary(target, 5)
    assert prev["numbers"][0]["shown"] == "130" and "only 2 earlier runs are kept" in note
    assert comparison_summary(reports / "nothing", "previous") == (None, None, None)
    cur = _summary("170", "2026-11-22T06:00:00-06:00")
    text = changes_since(comparison_summary(target, "2")[0], cur, against="the run of 2026-11-08, 2 runs back")
    assert "The data are unchanged since the run of 2026-11-08, 2 runs back" in text[0]
    assert "Shootings: 170 now, 130 in the run of 2026-11-08, 2 runs back." in text


def test_failed_runs_are_recorded_under_failed_and_listed(three_runs):
    reports, target = three_runs
    before = sorted(p.name for p in target.rglob("*"))
    rec = run_record(run_name="r", report="r", audience="policy", status="failed",
                     started="2026-11-22T06:00:00-06:00", finished="2026-11-22T06:01:00-06:00", seconds=60,
                     fingerprint="a" * 64, notebook="03_response", error="NotebookError")
    path = record_failure(target, "r", rec)
    assert path.parent.parent == reports / "_failed" and path.name == FAILED_RECORD
    assert sorted(p.name for p in target.rglob("*")) == before  # the published report untouched
    runs = list_runs(reports)
    assert [r["status"] for r in runs] == ["failed", "ok", "ok", "ok"]
    table = format_runs(runs)
    lines = table.splitlines()
    assert lines[0].split()[:5] == ["report", "finished", "status", "seconds", "data"]
    assert "notebook 03_response (NotebookError)" in lines[1] and "aaaaaaaaaaaa" in lines[1]
    assert "150" in lines[2] and "40%" in lines[2] and "120" in lines[4]
    assert list_runs(reports, "other") == []
    with pytest.raises(ValueError, match="not a report folder name"):
        list_runs(reports, "../r")


def test_history_copies_only_its_own_files_and_only_from_workbench_reports(tmp_path):
    reports = tmp_path / "reports"
    target = _publish(reports, "2026-11-01T06:00:00-06:00", "120")
    hist = target / HISTORY_DIR
    (hist / "notes.txt").write_text("someone's own file")
    (tmp_path / "secret.json").write_text("{}")
    (hist / "20990101T000000Z.summary.json").symlink_to(tmp_path / "secret.json")
    target = _publish(reports, "2026-11-08T06:00:00-06:00", "130")
    names = sorted(p.name for p in (target / HISTORY_DIR).iterdir())
    assert "notes.txt" not in names and "20990101T000000Z.summary.json" not in names
    assert len(read_history(target)) == 2
    # a folder the workbench did not make: its history is not read
    foreign = tmp_path / "foreign"
    (foreign / HISTORY_DIR).mkdir(parents=True)
    (foreign / HISTORY_DIR / RUNS_FILE).write_text(json.dumps({"status": "ok"}) + "\n")
    staging = tmp_path / "staging"
    staging.mkdir()
    carry_history(staging, foreign, {"finished": "2026-11-01T00:00:00+00:00", "status": "ok"}, None)
    assert len(read_history(staging)) == 1


def test_report_from_before_histories_is_listed_and_seeds_the_history(tmp_path):
    reports = tmp_path / "reports"
    old = reports / "r"
    (old / "notebooks").mkdir(parents=True)
    (old / "index.html").write_text("old")
    (old / "summary.json").write_text(json.dumps(_summary("99", "2026-10-01T06:00:00-05:00")))
    write_marker(old, "r", "policy", "0.9")
    (recs,) = [read_history(old)]
    assert len(recs) == 1 and recs[0]["headline"]["shootings"] == "99"
    target = _publish(reports, "2026-11-01T06:00:00-06:00", "120")
    assert [r["headline"]["shootings"] for r in read_history(target)] == ["99", "120"]
    assert comparison_summary(target, "2")[0]["numbers"][0]["shown"] == "99"


def test_parameters_keep_runs_and_compare_with(write_params):
    from workbench.report.params import ParameterError, load_params

    p = load_params(write_params("a", keep_runs=3, compare_with=date(2026, 11, 1)))
    assert p.keep_runs == 3 and p.compare_with == "2026-11-01"
    assert load_params(write_params("b", compare_with=2)).compare_with == "2"
    assert load_params(write_params("c")).compare_with == "previous"
    with pytest.raises(ParameterError, match="only keep_runs=3"):
        load_params(write_params("d", keep_runs=3, compare_with=5))
    with pytest.raises(ParameterError, match="compare_with"):
        load_params(write_params("e", compare_with="last tuesday"))
    with pytest.raises(ParameterError, match="keep_runs"):
        load_params(write_params("f", keep_runs=0))


def test_real_runs_build_a_history_and_a_failed_record(write_params, tmp_path, capsys):
    """Two published runs and one failed run of the same report, listed by ``workbench runs``."""
    from workbench.cli import EXIT_FAILED, EXIT_OK, main

    reports = tmp_path / "reports"
    out = reports / "r"
    params = write_params("r")
    assert main(["report", "--params", str(params), "--out", str(out), "--quiet"]) == EXIT_OK
    assert main(["report", "--params", str(write_params("r", compare_with=1, name="r2.yaml")),
                 "--out", str(out), "--quiet"]) == EXIT_OK
    index = (out / "index.html").read_text()
    assert "What changed since the last run" in index and "The data are unchanged since the previous run" in index
    recs = read_history(out)
    assert len(recs) == 2 and recs[0]["fingerprint"] == recs[1]["fingerprint"] != ""
    assert recs[1]["notebooks"].keys() == {"ok"} and recs[1]["headline"]["shootings"]
    assert len(list((out / HISTORY_DIR).glob("*.summary.json"))) == 2
    before = (out / "index.html").read_bytes()
    failing = write_params("r", notebooks=["fail"], name="r3.yaml")
    assert main(["report", "--params", str(failing), "--out", str(out), "--quiet"]) == EXIT_FAILED
    assert (out / "index.html").read_bytes() == before
    capsys.readouterr()
    assert main(["runs", "--reports", str(reports), "--report", "r", "--json"]) == EXIT_OK
    runs = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in runs] == ["failed", "ok", "ok"]
    assert runs[0]["notebook"] == "fail" and runs[0]["error"] == "NotebookError"
    kept = runs[0]["kept"]
    assert (tmp_path / kept).parent.name == "_failed" and any(p.suffix == ".ipynb" for p in
                                                              (tmp_path / kept).iterdir())


def test_privacy_refusal_is_recorded_with_its_notebook(write_params, tmp_path):
    from workbench.cli import EXIT_PRIVACY, main

    reports = tmp_path / "reports"
    leak = write_params("r", notebooks=["leak"])
    assert main(["report", "--params", str(leak), "--out", str(reports / "r"), "--quiet"]) == EXIT_PRIVACY
    (rec,) = list_runs(reports)
    assert rec["status"] == "privacy" and rec["notebook"] == "leak" and rec["error"] == "PrivacyError"
    assert len(list((reports / "_failed").iterdir())) == 1  # the kept notebook's folder holds the record
    assert not (reports / "r").exists()


def test_index_names_the_run_compared_with_and_escapes_it():
    from workbench.report.index import render_summary

    s = _summary("150", "2026-11-15T06:00:00-06:00")
    page = render_summary(s, ["Shootings: 150 now, 130 in the run of <b>x</b>."], "the run of <b>x</b>, 2 runs back")
    assert "What changed since the run of &lt;b&gt;x&lt;/b&gt;, 2 runs back</h3>" in page
    assert "<b>x</b>" not in page
    assert "What changed since the last run</h3>" in render_summary(s, [])
