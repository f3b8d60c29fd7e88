"""The benchmark suite end to end on the `smoke` profile (CPU, seconds, no downloads).

The smoke data is scikit-learn's bundled digits, so nothing here needs the
internet or ../shared/data (the FashionMNIST check skips when it is absent).
Only what must hold is asserted: the labelled set grows by the budget, picks
are new and unique, accuracy is a fraction, rows carry the contract's keys,
resuming never duplicates a row.
"""
import gzip
import json
import math
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(REPO))

from benchmarks import report, run  # noqa: E402
from benchmarks.datasets import default_data_dir, load_dataset, read_idx  # noqa: E402
from benchmarks.learners import ResNet18, SmallCNN, augment_batch  # noqa: E402
from benchmarks.loop import ResumeError, derive_seed, initial_labelled  # noqa: E402
from benchmarks.results_io import REQUIRED_KEYS, append_row, load_study, read_rows  # noqa: E402

METHODS = ["random", "coreset", "uncertain_gcn", "core_gcn", "entropy"]
INITIAL, BUDGET, CYCLES = 100, 50, 3  # the smoke profile
STUDY = "smoke_test"


def _run(results_dir, *extra):
    return run.main(
        ["--profile", "smoke", "--methods", *METHODS, "--trials", "0", "--study", STUDY,
         "--results-dir", str(results_dir), "--device", "cpu", "--threads", "1", *extra]
    )


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.jsonl"))}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    results_dir = tmp_path_factory.mktemp("results")
    assert _run(results_dir) == 0
    return results_dir


def test_every_method_writes_one_row_per_cycle_with_the_contract_keys(smoke):
    rows = load_study(smoke / STUDY)
    assert sorted({r["method"] for r in rows}) == sorted(METHODS)
    for method in METHODS:
        cycles = sorted(r["cycle"] for r in rows if r["method"] == method)
        assert cycles == list(range(CYCLES))
    for r in rows:
        missing = [k for k in REQUIRED_KEYS if k not in r]
        assert not missing, f"row lacks {missing}"
        assert r["profile"] == "smoke" and r["dataset"] == "digits" and r["seed"] == r["trial"] == 0
        assert 0.0 <= r["accuracy"] <= 1.0
        assert r["train_time_s"] >= 0 and r["selection_time_s"] >= 0


def test_labelled_set_grows_by_the_budget_with_new_unique_picks(smoke):
    n_train = len(load_dataset("digits").train_y)
    for method in METHODS:
        rows = sorted(
            (r for r in load_study(smoke / STUDY) if r["method"] == method), key=lambda r: r["cycle"]
        )
        labelled = set(initial_labelled(n_train, INITIAL, 0).tolist())
        for r in rows:
            assert r["labelled"] == INITIAL + BUDGET * r["cycle"] == len(labelled)
            picks = r["selected"]
            assert len(picks) == BUDGET and len(set(picks)) == BUDGET
            assert all(0 <= i < n_train for i in picks)
            assert not labelled & set(picks), f"{method} re-picked a labelled item"
            labelled |= set(picks)


def test_methods_of_a_trial_share_the_initial_set_and_weights(smoke):
    # Same initial labels and same seeded learner: cycle 0 is identical for all methods.
    first = {r["method"]: r["accuracy"] for r in load_study(smoke / STUDY) if r["cycle"] == 0}
    assert len(set(first.values())) == 1, first


def test_rerun_resumes_without_duplicating_rows(smoke, tmp_path):
    folder = smoke / STUDY
    before = _snapshot(folder)
    assert _run(smoke) == 0
    assert _snapshot(folder) == before  # finished: nothing appended

    # Simulate a crash after cycle 0 of one file, plus a half-written line.
    path = folder / "digits__coreset__trial0.jsonl"
    lines = before[path.name].decode().splitlines(keepends=True)
    path.write_text(lines[0] + lines[1][: len(lines[1]) // 2])
    assert len(read_rows(path)) == 1  # the torn line is ignored
    assert _run(smoke) == 0
    rows = read_rows(path)
    assert [r["cycle"] for r in rows] == list(range(CYCLES))
    assert path.read_bytes().endswith(b"\n")
    # The resumed trial rebuilt the same labelled set (the counts and cycle 1's picks).
    old = [json.loads(line) for line in lines]
    assert [r["labelled"] for r in rows] == [r["labelled"] for r in old]
    assert rows[1]["selected"] == old[1]["selected"]


def test_resume_refuses_rows_written_with_other_settings(smoke):
    with pytest.raises(ResumeError, match="other settings"):
        _run(smoke, "--epochs", "3")


def test_append_row_drops_a_torn_last_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"cycle": 0}\n{"cycle": 1, "acc')
    append_row(path, {"cycle": 1})
    assert path.read_text() == '{"cycle": 0}\n{"cycle": 1}\n'
    path.write_text('{"cycle": 0}\nnot json\n{"cycle": 2}\n')
    with pytest.raises(ValueError, match="line 2"):
        read_rows(path)


def test_report_writes_tables_and_a_plot(smoke):
    text = report.report_study(smoke / STUDY)
    assert (smoke / STUDY / "report.md").read_text() == text
    assert "### Test accuracy (%)" in text and "### Difference to Random" in text
    assert "| 200 |" in text  # the last cycle's labelled count
    png = smoke / STUDY / "digits.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_t_interval_matches_hand_computation():
    mean, half, n = report.mean_ci([1.0, 2.0, 3.0])
    assert n == 3 and mean == pytest.approx(2.0)
    assert half == pytest.approx(4.302653 / math.sqrt(3), rel=1e-5)  # t(0.975, 2) * sd / sqrt(n)
    assert math.isnan(report.mean_ci([1.0])[1])


def test_paired_p_value_matches_the_t_distribution_by_hand():
    # d = 1, 2, 3: t = 2 / (1 / sqrt 3) = 3.4641 on 2 df; two-sided p = 0.07418
    assert report.paired_p_value([1.0, 2.0, 3.0]) == pytest.approx(0.074180, rel=1e-4)
    assert report.paired_p_value([0.0, 0.0, 0.0]) == 1.0  # identical picks: no difference
    assert report.paired_p_value([0.5, 0.5]) == 0.0
    assert math.isnan(report.paired_p_value([1.0]))


def test_holm_adjusts_step_down_and_keeps_the_input_order():
    # sorted 0.01, 0.02, 0.04 -> 3 x 0.01, max(0.03, 2 x 0.02), max(0.04, 1 x 0.04)
    assert report.holm_adjusted([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert report.holm_adjusted([0.5, 0.6]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert report.holm_adjusted([]) == []


def test_paired_difference_uses_only_common_trials():
    rows = [
        {"method": "random", "labelled": 10, "trial": 0, "accuracy": 0.5, "cycle": 0, "dataset": "d"},
        {"method": "random", "labelled": 10, "trial": 1, "accuracy": 0.6, "cycle": 0, "dataset": "d"},
        {"method": "coreset", "labelled": 10, "trial": 1, "accuracy": 0.7, "cycle": 0, "dataset": "d"},
    ]
    s = report.summarise(rows)
    assert report.paired_differences(s, "coreset", 10) == [pytest.approx(10.0)]


def test_cli_entry_point_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--profile", "smoke", "--methods", "random", "--cycles", "2",
         "--results-dir", str(tmp_path), "--threads", "1", "--device", "cpu"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = load_study(tmp_path / "digits_smoke")
    assert [r["labelled"] for r in rows] == [INITIAL, INITIAL + BUDGET]


def test_seeds_are_derived_per_purpose():
    assert derive_seed(0, 1, "train") == derive_seed(0, 1, "train")
    assert len({derive_seed(0, 1, "train"), derive_seed(0, 1, "init"), derive_seed(0, 2, "train"),
                derive_seed(1, 1, "train")}) == 4
    a, b = initial_labelled(1000, 100, 0), initial_labelled(1000, 100, 1)
    assert len(np.unique(a)) == 100 and not np.array_equal(a, b)


def test_read_idx_round_trip_and_bad_magic(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "x-idx3-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + struct.pack(">3I", 2, 3, 4) + images.tobytes())
    np.testing.assert_array_equal(read_idx(path), images)
    bad = tmp_path / "bad"
    bad.write_bytes(bytes([1, 0, 8, 1]) + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match="magic"):
        read_idx(bad)


def test_resnet18_features_are_512d_post_relu_for_1_and_3_channels():
    for channels, size in ((1, 28), (3, 32)):
        model = ResNet18(num_classes=10, in_channels=channels).eval()
        logits, feat = model.forward_features(torch.randn(2, channels, size, size))
        assert logits.shape == (2, 10) and feat.shape == (2, 512)
        assert (feat >= 0).all()
    logits, feat = SmallCNN(num_classes=10, in_channels=1).eval().forward_features(torch.randn(3, 1, 8, 8))
    assert logits.shape == (3, 10) and feat.shape == (3, SmallCNN.feature_dim) and (feat >= 0).all()


def test_augment_batch_crops_and_flips_only():
    x = torch.arange(2 * 3 * 5 * 5, dtype=torch.float32).reshape(2, 3, 5, 5)
    out = augment_batch(x, torch.Generator().manual_seed(0), padding=0)
    for i in range(2):
        assert torch.equal(out[i], x[i]) or torch.equal(out[i], x[i].flip(-1))
    padded = augment_batch(x, torch.Generator().manual_seed(1), padding=2)
    assert padded.shape == x.shape
    # Every output pixel is an input pixel of the same channel or zero padding.
    for c in range(3):
        assert set(padded[:, c].unique().tolist()) <= set(x[:, c].unique().tolist()) | {0.0}


def test_fashion_mnist_offline_copy_loads():
    if not (default_data_dir() / "fashion-mnist").exists():
        pytest.skip(f"no offline FashionMNIST at {default_data_dir()} (set GCNAL_DATA)")
    ds = load_dataset("FashionMNIST")
    assert ds.train_x.shape == (60000, 28, 28, 1) and ds.test_x.shape == (10000, 28, 28, 1)
    assert np.bincount(ds.train_y).tolist() == [6000] * 10


TASK_AWARE = ["learning_loss", "ta_vaal", "bald", "jls", "tjls", "vaal"]


@pytest.fixture(scope="module")
def task_aware_smoke(tmp_path_factory):
    results_dir = tmp_path_factory.mktemp("task_aware")
    assert run.main(["--profile", "smoke", "--methods", *TASK_AWARE, "--trials", "0",
                     "--cycles", "2", "--study", STUDY, "--results-dir", str(results_dir),
                     "--device", "cpu", "--threads", "1"]) == 0
    return load_study(results_dir / STUDY)


def test_task_aware_methods_run_the_loop_through_gcnal_select(task_aware_smoke):
    rows = task_aware_smoke
    assert sorted({r["method"] for r in rows}) == sorted(TASK_AWARE)
    for method in TASK_AWARE:
        mine = sorted((r for r in rows if r["method"] == method), key=lambda r: r["cycle"])
        assert [r["labelled"] for r in mine] == [INITIAL, INITIAL + BUDGET]
        assert all(0.0 <= r["accuracy"] <= 1.0 for r in mine)
        assert all(r["gcnal_info"]["method"] == method for r in mine)
        picks = [set(r["selected"]) for r in mine]
        assert all(len(p) == BUDGET for p in picks) and not picks[0] & picks[1]


def test_task_aware_learners_train_their_own_heads(task_aware_smoke):
    # Each task-aware learner differs from the plain one (its own head or loss),
    # so its first-cycle accuracy is its own; VAAL keeps the plain learner.
    first = {r["method"]: r["accuracy"] for r in task_aware_smoke if r["cycle"] == 0}
    plain = first["vaal"]
    assert first["jls"] != plain and first["tjls"] != plain and first["bald"] != plain


def test_tjls_trains_at_its_papers_learning_rate_and_says_so(task_aware_smoke):
    lrs = {r["method"]: r["config"]["train"]["lr"] for r in task_aware_smoke}
    assert lrs["tjls"] == 0.01
    assert lrs["jls"] == lrs["vaal"] != 0.01


def test_report_keeps_tjls_in_the_same_table_and_names_its_lr(task_aware_smoke):
    from benchmarks.report import _config_key, render_markdown

    tjls = next(r for r in task_aware_smoke if r["method"] == "tjls")
    vaal = next(r for r in task_aware_smoke if r["method"] == "vaal")
    assert _config_key(tjls) == _config_key(vaal)
    assert "TJLS lr 0.01" in render_markdown(task_aware_smoke, "t")


def test_method_options_reach_select_are_stored_and_guard_the_resume(tmp_path):
    def protocol(*extra):
        return run.main(["--profile", "smoke", "--methods", "typical_diverse", "--trials", "0",
                         "--cycles", "2", "--study", "options", "--results-dir", str(tmp_path),
                         "--device", "cpu", "--threads", "1", *extra])

    assert protocol("--options", '{"uncertainty_weight": 1.0, "radius": 0.0}') == 0
    rows = load_study(tmp_path / "options")
    assert [r["config"]["method_options"] for r in rows] == [
        {"uncertainty_weight": 1.0, "radius": 0.0}] * 2
    # w = 1 without a radius is margin sampling on the CNN's probs: another
    # selection than the default's on the same seed
    assert protocol("--study", "plain") == 0
    plain = load_study(tmp_path / "plain")
    assert "method_options" not in plain[0]["config"]
    assert rows[0]["selected"] != plain[0]["selected"]
    # resuming a study with other options is refused, not mixed
    with pytest.raises(ResumeError, match="other settings"):
        protocol("--cycles", "3")
