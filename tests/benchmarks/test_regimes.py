"""The across-regimes studies: pools, learners, rows and the wins/ties/losses table."""
import dataclasses

import numpy as np
import pytest

from benchmarks import regimes
from gcnal.evaluation.seeds import derive_seed
from benchmarks.datasets import default_data_dir
from benchmarks.results_io import read_rows

TINY_FRIEDMAN = dataclasses.replace(regimes.STUDIES["friedman"], name="tiny", pool=300,
                                    initial=10, budget=10, cycles=2)


def test_regression_study_runs_every_method_kind_and_records_provenance(tmp_path):
    pool = regimes.build_pool(TINY_FRIEDMAN, trial=0)
    path = tmp_path / "tiny.jsonl"
    for method in ("random", "typical_diverse", "core_gcn", "margin"):
        regimes.run_trial(TINY_FRIEDMAN, pool, method, 0, path)
    rows = read_rows(path)
    # margin needs class probabilities: skipped on a regression task, not faked
    assert sorted({r["method"] for r in rows}) == ["core_gcn", "random", "typical_diverse"]
    for method in ("random", "typical_diverse", "core_gcn"):
        mine = [r for r in rows if r["method"] == method]
        assert [r["labelled"] for r in mine] == [10, 20, 30]
        assert all(r["metric"] == "rmse" and r["value"] > 0 for r in mine)
        assert all(r["commit"] and r["date"] and r["device"] for r in mine)
        assert all(r["versions"]["scikit-learn"] not in ("", "absent") for r in mine)
    # the same initial labels for every method: the same first-cycle learner
    assert len({r["value"] for r in rows if r["cycle"] == 0}) == 1
    before = len(rows)
    regimes.run_trial(TINY_FRIEDMAN, pool, "random", 0, path)  # finished: skipped
    assert len(read_rows(path)) == before


def test_imbalanced_pool_has_the_stated_ratio():
    if not (default_data_dir() / "cifar10" / "cifar10-jpeg75.npz").exists():
        pytest.skip(f"no offline CIFAR-10 at {default_data_dir()} (set GCNAL_DATA)")
    pool = regimes.build_pool(regimes.STUDIES["cifar_imbalanced"], trial=0)
    counts = np.bincount(pool.train_y, minlength=10)
    assert counts[5:].min() == counts[5:].max() == 10 * counts[:5].max()
    assert counts[:5].min() == counts[:5].max()
    assert pool.train_x.shape[1] == 64 and np.bincount(pool.test_y).min() == 1000


def _rows(study, metric, values):
    return [{"study": study, "role": "dev", "metric": metric, "method": m, "trial": t,
             "labelled": n, "value": v}
            for (m, n), per_trial in values.items() for t, v in enumerate(per_trial)]


def test_wins_ties_losses_against_random():
    rows = _rows("s", "accuracy", {
        ("random", 10): [0.5, 0.5, 0.5], ("better", 10): [0.5, 0.5, 0.5],  # first cycle: not counted
        ("random", 20): [0.60, 0.62, 0.61], ("better", 20): [0.70, 0.71, 0.72],
        ("random", 30): [0.70, 0.71, 0.69], ("better", 30): [0.69, 0.73, 0.70],
        ("random", 40): [0.80, 0.80, 0.81], ("better", 40): [0.70, 0.71, 0.70],
    })
    entry = regimes.compare_to_random(rows)[("s", "better")]
    assert (entry["wins"], entry["ties"], entry["losses"]) == (1, 1, 1)
    assert entry["cycles"][0]["diff"] == pytest.approx(10.0)  # percentage points


def test_lower_rmse_counts_as_a_win():
    rows = _rows("r", "rmse", {
        ("random", 1): [3.0, 3.0], ("m", 1): [3.0, 3.0],
        ("random", 2): [2.0, 2.1], ("m", 2): [1.5, 1.55],
    })
    entry = regimes.compare_to_random(rows)[("r", "m")]
    assert entry["wins"] == 1 and entry["cycles"][0]["diff"] == pytest.approx(0.525)
    assert "1/0/0" in regimes.render_table(rows)


def test_details_mark_intervals_that_exclude_zero():
    rows = _rows("s", "accuracy", {
        ("random", 10): [0.5, 0.5, 0.5], ("better", 10): [0.5, 0.5, 0.5],
        ("random", 20): [0.60, 0.62, 0.61], ("better", 20): [0.70, 0.71, 0.72],
    })
    text = regimes.render_details(rows)
    assert "| 20 | +10.00 [+7.52, +12.48] * |" in text


def test_best_baseline_is_the_candidate_with_the_best_mean_and_the_default_is_compared_with_it():
    rows = _rows("s", "accuracy", {
        ("random", 10): [0.5, 0.5, 0.5], ("margin", 10): [0.5, 0.5, 0.5],
        ("typiclust", 10): [0.5, 0.5, 0.5], ("mine", 10): [0.5, 0.5, 0.5],
        ("random", 20): [0.60, 0.61, 0.62], ("margin", 20): [0.70, 0.70, 0.71],
        ("typiclust", 20): [0.66, 0.67, 0.66], ("mine", 20): [0.65, 0.66, 0.65],
        ("random", 30): [0.70, 0.70, 0.71], ("margin", 30): [0.80, 0.81, 0.80],
        ("typiclust", 30): [0.90, 0.90, 0.91], ("mine", 30): [0.80, 0.81, 0.80],
    })
    # margin 0.753 vs TypiClust 0.783 over the compared cycles: TypiClust is the best baseline
    assert regimes.best_baselines(rows) == {"s": "typiclust"}
    entry = regimes.compare(rows, {"s": "typiclust"})[("s", "mine")]
    assert (entry["wins"], entry["ties"], entry["losses"]) == (0, 0, 2)
    assert entry["cycles"][1]["diff"] == pytest.approx(-10.0)
    losses = regimes.render_losses(rows, "mine")
    assert "s, 30 labelled: -10.00" in losses and "against TypiClust" in losses
    # the loss's own p, and Holm's over the 2 cycles of mine against the best baseline
    p20, p30 = entry["cycles"][0]["p"], entry["cycles"][1]["p"]
    assert p20 < p30  # so Holm multiplies p20 by 2 and p30 by 1, keeping the order
    assert f"(p = {p30:.3f}; Holm over the 2 cycles: {max(2 * p20, p30):.2f})" in losses
    assert f"(p = {p20:.3f}; Holm over the 2 cycles: {2 * p20:.2f})" in losses
    assert "Best baseline per study: s: TypiClust." in regimes.render_best_table(rows)


def test_loss_counts_say_which_per_cycle_losses_survive_holms_correction():
    # 10 seeds, 3 compared cycles: a clear loss (-10 pp, p ~ 1e-15), a marginal
    # one (-0.82 pp, interval just below 0, p = 0.039) and a tie. Holm over the 3
    # cycles keeps the first (3p) and drops the second (2p = 0.078 > 0.05).
    clear = [-10.0, -10.5, -9.5, -10.0, -10.2, -9.8, -10.1, -9.9, -10.0, -10.0]
    marginal = [-1.0, -2.0, 0.8, -1.5, -0.5, -2.5, 0.8, -1.0, -1.0, -0.3]
    tie = [1.0, -1.0, 0.5, -0.5, 0.2, -0.2, 1.0, -1.0, 0.3, -0.3]
    values = {("random", 10): [0.5] * 10, ("mine", 10): [0.5] * 10}
    for labelled, base, diffs in ((20, 0.6, clear), (30, 0.7, marginal), (40, 0.8, tie)):
        values[("random", labelled)] = [base] * 10
        values[("mine", labelled)] = [base + d / 100 for d in diffs]
    rows = _rows("s", "accuracy", values)
    entry = regimes.compare_to_random(rows)[("s", "mine")]
    assert (entry["wins"], entry["ties"], entry["losses"]) == (0, 1, 2)
    assert entry["cycles"][1]["p"] == pytest.approx(0.039, abs=5e-4)
    table = regimes.render_loss_counts(rows)
    # against Random, and against the best baseline: none of the candidates ran, so no cell
    assert "| mine | 2 / 1 (3) |  |" in table


def test_pick_spread_measures_a_collapsed_and_an_even_batch():
    collapsed = regimes.pick_spread(np.array([3] * 9 + [1]), num_classes=10)
    assert collapsed["picks_largest_class_share"] == pytest.approx(0.9)
    assert collapsed["picks_classes"] == 2
    assert collapsed["picks_label_entropy_bits"] == pytest.approx(-(0.9 * np.log2(0.9) + 0.1 * np.log2(0.1)),
                                                                  abs=1e-4)
    even = regimes.pick_spread(np.arange(10), num_classes=10)
    assert even["picks_largest_class_share"] == pytest.approx(0.1)
    assert even["picks_label_entropy_bits"] == pytest.approx(np.log2(10), abs=1e-4)


def test_a_schedule_sets_each_cycles_labelled_count_and_rows_carry_the_pick_spread(tmp_path):
    if not (default_data_dir() / "fashion-mnist").exists():
        pytest.skip(f"no offline FashionMNIST at {default_data_dir()} (set GCNAL_DATA)")
    study = dataclasses.replace(regimes.STUDIES["fmnist_small"], name="tiny_fmnist", pool=400,
                                initial=10, cycles=2, schedule=(10, 16, 40))
    pool = regimes.build_pool(study, trial=0)
    path = regimes.rows_path(tmp_path, study.name, "margin")
    regimes.run_trial(study, pool, "margin", 0, path)
    rows = read_rows(path)
    assert [r["labelled"] for r in rows] == [10, 16, 40]
    for row, budget in zip(rows[:2], (6, 24)):
        assert 1 <= row["picks_classes"] <= min(budget, 10)
        assert row["picks_largest_class_share"] * budget == pytest.approx(round(row["picks_largest_class_share"] * budget), abs=1e-3)
    assert "picks_classes" not in rows[-1]  # the last cycle picks nothing
    assert regimes.finished(tmp_path, study.name, "margin", 0)
    assert not regimes.finished(tmp_path, study.name, "margin", 1)


def test_a_schedule_must_start_at_the_initial_labels():
    with pytest.raises(ValueError, match="schedule"):
        regimes.Study("bad", "fashion_mnist", initial=10, budget=0, cycles=2, schedule=(20, 30, 40))


def test_spread_table_averages_the_batches_of_each_cycle():
    rows = [{"study": "s", "role": "dev", "metric": "accuracy", "method": "core_gcn", "trial": t,
             "labelled": 100, "value": 0.5, "picks_largest_class_share": share,
             "picks_label_entropy_bits": bits} for t, (share, bits) in enumerate([(0.8, 1.0), (0.6, 2.0)])]
    text = regimes.render_spread(rows)
    assert "| 100 | 0.70 / 1.50 |" in text


def test_friedman_variants_draw_their_own_standardised_pools():
    first = regimes.build_pool(regimes.STUDIES["friedman"], trial=0)
    dev = regimes.build_pool(dataclasses.replace(regimes.STUDIES["friedman_dev"], pool=300), trial=0)
    assert dev.train_x.shape == (300, 10) and not np.allclose(dev.train_x[:5], first.train_x[:5])
    for name in ("friedman2", "friedman3_dev", "friedman2_b", "friedman3"):
        pool = regimes.build_pool(dataclasses.replace(regimes.STUDIES[name], pool=300), trial=0)
        assert pool.train_x.shape == (300, 4) and pool.num_classes == 0
        # inputs and targets standardised with the pool's statistics
        assert np.allclose(pool.train_x.mean(0), 0, atol=1e-5) and abs(pool.train_y.std() - 1) < 1e-4


def test_a_feature_only_study_gives_no_method_the_probs(tmp_path):
    if not (default_data_dir() / "fashion-mnist").exists():
        pytest.skip(f"no offline FashionMNIST at {default_data_dir()} (set GCNAL_DATA)")
    study = dataclasses.replace(regimes.STUDIES["fmnist_small_features"], pool=400, cycles=1)
    pool = regimes.build_pool(study, trial=0)
    for method in ("margin", "typical_diverse"):
        regimes.run_trial(study, pool, method, 0, regimes.rows_path(tmp_path, study.name, method))
    # margin needs the probs: skipped, not run on fake ones
    assert not regimes.finished(tmp_path, study.name, "margin", 0)
    rows = read_rows(regimes.rows_path(tmp_path, study.name, "typical_diverse"))
    labelled = np.zeros(400, dtype=bool)
    labelled[np.random.default_rng(derive_seed(0, 4)).choice(400, 10, replace=False)] = True
    from benchmarks.selection import select_batch

    featureless, _, _, _ = select_batch("typical_diverse", pool.train_x, labelled, 10,
                                        seed=derive_seed(0, 100))
    # the run picked what typical_diverse picks without probs
    picked = np.bincount(pool.train_y[featureless], minlength=10) / 10
    assert rows[0]["picks_largest_class_share"] == pytest.approx(picked.max())


def test_stored_rows_reproduce_through_gcnal_evaluate():
    """The library's loop is the benchmark's: curves stored by the study run
    again from the settings their rows record, with the same table."""
    if not (default_data_dir() / "fashion-mnist").exists():
        pytest.skip(f"no offline FashionMNIST at {default_data_dir()} (set GCNAL_DATA)")
    stored, fresh = regimes.reproduce("fmnist_small", ["random", "margin"], [0, 1, 2])
    assert len(stored) == len(fresh) == 2 * 3 * 9
    # one test item of 10,000 (1e-4, with room for the float subtraction):
    # on another machine the last bits of a sum can decide a near-tie
    text, same = regimes.render_reproduction(stored, fresh, atol=1.5e-4)
    assert same and "wins/ties/losses identical: True" in text


def test_options_name_the_bfloat16_first_layer_by_its_torch_name():
    import argparse

    import torch

    assert regimes.options_json('{"compute_dtype": "bfloat16", "epochs": 50}') == \
        {"compute_dtype": torch.bfloat16, "epochs": 50}
    with pytest.raises(argparse.ArgumentTypeError, match="compute_dtype"):
        regimes.options_json('{"compute_dtype": "Tensor"}')  # a torch name, not a dtype


def test_rows_record_their_options_and_reproduce_runs_with_them(tmp_path):
    study = dataclasses.replace(regimes.STUDIES["friedman"], name="tiny_options", pool=200,
                                cycles=2)
    pool = regimes.build_pool(study, trial=0)
    # cold_start=False: the blend, which reads the other two, at every cycle (without probs too)
    options = {"uncertainty_weight": 1.0, "radius": 0.0, "cold_start": False}
    path = tmp_path / "tiny_options" / "typical_diverse.jsonl"
    regimes.run_trial(study, pool, "typical_diverse", 0, path, options)
    rows = read_rows(path)
    assert [r["options"] for r in rows] == [options] * 3
    # the machine is named by more than its architecture: regression rows differ between CPUs
    import torch

    from benchmarks.results_io import cpu_model
    assert all(cpu_model() in r["device"] and torch.backends.cpu.get_cpu_capability() in r["device"]
               for r in rows)
    stored, fresh = regimes.reproduce("tiny_options", ["typical_diverse"], [0], results=tmp_path)
    assert [r["value"] for r in fresh] == [r["value"] for r in stored]
    assert all(r["options"] == options for r in fresh)
    # the same seed without the options picks otherwise: the options were used
    plain = regimes.study_rows(study, pool, regimes.evaluate_trial(study, pool, "typical_diverse", 0), 0)
    assert [r["value"] for r in plain] != [r["value"] for r in stored]
