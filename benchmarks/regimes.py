r"""Active learning across regimes: which method beats Random where?

    python -m benchmarks.regimes run --studies fmnist_small fmnist_linear --trials 0 1 2
    python -m benchmarks.regimes table

Each study is a pool of fixed feature vectors, a cheap learner retrained
from scratch every cycle, and a labelling schedule. Every learning curve is
one run of the library's own loop, ``gcnal.evaluate`` (the trial is its seed,
the study's test set its test set, the schedule its budgets), so the
benchmark and the library share one loop: methods read the learner's class
probabilities as ``probs`` when they read them (``typical_diverse`` does when
given), never on regression and the ``_features`` studies, where methods that
need them are skipped. ``reproduce`` runs stored rows again from the
settings they record and compares:

    python -m benchmarks.regimes reproduce --study fmnist_linear --methods random margin --trials 0 1 2

``arms`` pairs one method's rows from two ``--results-dir`` folders (the same
method run with and without an option) per trial and cycle:

    python -m benchmarks.regimes arms --reference benchmarks/results/regimes_exact_rerun \
        --candidate benchmarks/results/regimes_ivf --studies cifar_ssl

The studies:

=================== ============================================ ============================= =========
study               pool and features                            learner, schedule             role
=================== ============================================ ============================= =========
``fmnist_small``    5,000 FashionMNIST training images; PCA-64   logistic regression;          dev
                    of the pixels, fitted on the pool            10 + 10 x 8 labels
``fmnist_linear``   the same pool and features                   logistic regression;          dev
                                                                 100 + 100 x 8 labels
``cifar_small``     5,000 CIFAR-10 training images; PCA-64       logistic regression;          held out
                    of the pixels                                20 + 20 x 8 labels
``cifar_imbalanced`` CIFAR-10, classes 0-4 at 1/10 of classes     logistic regression;          held out
                    5-9 (TA-VAAL's ratio 10): 5,500 images       100 + 100 x 6 labels;
                                                                 balanced test set
``friedman``        5,000 draws of scikit-learn's Friedman #1    MLP regressor; RMSE;          held out
                    (10 inputs, 5 informative, noise 1)          20 + 20 x 8 labels
``friedman_dev``    3,000 other draws of Friedman #1             the same                      dev
``friedman3_dev``   3,000 draws of Friedman #3 (4 inputs, noise  the same; targets            dev
                    0.1)                                         standardised
``friedman2``       5,000 draws of Friedman #2 (4 inputs, noise  the same; targets            held out
                    125)                                         standardised
``friedman2_b``     4,000 other draws of Friedman #2, noise 60   the same                      held out
``friedman3``       5,000 other draws of Friedman #3, noise 0.3  the same                      held out
``fmnist_small_``   ``fmnist_small``, feature-only: no method    the same                      dev
``features``        is given the learner's probs
``fmnist_linear_``  ``fmnist_linear``, feature-only              the same                      dev
``features``
``cifar_small_``    ``cifar_small``, feature-only                the same                      held out
``features``
``cifar_imbalanced`` ``cifar_imbalanced``, feature-only           the same                      held out
``_features``
``fmnist_transfer`` 20,000 FashionMNIST training images; 128-d   logistic regression;          dev
                    transfer features of a small CNN trained on  100, 180, 320, 560, 1,000
                    1,000 other labelled training images         labels (geometric)
``cifar_transfer``  20,000 CIFAR-10 training images; the same    logistic regression;          held out
                    features from one CNN trained on 5,000 other 100, 180, 320, 560, 1,000
                    labelled training images                     labels (geometric)
``cifar_ssl``       20,000 CIFAR-10 training images; the 256-d   logistic regression;          held out
                    features of a SimCLR encoder trained on the  100, 180, 320, 560, 1,000
                    training set without labels                  labels (geometric)
                    (:mod:`benchmarks.ssl_encoder`)
``cifar_ssl_small`` ``cifar_ssl``'s pools and features           logistic regression;          held out
                                                                 10 + 10 x 8 labels
``cifar_transfer_`` ``cifar_transfer``'s pools and features      logistic regression;          held out
``small``                                                        20 + 20 x 8 labels
``friedman2_c``     5,000 other draws of Friedman #2, noise 125  MLP regressor; RMSE;          held out
                                                                 20 + 20 x 8 labels
``friedman_c``      4,000 other draws of Friedman #1, noise 1    the same                      held out
=================== ============================================ ============================= =========

PCA is unsupervised (fitted on the pool's pixels, no label): the small-budget
regime's "encoder trained once on the unlabelled pool", the simplest one.
The transfer studies' features (:mod:`benchmarks.transfer`, cached under
``.data/``) are what a user with a small labelled side set has: a CNN
trained on images outside the pool, its penultimate layer standardised with
the pool's statistics.
The benchmark suite's CNN study (``fashion_mnist_fast_cpu``) is the paper
protocol; ``table`` reads it beside these. "dev" studies were used to choose
the recommended method and its defaults; "held out" ones were run only after
that choice was fixed. The last four were added in session 18, after the
default of session 17 was fixed, to test it on pools it has never seen: the
low-budget regime on the realistic features, and a replicate of each
Friedman study family (``friedman2_c`` repeats ``friedman2``'s settings on
new draws, where the default's one loss against the best baseline is).

Rows (one per study, method, trial, cycle; with command, commit, machine,
seed, date; for classification the class spread of the batch picked that
cycle) go to ``benchmarks/results/regimes/<study>/<method>.jsonl`` (the
first studies' rows are in ``<study>.jsonl``), a trial's rows all at once; a
finished (study, method, trial) is skipped when the command is run again.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from gcnal.evaluation.inputs import METRICS
from gcnal.evaluation.learners import resolve_learner
from gcnal.evaluation.seeds import derive_seed
from gcnal.registry import METHODS

from .datasets import load_dataset_once
from .results_io import (append_rows, describe_device, git_commit, load_study, package_versions,
                         read_rows, utc_now)

RESULTS = Path(__file__).resolve().parent / "results" / "regimes"
log = logging.getLogger("benchmarks.regimes")


@dataclass(frozen=True)
class Study:
    """One regime: a pool, its features, a learner and a labelling schedule."""

    name: str
    dataset: str  # "fashion_mnist", "cifar10" or "friedman"
    initial: int
    budget: int
    cycles: int  # selections; the learner is scored cycles + 1 times
    pool: int = 5000
    pca: int = 64
    imbalance: Optional[int] = None  # classes 0-4 at 1/imbalance of classes 5-9
    role: str = "dev"
    features: str = "pca"  # or "transfer" (benchmarks.transfer), "ssl" (benchmarks.ssl_encoder)
    schedule: Tuple[int, ...] = ()  # labelled counts per cycle, when budgets vary
    signals: bool = True  # False: no method is given the learner's probs (feature-only pool)
    draw: int = 2  # friedman*: the tag of the seed the data are drawn with
    noise: float = 1.0  # friedman*: the noise's standard deviation

    def __post_init__(self) -> None:
        if self.schedule and (self.schedule[0] != self.initial or len(self.schedule) != self.cycles + 1):
            raise ValueError(f"{self.name}: schedule {self.schedule} must start at initial={self.initial} "
                             f"and have cycles + 1 = {self.cycles + 1} entries")

    @property
    def task(self) -> str:
        return "regression" if self.dataset.startswith("friedman") else "classification"

    @property
    def labelled_counts(self) -> List[int]:
        """Labelled items at each cycle: ``schedule``, else ``initial + c * budget``."""
        return list(self.schedule) or [self.initial + c * self.budget for c in range(self.cycles + 1)]


STUDIES: Dict[str, Study] = {s.name: s for s in (
    Study("fmnist_small", "fashion_mnist", initial=10, budget=10, cycles=8),
    Study("fmnist_linear", "fashion_mnist", initial=100, budget=100, cycles=8),
    Study("cifar_small", "cifar10", initial=20, budget=20, cycles=8, role="held out"),
    Study("cifar_imbalanced", "cifar10", initial=100, budget=100, cycles=6, pool=5500,
          imbalance=10, role="held out"),
    Study("friedman", "friedman", initial=20, budget=20, cycles=8, role="held out"),
    Study("friedman_dev", "friedman", initial=20, budget=20, cycles=8, pool=3000, draw=7),
    Study("friedman3_dev", "friedman3", initial=20, budget=20, cycles=8, pool=3000, draw=8,
          noise=0.1),
    Study("friedman2", "friedman2", initial=20, budget=20, cycles=8, draw=9, noise=125.0,
          role="held out"),
    Study("friedman2_b", "friedman2", initial=20, budget=20, cycles=8, pool=4000, draw=13,
          noise=60.0, role="held out"),
    Study("friedman3", "friedman3", initial=20, budget=20, cycles=8, draw=14, noise=0.3,
          role="held out"),
    Study("fmnist_small_features", "fashion_mnist", initial=10, budget=10, cycles=8,
          signals=False),
    Study("fmnist_linear_features", "fashion_mnist", initial=100, budget=100, cycles=8,
          signals=False),
    Study("cifar_small_features", "cifar10", initial=20, budget=20, cycles=8, role="held out",
          signals=False),
    Study("cifar_imbalanced_features", "cifar10", initial=100, budget=100, cycles=6, pool=5500,
          imbalance=10, role="held out", signals=False),
    Study("fmnist_transfer", "fashion_mnist", initial=100, budget=0, cycles=4, pool=20000,
          features="transfer", schedule=(100, 180, 320, 560, 1000)),
    Study("cifar_transfer", "cifar10", initial=100, budget=0, cycles=4, pool=20000,
          features="transfer", schedule=(100, 180, 320, 560, 1000), role="held out"),
    Study("cifar_ssl", "cifar10", initial=100, budget=0, cycles=4, pool=20000,
          features="ssl", schedule=(100, 180, 320, 560, 1000), role="held out"),
    Study("cifar_ssl_small", "cifar10", initial=10, budget=10, cycles=8, pool=20000,
          features="ssl", role="held out"),
    Study("cifar_transfer_small", "cifar10", initial=20, budget=20, cycles=8, pool=20000,
          features="transfer", role="held out"),
    Study("friedman2_c", "friedman2", initial=20, budget=20, cycles=8, draw=23, noise=125.0,
          role="held out"),
    Study("friedman_c", "friedman", initial=20, budget=20, cycles=8, pool=4000, draw=24,
          role="held out"),
)}


@dataclass
class Pool:
    """Features and targets of a study's pool and test set, for one trial."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    num_classes: int  # 0 for regression


def _pca_features(pool_pixels: np.ndarray, test_pixels: np.ndarray, dim: int,
                  seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """PCA fitted on the pool's pixels (no labels), then standardised."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=dim, random_state=seed).fit(pool_pixels)
    train, test = pca.transform(pool_pixels), pca.transform(test_pixels)
    scale = train.std(axis=0) + 1e-8
    return (train / scale).astype(np.float32), (test / scale).astype(np.float32)


def _transfer_pool(study: Study, trial: int, data_dir=None) -> Pool:
    """The trial's cached transfer features, standardised with the pool's statistics."""
    from .transfer import ENCODERS, transfer_features

    if ENCODERS[study.dataset].pool != study.pool:
        raise ValueError(f"{study.name}: pool {study.pool} differs from the encoder's "
                         f"{ENCODERS[study.dataset].pool}")
    feats = transfer_features(study.dataset, trial, data_dir=data_dir)
    mean, scale = feats["train_x"].mean(axis=0), feats["train_x"].std(axis=0) + 1e-6
    return Pool(((feats["train_x"] - mean) / scale).astype(np.float32), feats["train_y"],
                ((feats["test_x"] - mean) / scale).astype(np.float32), feats["test_y"],
                int(feats["train_y"].max()) + 1)


def _ssl_pool(study: Study, trial: int, data_dir=None) -> Pool:
    """``study.pool`` CIFAR-10 training images drawn with seed ``trial``, as
    the committed SimCLR encoder's features (cached), standardised with the
    pool's statistics; the whole test set."""
    from .ssl_encoder import cached_features

    features = cached_features(data_dir)
    index = np.sort(np.random.default_rng(derive_seed(trial, 1)).choice(
        len(features["train_y"]), study.pool, replace=False))
    train_x = features["train_x"][index]
    mean, scale = train_x.mean(0), train_x.std(0) + 1e-6
    return Pool(((train_x - mean) / scale).astype(np.float32), features["train_y"][index],
                ((features["test_x"] - mean) / scale).astype(np.float32), features["test_y"], 10)


def _friedman_pool(study: Study, trial: int) -> Pool:
    """``study.pool`` + 5,000 draws of scikit-learn's Friedman problem (#1 for
    ``"friedman"``, #2, #3), inputs standardised with the pool's statistics;
    #2's and #3's targets too (their scales differ by orders of magnitude),
    #1's as they are (the first regression study's rows)."""
    from sklearn import datasets

    make = {"friedman": datasets.make_friedman1, "friedman2": datasets.make_friedman2,
            "friedman3": datasets.make_friedman3}[study.dataset]
    x, y = make(n_samples=study.pool + 5000, noise=study.noise,
                random_state=derive_seed(trial, study.draw))
    mean, std = x[:study.pool].mean(0), x[:study.pool].std(0)
    x = ((x - mean) / std).astype(np.float32)
    if study.dataset != "friedman":
        y = (y - y[:study.pool].mean()) / y[:study.pool].std()
    return Pool(x[:study.pool], y[:study.pool].astype(np.float32), x[study.pool:],
                y[study.pool:].astype(np.float32), 0)


def build_pool(study: Study, trial: int, data_dir=None) -> Pool:
    """The trial's pool (drawn with seed ``trial``) and test set."""
    if study.features == "transfer":
        return _transfer_pool(study, trial, data_dir)
    if study.features == "ssl":
        return _ssl_pool(study, trial, data_dir)
    rng = np.random.default_rng(derive_seed(trial, 1))
    if study.task == "regression":
        return _friedman_pool(study, trial)
    data = load_dataset_once(study.dataset, data_dir)
    labels = data.train_y
    if study.imbalance:
        # 5 m + 5 m / imbalance = pool items: m per class for 5-9, m / imbalance for 0-4
        per_class = study.pool / (5 * (1 + 1 / study.imbalance))
        counts = [round(per_class / study.imbalance)] * 5 + [round(per_class)] * 5
        index = np.concatenate([rng.choice(np.flatnonzero(labels == c), n, replace=False)
                                for c, n in enumerate(counts)])
    else:
        index = rng.choice(len(labels), study.pool, replace=False)
    index = np.sort(index)
    pixels = data.train_x[index].reshape(len(index), -1).astype(np.float32) / 255.0
    test_pixels = data.test_x.reshape(len(data.test_x), -1).astype(np.float32) / 255.0
    train_x, test_x = _pca_features(pixels, test_pixels, study.pca, derive_seed(trial, 3))
    return Pool(train_x, labels[index].astype(np.int64), test_x, data.test_y.astype(np.int64),
                data.num_classes)


def study_learner(task: str):
    """The studies' learner: logistic regression (``gcnal.evaluate``'s
    default) for classification, a two-layer MLP regressor for regression
    (seeded per cycle by ``evaluate``)."""
    if task == "classification":
        return "logistic"
    from sklearn.neural_network import MLPRegressor

    return MLPRegressor(hidden_layer_sizes=(64, 64), alpha=1e-3, max_iter=2000)


def fit_and_score(pool: Pool, labelled: np.ndarray, seed: int) -> Tuple[float, Optional[np.ndarray]]:
    """Train the study's learner on the labelled items as ``gcnal.evaluate``
    does; return its test metric (accuracy, or RMSE for regression) and its
    class probabilities on the pool (``None`` for regression). For loops that
    ``evaluate`` cannot run (another library's selectors)."""
    task = "regression" if pool.num_classes == 0 else "classification"
    classes = None if pool.num_classes == 0 else np.arange(pool.num_classes)
    fit_predict, _ = resolve_learner(study_learner(task), task, classes)
    probs, predictions = fit_predict(pool.train_x[labelled], pool.train_y[labelled],
                                     np.concatenate([pool.train_x, pool.test_x]), seed)
    metric = METRICS["rmse" if pool.num_classes == 0 else "accuracy"]
    n = len(pool.train_x)
    return metric(pool.test_y, predictions[n:]), None if probs is None else probs[:n]


def pick_spread(labels: np.ndarray, num_classes: int) -> Dict[str, float]:
    r"""The class spread of one batch of picks: the largest class's share and
    the entropy of the picked labels, :math:`H = -\sum_c p_c \log_2 p_c` bits
    (:math:`\log_2 C` for a batch spread evenly over the C classes, 0 for a
    batch from one class)."""
    share = np.bincount(labels, minlength=num_classes) / len(labels)
    nonzero = share[share > 0]
    return {"picks_largest_class_share": round(float(share.max()), 4),
            "picks_label_entropy_bits": round(float(-(nonzero * np.log2(nonzero)).sum()), 4),
            "picks_classes": int(len(nonzero))}


def rows_path(results_dir: Path, study: str, method: str) -> Path:
    """Where a (study, method)'s rows go: one file each, so branches adding methods do not collide."""
    return Path(results_dir) / study / f"{method}.jsonl"


def finished(results_dir: Path, study: str, method: str, trial: int) -> bool:
    """Whether the trial's rows exist (a trial's rows are written together), in
    its file or in the study's first-layout ``<study>.jsonl``."""
    paths = (rows_path(results_dir, study, method), Path(results_dir) / f"{study}.jsonl")
    return any(r["method"] == method and r["trial"] == trial for p in paths for r in read_rows(p))


def evaluate_trial(study: Study, pool: Pool, method: str, trial: int,
                   options: Optional[Dict] = None):
    """One learning curve of ``method`` through ``gcnal.evaluate``: the
    trial is the seed (its initial labels, learner seeds and selection
    seeds), the pool's test set is the test set, the study's schedule the
    budgets; ``options`` go to every ``gcnal.select``."""
    import gcnal

    counts = study.labelled_counts
    return gcnal.evaluate(pool.train_x, pool.train_y, methods=(method,),
                          test=(pool.test_x, pool.test_y), learner=study_learner(study.task),
                          initial=study.initial, budget=[b - a for a, b in zip(counts, counts[1:])],
                          seeds=(trial,), signals=study.signals,
                          options={method: options} if options else None)


def study_rows(study: Study, pool: Pool, result, trial: int,
               options: Optional[Dict] = None) -> List[Dict]:
    """``evaluate``'s rows as the study's rows: a row per cycle with the
    selection made after scoring it (its time and, for classification, the
    class spread of its picks) and the provenance, with the method's
    ``options`` when it ran with some (:func:`options_record`)."""
    curve = sorted(result.rows, key=lambda r: r["cycle"])
    stamp = {"seed": trial, "commit": git_commit(), "device": describe_device("cpu"),
             "date": utc_now(), "config": asdict(study), "versions": package_versions(),
             "command": " ".join(["python -m benchmarks.regimes"] + sys.argv[1:])}
    if options:
        stamp["options"] = options_record(options)
    rows = []
    for row, following in zip(curve, curve[1:] + [None]):
        out = {"study": study.name, "role": study.role, "task": study.task,
               "method": row["method"], "trial": trial, "cycle": row["cycle"],
               "labelled": row["labelled"], "metric": result.metric, "value": row["value"],
               "selection_time_s": 0.0, **stamp}
        if following is not None:
            out["selection_time_s"] = round(following["selection_seconds"], 3)
            if pool.num_classes:
                out.update(pick_spread(pool.train_y[following["added"]], pool.num_classes))
        rows.append(out)
    return rows


def runs_on(study: Study, method: str) -> bool:
    """Whether ``method`` can run on the study: one that needs the learner's
    class probabilities cannot on a regression or feature-only study."""
    spec = METHODS.resolve(method)
    return not (spec.signal == "probs" and spec.signal_required
                and (study.task == "regression" or not study.signals))


def run_trial(study: Study, pool: Pool, method: str, trial: int, path: Path,
              options: Optional[Dict] = None) -> None:
    """One learning curve (:func:`evaluate_trial`), its rows written
    together to ``path``; skipped when they are there already or when the
    method cannot run on the study (:func:`runs_on`)."""
    if any(r["method"] == method and r["trial"] == trial for r in read_rows(path)):
        return  # a trial's rows are written together, so it is finished
    if not runs_on(study, method):
        log.info("%s: %s needs class probabilities; skipped on a %s", study.name, method,
                 "regression task" if study.task == "regression" else "feature-only study")
        return
    rows = study_rows(study, pool, evaluate_trial(study, pool, method, trial, options), trial,
                      options)
    append_rows(path, rows)
    log.info("%s %s trial %d: %s", study.name, method, trial, [round(r["value"], 3) for r in rows])


# ---------------------------------------------------------------- the table

#: The benchmark suite's CNN study, read as the paper-protocol regime.
PAPER_STUDY = ("paper_protocol", Path(__file__).resolve().parent / "results" / "fashion_mnist_fast_cpu")


def _paper_rows() -> List[Dict]:
    name, folder = PAPER_STUDY
    return [{"study": name, "role": "held out", "method": r["method"], "trial": r["trial"],
             "labelled": r["labelled"], "metric": "accuracy", "value": r["accuracy"]}
            for r in load_study(folder)]


def load_rows(results: Path = RESULTS) -> List[Dict]:
    """Every regime row under ``results``, plus, for the committed studies,
    the paper-protocol study's."""
    paper = Path(results).resolve() == RESULTS.resolve()
    return load_study(results) + (_paper_rows() if paper else [])


#: The simple baselines the default must not be behind: per study, the one
#: with the best mean metric over the compared cycles is "the best baseline".
BASELINES = ("margin", "badge", "typiclust", "cluster_margin")


def compare(rows: List[Dict], reference: Dict[str, str]) -> Dict[Tuple[str, str], Dict]:
    """Per (study, method): the paired difference to the study's ``reference``
    method at each labelled count after the first (percentage points of
    accuracy; for RMSE, the reference's minus the method's, so positive is
    better everywhere), its 95% t-interval and paired t-test p, and wins /
    ties / losses (interval above / containing / below 0; each cycle's
    ``outcome``). Studies without a reference are left out."""
    from .report import mean_ci, paired_p_value

    values: Dict[Tuple[str, str, int], Dict[int, float]] = {}
    for r in rows:
        values.setdefault((r["study"], r["method"], r["labelled"]), {})[r["trial"]] = r["value"]
    metrics = study_metrics(rows)
    first = {}
    for (study, _, labelled) in values:
        first[study] = min(first.get(study, labelled), labelled)
    out: Dict[Tuple[str, str], Dict] = {}
    for (study, method, labelled), by_trial in sorted(values.items()):
        if study not in reference:
            continue
        base = values.get((study, reference[study], labelled), {})
        trials = sorted(set(by_trial) & set(base))
        if method == reference[study] or labelled == first[study] or len(trials) < 2:
            continue
        sign = -1.0 if metrics[study] == "rmse" else 100.0
        diffs = [sign * (by_trial[t] - base[t]) for t in trials]
        mean, half, n = mean_ci(diffs)
        entry = out.setdefault((study, method), {"wins": 0, "ties": 0, "losses": 0, "cycles": []})
        outcome = "wins" if mean - half > 0 else "losses" if mean + half < 0 else "ties"
        entry[outcome] += 1
        entry["cycles"].append({"labelled": labelled, "diff": mean, "half": half, "n": n,
                                "p": paired_p_value(diffs), "outcome": outcome})
    return out


def compare_arms(reference: Path, candidate: Path, method: str,
                 studies: Sequence[str]) -> Dict[Tuple[str, str], Dict]:
    """:func:`compare` of one ``method``'s rows from two results folders
    (e.g. the same method with and without an option, each run with its own
    ``--results-dir``), paired per study, trial and labelled count: the
    ``candidate`` arm's difference to the ``reference`` arm's."""
    rows = [dict(row, method=arm) for arm, folder in (("reference", reference),
                                                       ("candidate", candidate))
            for row in load_study(folder) if row["method"] == method and row["study"] in studies]
    return compare(rows, {study: "reference" for study in studies})


def render_arms(comparison: Dict[Tuple[str, str], Dict], studies: Sequence[str]) -> str:
    """:func:`compare_arms` as a markdown table: per study, each cycle's
    paired difference with its 95% interval, and the wins / ties / losses."""
    lines = ["| study | per cycle: labelled, candidate - reference (95% interval, trials) | W/T/L |",
             "| --- | --- | --- |"]
    for study in studies:
        entry = comparison.get((study, "candidate"))
        if entry is None:
            lines.append(f"| {study} | no paired rows | |")
            continue
        cycles = "; ".join(f"{c['labelled']}: {c['diff']:+.2f} ± {c['half']:.2f} (n={c['n']})"
                           for c in entry["cycles"])
        lines.append(f"| {study} | {cycles} | {entry['wins']}/{entry['ties']}/{entry['losses']} |")
    return "\n".join(lines)


def compare_to_random(rows: List[Dict]) -> Dict[Tuple[str, str], Dict]:
    """:func:`compare` against Random on every study."""
    return compare(rows, {r["study"]: "random" for r in rows})


def best_baselines(rows: List[Dict], candidates: Sequence[str] = BASELINES) -> Dict[str, str]:
    """Per study, the candidate with the best mean metric (highest accuracy,
    lowest RMSE) over the labelled counts after the first and the trials it
    shares with Random, among the candidates run with at least two trials."""
    metrics, means = study_metrics(rows), {}
    first: Dict[str, int] = {}
    for r in rows:
        first[r["study"]] = min(first.get(r["study"], r["labelled"]), r["labelled"])
    random_trials = {(r["study"], r["trial"]) for r in rows if r["method"] == "random"}
    for r in rows:
        if (r["method"] in candidates and r["labelled"] != first[r["study"]]
                and (r["study"], r["trial"]) in random_trials):
            means.setdefault((r["study"], r["method"]), []).append((r["trial"], r["value"]))
    best: Dict[str, Tuple[float, str]] = {}
    for (study, method), values in means.items():
        if len({t for t, _ in values}) < 2:
            continue
        score = float(np.mean([v for _, v in values])) * (-1 if metrics[study] == "rmse" else 1)
        if study not in best or score > best[study][0]:
            best[study] = (score, method)
    return {study: method for study, (_, method) in best.items()}


def study_metrics(rows: List[Dict]) -> Dict[str, str]:
    """Each study's metric (``"accuracy"`` or ``"rmse"``)."""
    return {r["study"]: r["metric"] for r in rows}


def _studies_in_order(present) -> List[str]:
    known = list(STUDIES) + [PAPER_STUDY[0]]
    return [s for s in known if s in present] + sorted(set(present) - set(known))


def _wtl_table(rows: List[Dict], comparison: Dict[Tuple[str, str], Dict], studies: List[str],
               reference: Dict[str, str]) -> List[str]:
    from .report import METHOD_NAMES, _order

    metrics = study_metrics(rows)
    roles = {r["study"]: r["role"] for r in rows}
    trials = {s: len({r["trial"] for r in rows if r["study"] == s and r["method"] == "random"})
              for s in studies}
    head = "| method | " + " | ".join(f"{s} ({roles[s]}, n={trials[s]})" for s in studies) + \
        " | total W/T/L |"
    lines = [head, "|" + "---|" * (len(studies) + 2)]
    methods = _order({m for (_, m) in comparison} | {reference[s] for s in studies if s in reference})
    for method in methods:
        cells, total = [], np.zeros(3, dtype=int)
        for study in studies:
            entry = comparison.get((study, method))
            if entry is None:
                cells.append("(reference)" if reference.get(study) == method else "")
                continue
            wtl = np.array([entry["wins"], entry["ties"], entry["losses"]])
            total += wtl
            mean = np.mean([c["diff"] for c in entry["cycles"]])
            unit = "" if metrics[study] == "rmse" else " pp"
            cells.append(f"{wtl[0]}/{wtl[1]}/{wtl[2]} ({mean:+.2f}{unit})")
        name = METHOD_NAMES.get(method, method)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {total[0]}/{total[1]}/{total[2]} |")
    return lines


def render_table(rows: List[Dict]) -> str:
    """Markdown: one row per method, one column per study, each cell
    ``W/T/L`` against Random with the mean difference over cycles."""
    comparison = compare_to_random(rows)
    studies = _studies_in_order({study for (study, _) in comparison})
    return "\n".join(_wtl_table(rows, comparison, studies, {s: "random" for s in studies}))


def render_best_table(rows: List[Dict]) -> str:
    """Markdown: the same table against each study's best simple baseline
    (:func:`best_baselines`), named under the table."""
    from .report import METHOD_NAMES

    best = best_baselines(rows)
    comparison = compare(rows, best)
    studies = _studies_in_order({study for (study, _) in comparison})
    named = ", ".join(f"{s}: {METHOD_NAMES.get(best[s], best[s])}" for s in studies)
    return "\n".join(_wtl_table(rows, comparison, studies, best) + ["", f"Best baseline per study: {named}."])


def holm_cycles(comparison: Dict[Tuple[str, str], Dict], method: str) -> List[Tuple[str, Dict, float]]:
    """``method``'s cycles in ``comparison`` as ``(study, cycle, p_holm)``:
    each cycle with Holm's adjusted p over all of them
    (:func:`~benchmarks.report.holm_adjusted`: the smallest family-wise
    error rate at which it would still count among those cycles)."""
    from .report import holm_adjusted

    cycles = [(study, c) for (study, m), entry in comparison.items() if m == method
              for c in entry["cycles"]]
    adjusted = holm_adjusted([c["p"] for _, c in cycles])
    return [(study, c, p_holm) for (study, c), p_holm in zip(cycles, adjusted)]


def render_losses(rows: List[Dict], method: str) -> str:
    """Markdown list: every cycle where ``method`` is significantly behind
    Random or the study's best baseline (the interval below 0), with its p
    and Holm's adjusted p over all of the method's cycles in that comparison
    (:func:`holm_cycles`)."""
    from .report import METHOD_NAMES

    best = best_baselines(rows)
    out = []
    for label, comparison, reference in (("Random", compare_to_random(rows), None),
                                         ("the best baseline", compare(rows, best), best)):
        cycles = holm_cycles(comparison, method)
        for study, c, p_holm in cycles:
            if c["outcome"] == "losses":
                against = label if reference is None else METHOD_NAMES.get(reference[study],
                                                                            reference[study])
                out.append(f"- {study}, {c['labelled']:,} labelled: {c['diff']:+.2f} "
                           f"[{c['diff'] - c['half']:+.2f}, {c['diff'] + c['half']:+.2f}] against "
                           f"{against} (p = {c['p']:.3f}; Holm over the {len(cycles)} cycles: "
                           f"{p_holm:.2f})")
    name = METHOD_NAMES.get(method, method)
    return "\n".join(out) if out else f"- {name} has no significant loss against Random or the best baseline."


def render_loss_counts(rows: List[Dict], alpha: float = 0.05) -> str:
    """Markdown: per method, its significant losses against Random and
    against the best baseline, per cycle (the paired 95% interval below 0)
    and after Holm's correction over the method's cycles in that comparison
    (adjusted p at most ``alpha``): with many near-tied cycles a few
    per-cycle losses are expected by chance alone (about 2.5% of a true
    tie's cycles), so the second count is the family-wise one."""
    from .report import METHOD_NAMES, _order

    comparisons = (compare_to_random(rows), compare(rows, best_baselines(rows)))
    lines = ["| method | against Random: losses per cycle / after Holm (cycles) "
             "| against the best baseline: losses per cycle / after Holm (cycles) |",
             "|---|---|---|"]
    for method in _order({m for comparison in comparisons for (_, m) in comparison}):
        cells = []
        for comparison in comparisons:
            cycles = holm_cycles(comparison, method)
            losses = [p for _, c, p in cycles if c["outcome"] == "losses"]
            cells.append(f"{len(losses)} / {sum(p <= alpha for p in losses)} ({len(cycles)})"
                         if cycles else "")
        lines.append(f"| {METHOD_NAMES.get(method, method)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_spread(rows: List[Dict]) -> str:
    """Markdown: per study, the class spread of each method's batches (mean
    over trials of the largest class's share, and of the picked labels'
    entropy in bits) at each cycle, labelled by the count it was picked at."""
    from .report import METHOD_NAMES, _order

    spread: Dict[Tuple[str, str, int], List[Tuple[float, float]]] = {}
    for r in rows:
        if "picks_largest_class_share" in r:
            spread.setdefault((r["study"], r["method"], r["labelled"]), []).append(
                (r["picks_largest_class_share"], r["picks_label_entropy_bits"]))
    out = []
    for study in _studies_in_order({s for (s, _, _) in spread}):
        methods = _order({m for (s, m, _) in spread if s == study})
        counts = sorted({n for (s, _, n) in spread if s == study})
        out += [f"### {study}: largest class's share of each batch / entropy of its labels (bits)", "",
                "| picked at | " + " | ".join(METHOD_NAMES.get(m, m) for m in methods) + " |",
                "|" + "---|" * (len(methods) + 1)]
        for n in counts:
            cells = []
            for m in methods:
                values = spread.get((study, m, n))
                cells.append("" if not values else
                             f"{np.mean([v[0] for v in values]):.2f} / {np.mean([v[1] for v in values]):.2f}")
            out.append(f"| {n:,} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def default_method() -> str:
    """The library's default ``method`` of ``gcnal.select``."""
    import inspect

    import gcnal

    return inspect.signature(gcnal.select).parameters["method"].default


def render_report(rows: List[Dict]) -> str:
    """The whole report: both tables, the default's losses, per-cycle details."""
    default = default_method()
    return "\n\n".join([
        "# Across regimes: every method against Random and against the best baseline",
        "## Against Random: wins/ties/losses over cycles (mean gain)", render_table(rows),
        "## Against the best simple baseline (best of " + ", ".join(BASELINES) + " per study, by mean)",
        render_best_table(rows),
        f"## Where the default (`{default}`) loses", render_losses(rows, default),
        "## Significant losses per method: per cycle, and after Holm's correction",
        render_loss_counts(rows),
        "## Class spread of the picked batches", render_spread(rows),
        "## Per-cycle differences to Random", render_details(rows)])


def render_details(rows: List[Dict]) -> str:
    """Markdown: per study, the difference to Random at every labelled count
    for every method, mean [95% t-interval] (``*``: the interval excludes 0)."""
    from .report import METHOD_NAMES, _order

    comparison, metrics = compare_to_random(rows), study_metrics(rows)
    out = []
    for study in dict.fromkeys(s for (s, _) in comparison):
        methods = _order({m for (s, m) in comparison if s == study})
        unit = "RMSE, Random's minus the method's" if metrics[study] == "rmse" \
            else "accuracy, percentage points"
        out += [f"### {study}", "", f"Difference to Random ({unit}):", "",
                "| labelled | " + " | ".join(METHOD_NAMES.get(m, m) for m in methods) + " |",
                "|" + "---|" * (len(methods) + 1)]
        labelled = sorted({c["labelled"] for (s, _), e in comparison.items() if s == study
                           for c in e["cycles"]})
        for n in labelled:
            cells = []
            for m in methods:
                cycle = next((c for c in comparison[(study, m)]["cycles"] if c["labelled"] == n), None)
                if cycle is None:
                    cells.append("")
                    continue
                lo, hi = cycle["diff"] - cycle["half"], cycle["diff"] + cycle["half"]
                cells.append(f"{cycle['diff']:+.2f} [{lo:+.2f}, {hi:+.2f}]"
                             + (" *" if lo > 0 or hi < 0 else ""))
            out.append(f"| {n:,} | " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out)


def reproduce(study_name: str, methods: Sequence[str], trials: Sequence[int],
              results: Path = RESULTS, data_dir=None) -> Tuple[List[Dict], List[Dict]]:
    """The stored rows of ``study_name`` for ``methods`` and ``trials``, and
    the same curves run again through ``gcnal.evaluate`` with the settings
    the rows record (their ``config`` is the study, their ``options`` the
    method's), for comparison."""
    stored = [r for r in load_study(results) if r["study"] == study_name
              and r["method"] in methods and r["trial"] in trials]
    # rows written before a field existed lack it: its default is what they ran with
    studies = {Study(**{k: tuple(v) if isinstance(v, list) else v for k, v in r["config"].items()})
               for r in stored}
    if len(studies) != 1:
        raise SystemExit(f"{study_name}: {len(studies)} settings among the stored rows of "
                         f"{list(methods)}, trials {list(trials)}; need exactly one")
    study = studies.pop()
    options = {}
    for method in methods:  # rows written before options were recorded ran without
        recorded = {json.dumps(r.get("options", {}), sort_keys=True) for r in stored
                    if r["method"] == method}
        if len(recorded) > 1:
            raise SystemExit(f"{study_name}: {method}'s stored rows ran with {len(recorded)} "
                             f"sets of options; reproduce one at a time (--trials)")
        options[method] = options_json(recorded.pop()) if recorded else {}
    fresh: List[Dict] = []
    for trial in trials:
        pool = build_pool(study, trial, data_dir)
        for method in methods:
            if runs_on(study, method):
                result = evaluate_trial(study, pool, method, trial, options[method] or None)
                fresh += study_rows(study, pool, result, trial, options[method])
    return stored, fresh


def render_reproduction(stored: List[Dict], fresh: List[Dict],
                        atol: float = 0.0) -> Tuple[str, bool]:
    """Markdown: both wins/ties/losses tables and, per method, how many
    values are identical and the largest difference; ``True`` when every
    value is within ``atol`` and the wins/ties/losses are the same (a value
    within ``atol`` can still move a mean's last printed digit)."""
    old = {(r["method"], r["trial"], r["cycle"]): r["value"] for r in stored}
    new = {(r["method"], r["trial"], r["cycle"]): r["value"] for r in fresh}
    lines = ["Stored rows:", "", render_table(stored), "",
             "Run again through gcnal.evaluate:", "", render_table(fresh), ""]
    ok = set(old) == set(new)
    for method in dict.fromkeys(k[0] for k in sorted(old)):
        keys = [k for k in old if k[0] == method and k in new]
        gaps = [abs(old[k] - new[k]) for k in keys]
        worst = max(gaps, default=float("nan"))
        ok &= worst <= atol
        lines.append(f"- {method}: {sum(g == 0.0 for g in gaps)} of {len(keys)} values identical, "
                     f"largest |evaluate - stored| = {worst:.2e}")
    tables = render_table(stored), render_table(fresh)
    counts_equal = _without_means(tables[0]) == _without_means(tables[1])
    lines.append(f"- tables identical: {tables[0] == tables[1]}")
    lines.append(f"- wins/ties/losses identical: {counts_equal}")
    return "\n".join(lines), ok and counts_equal


def _without_means(table: str) -> str:
    """A wins/ties/losses table without its mean differences, e.g. the
    ``(+2.48 pp)`` of a cell."""
    return re.sub(r" \([+-]?[0-9.]+(?: pp)?\)", "", table)


def options_json(text: str) -> Dict:
    """``--options``' JSON object, a ``compute_dtype`` given by its torch
    name (``"bfloat16"``) made that dtype, which JSON cannot write."""
    options = json.loads(text)
    name = options.get("compute_dtype") if isinstance(options, dict) else None
    if isinstance(name, str):
        if not isinstance(getattr(torch, name, None), torch.dtype):
            raise argparse.ArgumentTypeError(f"compute_dtype: a torch dtype name such as "
                                             f"'bfloat16', not {name!r}")
        options["compute_dtype"] = getattr(torch, name)
    return options


def options_record(options: Dict) -> Dict:
    """:func:`options_json`'s inverse: ``options`` as JSON can write them,
    a torch dtype by its name."""
    return {k: str(v).replace("torch.", "") if isinstance(v, torch.dtype) else v
            for k, v in options.items()}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.regimes", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run studies (resumable)")
    run.add_argument("--studies", nargs="+", default=list(STUDIES), choices=list(STUDIES))
    run.add_argument("--methods", nargs="+", default=["random", "coreset", "uncertain_gcn",
                                                      "core_gcn", "entropy", "margin", "typiclust",
                                                      "least_confidence", "probcover", "featprop", "typical_diverse"])
    run.add_argument("--trials", nargs="+", type=int, default=[0, 1, 2])
    run.add_argument("--data-dir", default=None)
    run.add_argument("--threads", type=int, default=1)
    run.add_argument("--results-dir", type=Path, default=RESULTS)
    run.add_argument("--options", type=options_json, default=None,
                     help="JSON options={...} for every selection, e.g. '{\"early_stop\": 0.99}' "
                          "or '{\"compute_dtype\": \"bfloat16\"}' (give the arm its own "
                          "--results-dir: rows keep the method's name)")
    check = sub.add_parser("reproduce", help="run stored rows again through gcnal.evaluate and "
                                             "compare (exit 1 when any number differs)")
    check.add_argument("--study", default="fmnist_small", choices=list(STUDIES))
    check.add_argument("--methods", nargs="+", default=["random", "margin"])
    check.add_argument("--trials", nargs="+", type=int, default=[0, 1, 2])
    check.add_argument("--data-dir", default=None)
    check.add_argument("--results-dir", type=Path, default=RESULTS,
                       help="where the stored rows are (default: the committed ones)")
    check.add_argument("--atol", type=float, default=0.0,
                       help="largest difference of a value accepted (default: 0, identical)")
    table = sub.add_parser("table", help="print the wins/ties/losses table")
    table.add_argument("--report", type=Path, default=None,
                       help="also write it with every study's per-cycle intervals here")
    table.add_argument("--results-dir", type=Path, default=RESULTS,
                       help="the rows to tabulate (default: the committed studies)")
    arms = sub.add_parser("arms", help="one method's rows from two --results-dir arms, paired "
                                       "per trial and cycle (candidate minus reference)")
    arms.add_argument("--method", default="typical_diverse")
    arms.add_argument("--reference", type=Path, required=True, help="the reference arm's rows")
    arms.add_argument("--candidate", type=Path, required=True, help="the candidate arm's rows")
    arms.add_argument("--studies", nargs="+", default=list(STUDIES), choices=list(STUDIES))
    args = parser.parse_args(argv)
    if args.command == "arms":
        print(render_arms(compare_arms(args.reference, args.candidate, args.method, args.studies),
                          args.studies))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if args.command == "table":
        rows = load_rows(args.results_dir)
        print(render_report(rows).split("\n\n### ")[0])
        if args.report:
            args.report.write_text(render_report(rows) + "\n")
        return 0
    if args.command == "reproduce":
        torch.set_num_threads(1)
        text, same = render_reproduction(*reproduce(args.study, args.methods, args.trials,
                                                    args.results_dir, args.data_dir), args.atol)
        print(text)
        return 0 if same else 1
    torch.set_num_threads(args.threads)
    pools: Dict[Tuple[str, int], Pool] = {}
    # method by method, every study and trial of one before the next: an
    # interrupted run leaves whole methods, each with all their trials
    for method in args.methods:
        for name in args.studies:
            for trial in args.trials:
                if finished(args.results_dir, name, method, trial):
                    continue
                if (name, trial) not in pools:
                    pools[(name, trial)] = build_pool(STUDIES[name], trial, args.data_dir)
                run_trial(STUDIES[name], pools[(name, trial)], method, trial,
                          rows_path(args.results_dir, name, method), args.options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
