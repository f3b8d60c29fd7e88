"""A long benchmark run killed mid-way resumes with no row lost or duplicated."""
import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.results_io import load_study, read_rows

ROOT = Path(__file__).resolve().parents[2]
TRIALS = [str(t) for t in range(4)]


ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def _kill_once_it_wrote(command, written) -> None:
    """Start ``command``, SIGKILL it as soon as ``written()`` is truthy (its
    first rows are on disk) or after 240 s, and wait for it."""
    run = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while not written() and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()


def _command(results_dir):
    return [sys.executable, "-m", "benchmarks.regimes", "run", "--studies", "friedman",
            "--methods", "random", "--trials", *TRIALS, "--results-dir", str(results_dir)]


def _trials_written(results_dir):
    return {r["trial"] for r in load_study(results_dir)} if results_dir.exists() else set()


def test_a_killed_regimes_run_resumes_without_losing_or_repeating_rows(tmp_path):
    _kill_once_it_wrote(_command(tmp_path), lambda: _trials_written(tmp_path))
    killed_with = _trials_written(tmp_path)
    assert 0 < len(killed_with) < len(TRIALS), "the kill did not land mid-run"

    subprocess.run(_command(tmp_path), cwd=ROOT, env=ENV, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = load_study(tmp_path)
    cycles = collections.Counter((r["trial"], r["cycle"]) for r in rows)
    assert {trial for trial, _ in cycles} == {int(t) for t in TRIALS}  # none lost
    assert set(cycles.values()) == {1}  # none repeated
    per_trial = collections.Counter(trial for trial, _ in cycles)
    assert set(per_trial.values()) == {9}  # every trial complete: cycles 0..8


def _protocol_command(results_dir):
    return [sys.executable, "-m", "benchmarks.run", "--profile", "smoke", "--methods", "random",
            "coreset", "--trials", "0", "--study", "kill_test", "--results-dir", str(results_dir),
            "--device", "cpu", "--threads", "1"]


def _protocol_rows(results_dir):
    study = results_dir / "kill_test"
    return load_study(study) if study.exists() else []


def test_a_killed_protocol_run_resumes_without_losing_or_repeating_rows(tmp_path):
    """benchmarks.run appends one row per cycle: killed after its first row
    (mid-trial), the re-run finishes the trial from the rows it finds."""
    _kill_once_it_wrote(_protocol_command(tmp_path), lambda: _protocol_rows(tmp_path))
    killed_with = len(_protocol_rows(tmp_path))
    subprocess.run(_protocol_command(tmp_path), cwd=ROOT, env=ENV, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = _protocol_rows(tmp_path)
    cycles = collections.Counter((r["method"], r["trial"], r["cycle"]) for r in rows)
    assert 0 < killed_with < len(rows), "the kill did not land mid-run"
    assert set(cycles.values()) == {1}  # none repeated
    assert {(m, c) for m, _, c in cycles} == {(m, c) for m in ("random", "coreset")
                                               for c in range(3)}  # none lost: cycles 0..2


SCALE_SIZES = ["2000", "2500", "3000", "3500"]


def _scale_command(results_dir):
    return [sys.executable, "-m", "benchmarks.scale", "sizes", "--sizes", *SCALE_SIZES,
            "--dims", "16", "--methods", "coreset", "--threads", "1", "--device", "cpu",
            "--results-dir", str(results_dir)]


def _scale_rows(results_dir):
    return read_rows(results_dir / "sizes.jsonl")


def test_a_killed_scale_run_resumes_without_losing_or_repeating_rows(tmp_path):
    """benchmarks.scale writes each configuration's row as it is measured:
    killed after the first, the same command measures only the rest."""
    _kill_once_it_wrote(_scale_command(tmp_path), lambda: _scale_rows(tmp_path))
    killed_with = {r["n"] for r in _scale_rows(tmp_path)}
    assert 0 < len(killed_with) < len(SCALE_SIZES), "the kill did not land mid-run"

    rerun = subprocess.run(_scale_command(tmp_path), cwd=ROOT, env=ENV, check=True,
                           capture_output=True, text=True)
    rows = _scale_rows(tmp_path)
    sizes = collections.Counter(r["n"] for r in rows)
    assert sizes == {int(n): 1 for n in SCALE_SIZES}  # none lost, none repeated
    assert all("error" not in r and r["total_s"] > 0 for r in rows)
    assert f"{len(killed_with)} of {len(SCALE_SIZES)} units already measured" in rerun.stdout
