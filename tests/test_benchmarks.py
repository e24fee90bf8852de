"""The benchmark harness's rules (benchmarks/harness.py) and the helpers moved out of src/ into benchmarks/."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import harness  # noqa: E402


def test_duel_alternates_and_reports_a_ratio_only_for_a_matching_answer():
    calls = []

    def ours():
        calls.append("ours")
        return 1

    def peer():
        calls.append("peer")
        return 1

    rec = harness.duel(ours, peer, lambda a, b: {"match": a == b}, peer_name="p", repeats=2)
    assert calls == ["ours", "peer"] * 3  # at least 3 runs each, alternating
    assert rec["runs"] == 3 and rec["answers_match"] is True and rec["ratio"] is not None
    assert rec["seconds_min"] <= rec["seconds"] <= rec["seconds_max"]
    wrong = harness.duel(ours, lambda: 2, lambda a, b: {"match": a == b}, peer_name="p")
    assert wrong["answers_match"] is False and wrong["ratio"] is None


def test_environment_records_blas_and_load():
    env = harness.environment()
    assert {"blas", "OPENBLAS_CORETYPE", "loadavg", "numba", "cpu_count"} <= set(env)
    assert len(env["loadavg"]) == 3


def test_run_record_never_reports_an_unchecked_ratio():
    import run

    bench = run.Bench(lambda wd: None, unit="x")
    rec = run._record("x", bench, [1.0, 2.0, 3.0], {"n": 5, "peer": "p", "peer_seconds": 9.0, "ratio": 9.0}, 3, {})
    assert rec["ratio"] is None and rec["seconds"] == 2.0 and rec["seconds_max"] == 3.0


def test_survival_benchmark_helper_runs(synthetic_tiny):
    from survival_bench import benchmark_survival

    out = benchmark_survival(synthetic_tiny.dataset)
    assert out["referrals"] == len(synthetic_tiny.dataset["referrals"])
    assert set(out) == {"referrals", "table_s", "km_s", "cox_s", "aalen_johansen_s", "revictimization_s"}
    assert all(v >= 0 for v in out.values())


def test_fine_gray_benchmark_helper_runs(synthetic_tiny):
    """benchmarks/run.py's fine_gray_demo imports its helper from benchmarks/ (moved out of src)."""
    import run
    from survival_bench import benchmark_fine_gray

    assert run._fine_gray_demo.__code__.co_names.count("benchmark_fine_gray")
    out = benchmark_fine_gray(synthetic_tiny.dataset)
    assert out["referrals"] == len(synthetic_tiny.dataset["referrals"]) and out["events"] > 0
    assert out["fine_gray_s"] >= 0 and out["cause_specific_s"] >= 0
