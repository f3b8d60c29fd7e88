r"""Active learning across regimes: which method beats Random where?

    python -m benchmarks.regimes run --studies fmnist_small fmnist_linear --trials 0 1 2
    python -m benchmarks.regimes table

Each study is a pool of fixed feature vectors, a cheap learner retrained
from scratch every cycle, and a labelling schedule; every method picks through
``gcnal.select`` (with the learner's class probabilities as ``probs`` when the
method reads them, and always for ``typical_diverse``, which uses them when
given). The studies:

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
``cifar_ssl``       20,000 CIFAR-10 training images; the 256-d   logistic regression;          held out
                    features of a SimCLR encoder trained on the  100 + 100 x 9 labels
                    training set without labels
                    (:mod:`benchmarks.ssl_encoder`)
=================== ============================================ ============================= =========

PCA is unsupervised (fitted on the pool's pixels, no label): the small-budget
regime's "encoder trained once on the unlabelled pool", the simplest one.
The benchmark suite's CNN study (``fashion_mnist_fast_cpu``) is the paper
protocol; ``table`` reads it beside these. "dev" studies were used to choose
the recommended method and its defaults; "held out" ones were run only after
that choice was fixed.

Rows (one per study, method, trial, cycle; with command, commit, machine,
seed, date) go to ``benchmarks/results/regimes/<study>.jsonl``, a trial's
rows all at once; a finished (study, method, trial) is skipped when the
command is run again.
"""
from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from gcnal.registry import METHODS

from .datasets import load_dataset
from .results_io import append_rows, describe_device, git_commit, load_study, read_rows, utc_now
from .selection import method_signal, select_batch

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
    features: str = "pca"  # or "ssl" (benchmarks.ssl_encoder)

    @property
    def task(self) -> str:
        return "regression" if self.dataset == "friedman" else "classification"


STUDIES: Dict[str, Study] = {s.name: s for s in (
    Study("fmnist_small", "fashion_mnist", initial=10, budget=10, cycles=8),
    Study("fmnist_linear", "fashion_mnist", initial=100, budget=100, cycles=8),
    Study("cifar_small", "cifar10", initial=20, budget=20, cycles=8, role="held out"),
    Study("cifar_imbalanced", "cifar10", initial=100, budget=100, cycles=6, pool=5500,
          imbalance=10, role="held out"),
    Study("friedman", "friedman", initial=20, budget=20, cycles=8, role="held out"),
    Study("cifar_ssl", "cifar10", initial=100, budget=100, cycles=9, pool=20000, role="held out",
          features="ssl"),
)}


@dataclass
class Pool:
    """Features and targets of a study's pool and test set, for one trial."""

    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    num_classes: int  # 0 for regression


def _seed(trial: int, tag: int) -> int:
    return int(np.random.SeedSequence([trial, tag]).generate_state(1)[0] & 0x7FFFFFFF)


def _pca_features(pool_pixels: np.ndarray, test_pixels: np.ndarray, dim: int,
                  seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """PCA fitted on the pool's pixels (no labels), then standardised."""
    from sklearn.decomposition import PCA

    pca = PCA(n_components=dim, random_state=seed).fit(pool_pixels)
    train, test = pca.transform(pool_pixels), pca.transform(test_pixels)
    scale = train.std(axis=0) + 1e-8
    return (train / scale).astype(np.float32), (test / scale).astype(np.float32)


def _ssl_pool(study: Study, trial: int, data_dir=None) -> Pool:
    """``study.pool`` CIFAR-10 training images drawn with seed ``trial``, as
    the committed SimCLR encoder's features (cached), standardised with the
    pool's statistics; the whole test set."""
    from .ssl_encoder import cached_features

    features = cached_features(data_dir)
    index = np.sort(np.random.default_rng(_seed(trial, 1)).choice(
        len(features["train_y"]), study.pool, replace=False))
    train_x = features["train_x"][index]
    mean, scale = train_x.mean(0), train_x.std(0) + 1e-8
    return Pool(((train_x - mean) / scale).astype(np.float32), features["train_y"][index],
                ((features["test_x"] - mean) / scale).astype(np.float32), features["test_y"], 10)


def build_pool(study: Study, trial: int, data_dir=None) -> Pool:
    """The trial's pool (drawn with seed ``trial``) and test set."""
    if study.features == "ssl":
        return _ssl_pool(study, trial, data_dir)
    rng = np.random.default_rng(_seed(trial, 1))
    if study.dataset == "friedman":
        from sklearn.datasets import make_friedman1

        x, y = make_friedman1(n_samples=study.pool + 5000, noise=1.0, random_state=_seed(trial, 2))
        mean, std = x[:study.pool].mean(0), x[:study.pool].std(0)
        x = ((x - mean) / std).astype(np.float32)
        return Pool(x[:study.pool], y[:study.pool].astype(np.float32), x[study.pool:],
                    y[study.pool:].astype(np.float32), 0)
    data = load_dataset(study.dataset, data_dir)
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
    train_x, test_x = _pca_features(pixels, test_pixels, study.pca, _seed(trial, 3))
    return Pool(train_x, labels[index].astype(np.int64), test_x, data.test_y.astype(np.int64),
                data.num_classes)


def fit_and_score(pool: Pool, labelled: np.ndarray, seed: int) -> Tuple[float, Optional[np.ndarray]]:
    """Train the study's learner on the labelled items; return its test metric
    (accuracy, or RMSE for regression) and its class probabilities on the pool
    (``None`` for regression)."""
    x, y = pool.train_x[labelled], pool.train_y[labelled]
    if pool.num_classes == 0:
        from sklearn.neural_network import MLPRegressor

        model = MLPRegressor(hidden_layer_sizes=(64, 64), alpha=1e-3, max_iter=2000,
                             random_state=seed).fit(x, y)
        rmse = float(np.sqrt(np.mean((model.predict(pool.test_x) - pool.test_y) ** 2)))
        return rmse, None
    from sklearn.linear_model import LogisticRegression

    seen = np.unique(y)
    probs = np.zeros((len(pool.train_x), pool.num_classes), dtype=np.float64)
    if len(seen) == 1:  # one class seen: the learner predicts it everywhere
        probs[:, seen[0]] = 1.0
        return float(np.mean(pool.test_y == seen[0])), probs
    model = LogisticRegression(max_iter=2000, C=1.0).fit(x, y)
    probs[:, model.classes_] = model.predict_proba(pool.train_x)
    accuracy = float(np.mean(model.predict(pool.test_x) == pool.test_y))
    return accuracy, probs


def run_trial(study: Study, pool: Pool, method: str, trial: int, path: Path) -> None:
    """One learning curve: initial random labels (the same for every method of
    the trial), then ``cycles`` selections of ``budget`` items."""
    if any(r["method"] == method and r["trial"] == trial for r in read_rows(path)):
        return  # a trial's rows are written together, so it is finished
    reads_probs = method_signal(method) == "probs"
    if pool.num_classes == 0 and reads_probs and METHODS.resolve(method).signal_required:
        log.info("%s: %s needs class probabilities; skipped on a regression task", study.name, method)
        return
    rng = np.random.default_rng(_seed(trial, 4))
    labelled = np.zeros(len(pool.train_x), dtype=bool)
    labelled[rng.choice(len(labelled), study.initial, replace=False)] = True
    rows = []
    for cycle in range(study.cycles + 1):
        metric, probs = fit_and_score(pool, np.flatnonzero(labelled), _seed(trial, 10 + cycle))
        row = {"study": study.name, "role": study.role, "task": study.task, "method": method,
               "trial": trial, "cycle": cycle, "labelled": int(labelled.sum()),
               "metric": "rmse" if study.task == "regression" else "accuracy", "value": metric,
               "selection_time_s": 0.0, "seed": trial, "commit": git_commit(),
               "device": describe_device("cpu"), "date": utc_now(), "config": asdict(study),
               "command": " ".join(["python -m benchmarks.regimes"] + sys.argv[1:])}
        if cycle < study.cycles:
            signal = {"probs": probs} if probs is not None and reads_probs else {}
            picks, _, seconds, _ = select_batch(method, pool.train_x, labelled, study.budget,
                                                seed=_seed(trial, 100 + cycle), **signal)
            row["selection_time_s"] = round(seconds, 3)
            if labelled[picks].any() or len(np.unique(picks)) != study.budget:
                raise RuntimeError(f"{method} returned labelled or repeated items")
            labelled[picks] = True
        rows.append(row)
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
    """Every regime row, plus the paper-protocol study's."""
    return load_study(results) + _paper_rows()


def compare_to_random(rows: List[Dict]) -> Dict[Tuple[str, str], Dict]:
    """Per (study, method): the paired difference to Random at each labelled
    count after the first (percentage points of accuracy; for RMSE, Random's
    minus the method's, so positive is better everywhere), its 95% t-interval,
    and wins / ties / losses (interval above / containing / below 0)."""
    from .report import mean_ci

    values: Dict[Tuple[str, str, int], Dict[int, float]] = {}
    for r in rows:
        values.setdefault((r["study"], r["method"], r["labelled"]), {})[r["trial"]] = r["value"]
    metrics = study_metrics(rows)
    first = {}
    for (study, _, labelled) in values:
        first[study] = min(first.get(study, labelled), labelled)
    out: Dict[Tuple[str, str], Dict] = {}
    for (study, method, labelled), by_trial in sorted(values.items()):
        base = values.get((study, "random", labelled), {})
        trials = sorted(set(by_trial) & set(base))
        if method == "random" or labelled == first[study] or len(trials) < 2:
            continue
        sign = -1.0 if metrics[study] == "rmse" else 100.0
        diffs = [sign * (by_trial[t] - base[t]) for t in trials]
        mean, half, n = mean_ci(diffs)
        entry = out.setdefault((study, method), {"wins": 0, "ties": 0, "losses": 0, "cycles": []})
        outcome = "wins" if mean - half > 0 else "losses" if mean + half < 0 else "ties"
        entry[outcome] += 1
        entry["cycles"].append({"labelled": labelled, "diff": mean, "half": half, "n": n})
    return out


def study_metrics(rows: List[Dict]) -> Dict[str, str]:
    """Each study's metric (``"accuracy"`` or ``"rmse"``)."""
    return {r["study"]: r["metric"] for r in rows}


def render_table(rows: List[Dict]) -> str:
    """Markdown: one row per method, one column per study, each cell
    ``W/T/L`` against Random with the mean difference over cycles."""
    from .report import METHOD_NAMES, _order

    comparison, metrics = compare_to_random(rows), study_metrics(rows)
    present = {study for (study, _) in comparison}
    known = list(STUDIES) + [PAPER_STUDY[0]]
    studies = [s for s in known if s in present] + sorted(present - set(known))
    roles = {r["study"]: r["role"] for r in rows}
    trials = {s: len({r["trial"] for r in rows if r["study"] == s and r["method"] == "random"})
              for s in studies}
    head = "| method | " + " | ".join(f"{s} ({roles[s]}, n={trials[s]})" for s in studies) + \
        " | total W/T/L |"
    lines = [head, "|" + "---|" * (len(studies) + 2)]
    methods = _order({m for (_, m) in comparison})
    for method in methods:
        cells, total = [], np.zeros(3, dtype=int)
        for study in studies:
            entry = comparison.get((study, method))
            if entry is None:
                cells.append("")
                continue
            wtl = np.array([entry["wins"], entry["ties"], entry["losses"]])
            total += wtl
            mean = np.mean([c["diff"] for c in entry["cycles"]])
            unit = "" if metrics[study] == "rmse" else " pp"
            cells.append(f"{wtl[0]}/{wtl[1]}/{wtl[2]} ({mean:+.2f}{unit})")
        name = METHOD_NAMES.get(method, method)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {total[0]}/{total[1]}/{total[2]} |")
    return "\n".join(lines)


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
    table = sub.add_parser("table", help="print the wins/ties/losses table")
    table.add_argument("--report", type=Path, default=None,
                       help="also write it with every study's per-cycle intervals here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if args.command == "table":
        rows = load_rows()
        print(render_table(rows))
        if args.report:
            args.report.write_text("# Across regimes: difference to Random\n\n" + render_table(rows)
                                   + "\n\n" + render_details(rows))
        return 0
    torch.set_num_threads(args.threads)
    for name in args.studies:
        study = STUDIES[name]
        for trial in args.trials:
            pool = build_pool(study, trial, args.data_dir)
            for method in args.methods:
                run_trial(study, pool, method, trial, args.results_dir / f"{name}.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
