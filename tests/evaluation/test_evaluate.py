"""gcnal.evaluate on scikit-learn's digits: the loop's invariants, resume,
the interval math, the CLI verb and the errors."""
import json
import math
import subprocess
import sys
import time

import numpy as np
import pytest

import gcnal
from gcnal.cli import main
from gcnal.errors import InvalidParameterError, UnknownNameError
from gcnal.evaluation.stats import paired_interval, t_critical_95, t_interval

sklearn_datasets = pytest.importorskip("sklearn.datasets")

SMALL = dict(methods=("random", "margin", "coreset"), initial=10, budget=10, cycles=3,
             seeds=(0, 1))


@pytest.fixture(scope="module")
def digits():
    x, y = sklearn_datasets.load_digits(return_X_y=True)
    return (x / 16).astype(np.float32), y


@pytest.fixture(scope="module")
def result(digits):
    return gcnal.evaluate(*digits, **SMALL)


def _curve(result, method, seed):
    return sorted((r for r in result.rows if r["method"] == method and r["seed"] == seed),
                  key=lambda r: r["cycle"])


def test_every_method_of_a_seed_starts_from_the_same_initial_set(result):
    for seed in SMALL["seeds"]:
        starts = {tuple(_curve(result, m, seed)[0]["added"]) for m in SMALL["methods"]}
        assert len(starts) == 1 and len(next(iter(starts))) == SMALL["initial"]
    assert _curve(result, "random", 0)[0]["added"] != _curve(result, "random", 1)[0]["added"]


def test_labelled_count_grows_by_the_budget_and_picks_never_repeat(result, digits):
    for method in SMALL["methods"]:
        for seed in SMALL["seeds"]:
            curve = _curve(result, method, seed)
            assert [r["labelled"] for r in curve] == result.labelled_counts == [10, 20, 30, 40]
            every = [i for r in curve for i in r["added"]]
            assert len(every) == len(set(every)) == 40
            assert all(0 <= i < len(digits[1]) for i in every)
            assert curve[0]["selection_seconds"] is None
            assert all(r["selection_seconds"] > 0 for r in curve[1:])


def test_held_out_items_are_never_picked_and_the_curves_learn(result, digits):
    n = len(digits[1])
    test_size = round(0.2 * n)
    assert result.settings["pool"] == n - test_size
    # margin beats its own start: the learner improves as labels arrive
    values = result.values("margin")
    assert values.shape == (2, 4) and (values[:, -1] > values[:, 0]).all()
    assert np.isnan(values).sum() == 0


def test_differences_are_paired_by_seed(result):
    diff = result.differences()["margin"]
    margin, random = result.values("margin"), result.values("random")
    for cycle, interval in enumerate(diff):
        assert math.isclose(interval.mean, float(np.mean(margin[:, cycle] - random[:, cycle])))
    assert diff[0].mean == 0.0  # the same initial set, the same deterministic learner


def test_interval_math_on_hand_built_numbers():
    interval = paired_interval([3.0, 5.0, 7.0], [2.0, 3.0, 4.0])  # differences 1, 2, 3
    half = 4.302653 * 1.0 / math.sqrt(3)  # t_{0.975,2} * sd / sqrt(n), sd = 1
    assert interval.mean == 2.0 and interval.n == 3
    assert math.isclose(interval.low, 2.0 - half) and math.isclose(interval.high, 2.0 + half)
    assert math.isnan(t_interval([1.0]).low)
    stats = pytest.importorskip("scipy.stats")
    for df in list(range(1, 40)) + [50, 100, 1000]:
        assert math.isclose(t_critical_95(df), stats.t.ppf(0.975, df), rel_tol=2e-6), df


def test_features_callable_sees_the_labelled_set(digits):
    x, y = digits
    seen = []

    def features(labelled):
        seen.append(len(labelled))
        return x

    result = gcnal.evaluate(features, y, methods=("margin",), initial=10, budget=5, cycles=2,
                            seeds=(0,))
    assert seen == [10, 15, 20]
    assert result.values("margin").shape == (1, 3)


def test_estimator_learner_and_metric_on_probabilities(digits):
    from sklearn.neighbors import KNeighborsClassifier

    def log_loss(y_true, probs):
        return float(-np.mean(np.log(probs[np.arange(len(y_true)), y_true] + 1e-3)))

    result = gcnal.evaluate(*digits, methods=("random", "entropy"), learner=KNeighborsClassifier(n_neighbors=3),
                            metric=log_loss, metric_reads="probabilities", initial=20,
                            budget=10, cycles=1, seeds=(0, 1))
    assert result.metric == "log_loss" and result.settings["learner"] == "KNeighborsClassifier"
    assert (result.values("entropy") > 0).all()


def test_to_markdown_to_dict_and_plot(result, tmp_path):
    text = result.to_markdown()
    assert "| labelled | random | margin | coreset |" in text
    assert "Difference to random" in text
    data = json.loads(json.dumps(result.to_dict()))
    assert len(data["rows"]) == 3 * 2 * 4
    assert data["differences_to_random"]["margin"][0]["mean"] == 0.0
    pytest.importorskip("matplotlib")
    result.plot(tmp_path / "curves.png")
    assert (tmp_path / "curves.png").stat().st_size > 1000


@pytest.fixture(scope="module")
def friedman():
    x, y = sklearn_datasets.make_friedman1(n_samples=600, noise=1.0, random_state=0)
    return x.astype(np.float32), y


def test_regression_scores_rmse_gives_no_probs_and_learns(friedman):
    x, y = friedman
    result = gcnal.evaluate(x, y, methods=("random", "typiclust", "typical_diverse"),
                            learner="ridge", initial=20, budget=20, cycles=2, seeds=(0, 1))
    assert result.settings["task"] == "regression" and result.metric == "rmse"
    assert result.settings["signals"] is False
    values = result.values("random")
    rmse_of_the_mean = np.sqrt(np.mean((y - y.mean()) ** 2))  # a learner that learnt nothing
    assert (values > 0).all() and (values[:, -1] < 0.7 * rmse_of_the_mean).all()
    assert "negative: lower than Random's, better" in result.to_markdown()


def test_a_regressor_estimator_is_cloned_and_seeded_per_cycle(friedman):
    from sklearn.neural_network import MLPRegressor

    x, y = friedman
    mlp = MLPRegressor(hidden_layer_sizes=(16,), max_iter=50)
    kwargs = dict(methods=("random",), learner=mlp, initial=20, budget=20, cycles=1, seeds=(0, 1))
    with pytest.warns(Warning):  # 50 iterations do not converge; the point is the seeding
        first, again = gcnal.evaluate(x, y, **kwargs), gcnal.evaluate(x, y, **kwargs)
    assert first.settings["task"] == "regression" and not hasattr(mlp, "coefs_")  # a clone is fitted
    assert np.array_equal(first.values("random"), again.values("random"))


def test_regression_refuses_methods_that_need_class_probabilities(friedman):
    with pytest.raises(InvalidParameterError, match="regression learner gives none.*'margin'"):
        gcnal.evaluate(*friedman, methods=("random", "margin"), learner="ridge")


def test_a_budget_schedule_sets_each_cycles_labelled_count(digits):
    result = gcnal.evaluate(*digits, methods=("random", "margin"), initial=10,
                            budget=[5, 15, 30], seeds=(0,))
    assert result.labelled_counts == [10, 15, 30, 60]
    assert [r["labelled"] for r in result.rows if r["method"] == "margin"] == [10, 15, 30, 60]
    assert [len(r["added"]) for r in result.rows if r["method"] == "margin"] == [10, 5, 15, 30]


def test_feature_only_gives_no_method_the_probabilities(digits):
    x, y = digits
    # a budget below the labelled set, so the default blends (a cold start is TypiClust's
    # picks, which read no probs)
    kwargs = dict(methods=("random", "typical_diverse"), initial=10, budget=5, cycles=2, seeds=(0,))
    blind = gcnal.evaluate(x, y, signals=False, **kwargs)
    seen = gcnal.evaluate(x, y, **kwargs)
    picks = lambda result: [r["added"] for r in result.rows  # noqa: E731
                            if r["method"] == "typical_diverse"]
    # the same start; typical_diverse reads probs when given, so it picks otherwise without them
    assert picks(blind)[0] == picks(seen)[0] and picks(blind)[1] != picks(seen)[1]
    assert blind.settings["signals"] is False and seen.settings["signals"] is True
    with pytest.raises(InvalidParameterError, match="signals=False gives none"):
        gcnal.evaluate(x, y, methods=("margin",), signals=False, seeds=(0,))


SCRIPT = """
import sys, numpy as np, gcnal
from sklearn.datasets import load_digits
x, y = load_digits(return_X_y=True)
gcnal.evaluate((x / 16).astype(np.float32), y, methods=("random", "margin", "least_confidence"),
               initial=10, budget=10, cycles=3, seeds=(0, 1, 2, 3), resume=sys.argv[1])
"""


def test_resume_after_a_killed_run_loses_and_duplicates_nothing(tmp_path):
    path = tmp_path / "rows.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(path)])
    deadline = time.time() + 120
    while time.time() < deadline and (not path.exists() or len(path.read_text().splitlines()) < 8):
        time.sleep(0.05)
    proc.kill()  # SIGKILL, mid-run: some curves written, the others not
    proc.wait()
    written = path.read_text().splitlines()
    assert 8 <= len(written) < 48 and len(written) % 4 == 0  # whole curves only
    x, y = sklearn_datasets.load_digits(return_X_y=True)
    kwargs = dict(methods=("random", "margin", "least_confidence"), initial=10, budget=10,
                  cycles=3, seeds=(0, 1, 2, 3))
    resumed = gcnal.evaluate((x / 16).astype(np.float32), y, resume=path, **kwargs)
    fresh = gcnal.evaluate((x / 16).astype(np.float32), y, **kwargs)
    key = lambda r: (r["method"], r["seed"], r["cycle"])  # noqa: E731
    stored = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(stored) == 48 and len({key(r) for r in stored}) == 48
    assert stored[:len(written)] == [json.loads(line) for line in written]
    assert {key(r): r["value"] for r in resumed.rows} == {key(r): r["value"] for r in fresh.rows}
    with pytest.raises(InvalidParameterError, match="'resume'"):
        gcnal.evaluate((x / 16).astype(np.float32), y, resume=path, **dict(kwargs, budget=5))


def test_cli_evaluate_end_to_end(digits, tmp_path, capsys):
    x, y = digits
    np.save(tmp_path / "f.npy", x)
    np.save(tmp_path / "y.npy", y)
    args = ["evaluate", "--features", str(tmp_path / "f.npy"), "--labels", str(tmp_path / "y.npy"),
            "--methods", "random", "margin", "--initial", "10", "--budget", "10", "--cycles", "2",
            "--seeds", "0", "1"]
    assert main(args + ["--out", str(tmp_path / "r.json")]) == 0
    printed = capsys.readouterr().out
    assert "| labelled | random | margin |" in printed
    data = json.loads((tmp_path / "r.json").read_text())
    api = gcnal.evaluate(x, y, methods=("random", "margin"), initial=10, budget=10, cycles=2,
                         seeds=(0, 1))
    assert [r["value"] for r in data["rows"]] == [r["value"] for r in api.rows]
    assert main(args + ["--out", str(tmp_path / "r.md")]) == 0
    tables = lambda text: text.split("Seconds per selection")[0]  # noqa: E731 (times vary)
    assert tables((tmp_path / "r.md").read_text()) == tables(api.to_markdown())
    assert main(args + ["--out", str(tmp_path / "r.csv")]) == 2
    assert "'--out'" in capsys.readouterr().err


def test_cli_evaluate_regression_with_a_schedule(friedman, tmp_path, capsys):
    x, y = friedman
    np.save(tmp_path / "f.npy", x)
    np.save(tmp_path / "y.npy", y)
    args = ["evaluate", "--features", str(tmp_path / "f.npy"), "--labels", str(tmp_path / "y.npy"),
            "--learner", "ridge", "--methods", "random", "coreset", "--initial", "10",
            "--budget", "10", "20", "--seeds", "0", "1", "--out", str(tmp_path / "r.json")]
    assert main(args) == 0
    assert "rmse on the test set" in capsys.readouterr().out
    data = json.loads((tmp_path / "r.json").read_text())
    assert [c["labelled"] for c in data["curves"]["random"]] == [10, 20, 40]
    assert main(args[:-2] + ["--methods", "margin"]) == 2  # needs class probabilities
    assert "'methods'" in capsys.readouterr().err


@pytest.mark.parametrize("change, parameter", [
    (dict(labels="short"), "labels"),
    (dict(initial=10, budget=500, cycles=3), "budget"),
    (dict(methods=("random", "no_such_method")), "methods"),
    (dict(methods=("random", "random")), "methods"),
    (dict(options={"entropy": {"k": 3}}), "options"),
    (dict(test_fraction=1.5), "test_fraction"),
    (dict(seeds=()), "seeds"),
    (dict(initial=0), "initial"),
    (dict(learner="forest"), "learner"),
    (dict(metric="f1"), "metric"),
    (dict(test=np.arange(5000)), "test"),
    (dict(budget=[]), "budget"),
    (dict(budget=[10, 0]), r"budget\[1\]"),
    (dict(budget=[10, 10], cycles=3), "cycles"),
    (dict(task="ranking"), "task"),
    (dict(task="regression"), "learner"),
    (dict(metric="rmse"), "metric"),
    (dict(methods=("bald",)), "methods"),
    (dict(signals="no"), "signals"),
])
def test_bad_input_names_the_parameter(digits, change, parameter):
    x, y = digits
    kwargs = dict(methods=("random",), initial=10, budget=10, cycles=1, seeds=(0,))
    if change.pop("labels", None):
        y = y[:-1]
    kwargs.update(change)
    with pytest.raises(InvalidParameterError, match=f"'{parameter}' parameter of evaluate"):
        gcnal.evaluate(x, y, **kwargs)


def test_unknown_method_lists_the_registered_ones(digits):
    with pytest.raises(UnknownNameError, match="margin"):
        gcnal.evaluate(*digits, methods=("nope",), seeds=(0,))


def test_default_learner_without_scikit_learn_names_the_extra(digits, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.linear_model", None)  # import now fails
    with pytest.raises(gcnal.MissingDependencyError, match=r"gcnal\[demo\]"):
        gcnal.evaluate(*digits, methods=("random",), seeds=(0,))
