"""Folder safety, parameter limits and secret redaction (docs/security.md)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
import yaml

from workbench.cli import EXIT_BAD_INPUT, main
from workbench.escape import escape_frame, html_text, md_text, render_markdown, sanitize_html
from workbench.redact import redact
from workbench.report import guard
from workbench.report.params import (
    MAX_PARAMS_BYTES,
    ParameterError,
    check_notebook_value,
    load_params,
    safe_yaml_load,
)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- --out must be a workbench report ----------------------------------------------------------------
def test_out_folder_that_is_not_a_report_is_refused_and_untouched(write_params, tmp_path, capsys):
    out = tmp_path / "thesis"
    (out / "chapters").mkdir(parents=True)
    (out / "chapters" / "one.md").write_text("years of work")
    (out / "index.html").write_text("<p>my own page</p>")
    (out / "notebooks").mkdir()  # looks like a report folder, but the workbench did not make it
    params = write_params("t")
    before = _tree(out)
    parent_before = sorted(p.name for p in tmp_path.iterdir())
    code = main(["report", "--params", str(params), "--out", str(out), "--quiet"])
    assert code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "is not a workbench report" in err and guard.MARKER_FILE in err
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == parent_before  # no lock, no staging


def test_out_that_is_a_file_or_symlink_is_refused(tmp_path):
    f = tmp_path / "report.html"
    f.write_text("x")
    with pytest.raises(guard.FolderError, match="is a file"):
        guard.check_replaceable(f)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(guard.FolderError, match="symbolic link"):
        guard.check_replaceable(tmp_path / "link")


def test_only_marked_or_empty_folders_are_replaceable(tmp_path):
    guard.check_replaceable(tmp_path / "new")  # does not exist
    (tmp_path / "empty").mkdir()
    guard.check_replaceable(tmp_path / "empty")
    marked = tmp_path / "marked"
    marked.mkdir()
    (marked / "index.html").write_text("x")
    guard.write_marker(marked, "marked", "policy", "0")
    guard.check_replaceable(marked)
    assert json.loads((marked / guard.MARKER_FILE).read_text())["workbench"] == "report"
    (marked / guard.MARKER_FILE).write_text('{"workbench": "something else"}')
    with pytest.raises(guard.FolderError):
        guard.check_replaceable(marked)


def test_published_report_carries_the_marker_and_can_be_replaced(write_params, tmp_path):
    from workbench.report import run_report

    out = tmp_path / "reports" / "t"
    out.mkdir(parents=True)  # an empty folder is fine
    first = run_report(write_params("t"), out=out, progress=False)
    assert guard.is_workbench_report(first.out)
    umask = os.umask(0)
    os.umask(umask)
    assert first.out.stat().st_mode & 0o777 == (0o777 & ~umask) | 0o700  # a policy report: as the umask says
    second = run_report(write_params("t"), out=out, progress=False)
    assert second.out == out and guard.is_workbench_report(out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["t"]  # no lock, no staging left


# -- paths in parameter files ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../evil", "sub/01_places", "/etc/passwd", "..", ".hidden"])
def test_notebook_names_are_plain_file_names(write_params, name):
    with pytest.raises(ParameterError, match="not plain names"):
        load_params(write_params("t", notebooks=[name]))


def test_paths_outside_the_allowed_roots_are_refused(write_params, tmp_path, monkeypatch):
    monkeypatch.setenv(guard.ROOTS_ENV, str(tmp_path))  # the parameter file's folder only
    # wherever the checkout is (a clone in /tmp makes /tmp a root): the project as a folder of its own
    monkeypatch.setattr(guard, "_repo_root", lambda: tmp_path / "project")
    monkeypatch.chdir(tmp_path)
    # the fixture notebooks live in another temporary folder: outside the roots too
    with pytest.raises(ParameterError) as err:
        load_params(write_params("t", data={"name": "x", "source": "../" * 12 + "usr/share",
                                            "timezone": "America/Chicago", "study_area": "/etc/hostname"}))
    text = str(err.value)
    assert "3 problems" in text
    for where in ("notebooks_dir", "data.source", "data.study_area"):
        assert f"  - {where}: " in text and "outside the allowed folders" in text
    assert guard.ROOTS_ENV in text  # says how to allow a folder


def test_relative_dotdot_inside_the_roots_is_fine(tmp_path, tiny_city, fixture_notebooks, monkeypatch):
    monkeypatch.setenv(guard.ROOTS_ENV, os.pathsep.join([str(tmp_path), str(tiny_city.parent),
                                                         str(fixture_notebooks)]))
    sub = tmp_path / "parameters"
    sub.mkdir()
    link = tmp_path / "city"
    link.symlink_to(tiny_city)
    p = sub / "p.yaml"
    p.write_text(yaml.safe_dump({"run_name": "t", "title": "t", "notebooks": ["ok"],
                                 "notebooks_dir": str(fixture_notebooks),
                                 "data": {"source": "../city", "timezone": "America/Chicago"}}))
    assert load_params(p).data.source == "../city"


def test_roots_are_checked_after_resolving_links(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "escape").symlink_to("/usr")
    with pytest.raises(guard.FolderError, match="outside the allowed folders"):
        guard.check_within_roots(root / "escape" / "share", [root.resolve()], "data.source")
    assert guard.check_within_roots(root / "a" / ".." / "b", [root.resolve()], "x") == (root / "b").resolve()


# -- YAML limits ------------------------------------------------------------------------------------
LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{c}: &{c} [{', '.join(['*' + p] * 10)}]" for p, c in zip("abcdefgh", "bcdefghi")]
)


def test_alias_bomb_is_refused_before_anything_runs(tmp_path, capsys):
    p = tmp_path / "bomb.yaml"
    p.write_text("run_name: t\ntitle: t\ndata: {source: x}\n" + LAUGHS + "\n")
    with pytest.raises(ParameterError, match="expands to more than"):
        load_params(p)
    assert main(["report", "--params", str(p), "--out", str(tmp_path / "r"), "--quiet"]) == EXIT_BAD_INPUT
    assert "expands to more than" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_recursive_alias_and_huge_file_are_refused(tmp_path):
    with pytest.raises(ValueError, match="refers to itself"):
        safe_yaml_load("a: &a [1, *a]\n")
    big = tmp_path / "big.yaml"
    big.write_text("run_name: t\n# " + "x" * (MAX_PARAMS_BYTES + 10) + "\n")
    with pytest.raises(ParameterError, match="at most"):
        load_params(big)
    assert safe_yaml_load("a: &x {b: 1}\nc: *x\n") == {"a": {"b": 1}, "c": {"b": 1}}  # small aliases are fine


# -- notebook parameter values --------------------------------------------------------------------------
def test_notebook_values_are_checked_against_the_declared_parameters(write_params, tmp_path):
    repo = Path(__file__).resolve().parents[1] / "notebooks"
    p = write_params("t", notebooks=["01_places", "02_people"], notebooks_dir=str(repo),
                     notebook_parameters={
                         "01_places": {"permutations": "many", "kde_cell_m": -5, "min_share_shown": 3,
                                       "start": "last spring", "researcher_mode": False},
                         "02_people": {"fairness_bound": ["a", "b"], "top_share": 0.01, "n_boot": True}})
    with pytest.raises(ParameterError) as err:
        load_params(p)
    text = str(err.value)
    for key in ("permutations", "kde_cell_m", "min_share_shown", "start", "fairness_bound", "n_boot"):
        assert f".{key}:" in text, key
    assert "top_share" not in text and "researcher_mode" not in text


@pytest.mark.parametrize(("default", "help_text", "value", "ok"), [
    ("999", "", 99, True), ("999", "", 9.5, True), ("999", "", "9", False), ("999", "", True, False),
    ("0.5", "", 0.7, True), ("250", "", float("inf"), False), ('"auto"', "", 120, True),
    ('"auto"', "", [1], False), ("None", "YYYY-MM-DD", "2024-02-30", False),
    ("None", "YYYY-MM-DD", "2024-02-01", True), ("None", "", {"a": 1}, True), ("[0.8, 1.25]", "", [0.7, 1.3], True),
    ("10", "range 1..20", 25, False), ("False", "", "yes", False),
])
def test_check_notebook_value(default, help_text, value, ok):
    assert (check_notebook_value("x", {"default": default, "help": help_text}, value) is None) == ok


# -- the run lock -----------------------------------------------------------------------------------------
def test_second_run_to_the_same_folder_is_refused_with_the_holder(write_params, tmp_path, capsys):
    out = tmp_path / "reports" / "t"
    with guard.report_lock(out, "t") as lock:
        meta = json.loads(lock.read_text())
        assert meta["pid"] == os.getpid() and meta["started"]
        code = main(["report", "--params", str(write_params("t")), "--out", str(out), "--quiet"])
        err = capsys.readouterr().err
    assert code == 4
    assert f"pid {os.getpid()}" in err and "being written by" in err
    assert not out.exists() and not lock.exists()  # released on exit


def test_stale_lock_of_a_dead_run_is_taken_over(tmp_path, caplog):
    out = tmp_path / "r"
    guard.lock_path(out).write_text(json.dumps({"pid": 999999, "started": "yesterday", "host": "h"}))
    with caplog.at_level(logging.WARNING, logger="workbench.report"):
        with guard.report_lock(out, "r") as lock:
            assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert "stale lock" in caplog.text and "999999" in caplog.text


def test_waiting_for_the_lock_times_out(tmp_path):
    with guard.report_lock(tmp_path / "r"):
        with pytest.raises(guard.ReportBusyError):
            with guard.report_lock(tmp_path / "r", wait_s=0.6):
                pass


# -- staging ----------------------------------------------------------------------------------------
def test_staging_is_private_and_dead_staging_of_any_report_is_removed(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    dead = folder / ".other.tmp-999999-abcdef012345"  # another report's run, killed
    dead.mkdir()
    (dead / guard.STAGING_MARKER).write_text("999999")
    (dead / "_work").mkdir()
    not_ours = folder / ".notes.tmp-999999-abcdef"  # not made by the workbench: kept
    not_ours.mkdir()
    (not_ours / "mine.txt").write_text("x")
    with guard.private_staging(folder / "r") as staging:
        assert staging.stat().st_mode & 0o777 == 0o700
        assert not dead.exists() and not_ours.exists()
    assert not staging.exists()


# -- secrets ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "postgresql://analyst:s3cret@db.example:5432/city",
    "postgresql+psycopg://analyst:s3cret@db/city?sslmode=require",
    "host=db user=analyst password=s3cret dbname=city",
    "host=db password='s3 cret' dbname=city",
    "mysql://u:s3cret@h/d and again sqlite:///x.db?password=s3cret&x=1",
])
def test_redact_hides_passwords(text):
    out = redact(text)
    assert "s3cret" not in out and "s3 cret" not in out and "***" in out


def test_database_url_never_reaches_errors_logs_or_output(write_params, tmp_path, capsys, caplog):
    url = "postgresql://analyst:s3cret@127.0.0.1:1/city"  # nothing listens on port 1
    p = write_params("t", data={"name": "db", "source": url, "timezone": "America/Chicago"})
    with caplog.at_level(logging.DEBUG):
        assert main(["validate", "--params", str(p)]) == EXIT_BAD_INPUT
        assert main(["report", "--params", str(p), "--out", str(tmp_path / "r"), "--quiet"]) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    assert "s3cret" not in captured.out + captured.err
    assert "s3cret" not in caplog.text
    assert "cannot open database" in captured.err or "cannot read" in captured.err
    assert "analyst:***@127.0.0.1" in captured.err


def test_password_env_keeps_the_password_out_of_the_yaml(monkeypatch):
    pytest.importorskip("psycopg")
    from workbench.data.mapping import DataSpec
    from workbench.data.sources import sql_engine

    spec = DataSpec(source="postgresql://analyst@127.0.0.1:1/city", password_env="WB_TEST_PW")
    monkeypatch.setenv("WB_TEST_PW", "s3cret")
    engine = sql_engine(spec.source, spec.password_env)
    assert engine.url.password == "s3cret" and "s3cret" not in str(engine.url)
    monkeypatch.delenv("WB_TEST_PW")
    from workbench.data import DataError

    with pytest.raises(DataError, match="WB_TEST_PW is not set"):
        sql_engine(spec.source, spec.password_env)


# -- escaping helpers ------------------------------------------------------------------------------------------
def test_md_text_makes_markdown_and_html_literal():
    payload = "[click](javascript:alert(1)) <script>alert(2)</script> **b** # h\n- item"
    html = render_markdown(f"Data: **{md_text(payload)}**")
    assert "<a" not in html and "<script" not in html and "<em" not in html and "<h1" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html and "[click]" in html
    assert html_text('"><b>') == "&quot;&gt;&lt;b&gt;"


def test_sanitize_and_escape_frame_make_tables_inert():
    import pandas as pd

    df = pd.DataFrame({"<b>provider</b>": ["<img src=x onerror=alert(1)>", "=SUM(A1)"]}, index=["<i>a</i>", "b"])
    styled = df.style.format(precision=2).to_html()  # a Styler does not escape
    assert "<img src=x" in styled
    clean = sanitize_html(styled)
    assert "<img" not in clean and "&lt;img src=x onerror=alert(1)&gt;" in clean
    assert "<b>provider" not in clean and "<style" in clean  # Styler's own CSS is kept
    safe = escape_frame(df).style.to_html()
    assert "<img" not in safe and "&lt;b&gt;provider" in safe and "&lt;i&gt;a" in safe


def test_a_second_run_can_wait_for_the_first(tmp_path, monkeypatch):
    import threading

    target = tmp_path / "r"
    monkeypatch.setenv(guard.WAIT_ENV, "20")
    held, release = threading.Event(), threading.Event()

    def first():
        with guard.report_lock(target, "first"):
            held.set()
            release.wait(10)

    t = threading.Thread(target=first)
    t.start()
    held.wait(10)
    threading.Timer(1.0, release.set).start()
    run = guard.RunGuard(target, "second")  # waits (WORKBENCH_LOCK_WAIT) instead of refusing
    staging = run.start()
    try:
        assert staging.is_dir() and guard.read_lock(guard.lock_path(target))["run_name"] == "second"
    finally:
        run.close()
        t.join()
    assert not staging.exists() and not guard.lock_path(target).exists()
