"""The default's evidence table: paired gains over Random and the best baseline; class spread."""
import numpy as np
import pytest

from benchmarks.default_evidence import evidence, load, outcome
from benchmarks.regimes import pick_spread
from benchmarks.results_io import append_rows


def _rows(method, values, metric="accuracy"):
    """values[trial] = the metric at 10 and 20 labels."""
    return [{"study": "s", "role": "dev", "method": method, "trial": t, "labelled": n,
             "metric": metric, "value": v}
            for t, curve in enumerate(values) for n, v in zip((10, 20), curve)]


def test_gains_are_paired_over_trials_against_random_and_the_best_baseline(tmp_path):
    append_rows(tmp_path / "s.jsonl", _rows("random", [(0.5, 0.60), (0.5, 0.70), (0.5, 0.65)])
                + _rows("margin", [(0.5, 0.62), (0.5, 0.72), (0.5, 0.67)])
                + _rows("badge", [(0.5, 0.61), (0.5, 0.71), (0.5, 0.66)])
                + _rows("mine", [(0.5, 0.63), (0.5, 0.74), (0.5, 0.68)]))
    (row,) = evidence(load([tmp_path]), "mine")
    assert row["labelled"] == 20 and row["best"] == "margin"
    mean, half, n = row["vs_random"]
    assert (mean, n) == (pytest.approx(3.3333, abs=1e-3), 3)
    # differences to margin: +1, +2, +1 pp: mean 4/3, sd 0.577, t(2) = 4.303
    mean, half, _ = row["vs_best"]
    assert mean == pytest.approx(4 / 3) and half == pytest.approx(4.303 * 0.57735 / np.sqrt(3),
                                                                  rel=1e-3)
    assert outcome(mean, half) == "="


def test_rmse_is_turned_so_that_lower_error_is_a_gain(tmp_path):
    append_rows(tmp_path / "r.jsonl", _rows("random", [(3.0, 2.0), (3.0, 2.2)], "rmse")
                + _rows("mine", [(3.0, 1.5), (3.0, 1.6)], "rmse"))
    (row,) = evidence(load([tmp_path]), "mine")
    assert row["vs_random"][0] == pytest.approx(0.55)


def test_class_spread_of_a_batch_by_hand():
    assert pick_spread(np.array([1, 1, 1, 2]), 4) == pytest.approx(
        {"picks_largest_class_share": 0.75, "picks_classes": 2,
         "picks_label_entropy_bits": -(0.75 * np.log2(0.75) + 0.25 * np.log2(0.25))}, abs=1e-4)
    assert pick_spread(np.array([0, 1, 2, 3]), 4)["picks_label_entropy_bits"] == \
        pytest.approx(np.log2(4))
