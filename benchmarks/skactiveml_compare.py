r"""gcnal against scikit-activeml: the same study, the same seeds, pick quality and time.

    OMP_NUM_THREADS=1 nice -n 10 python -m benchmarks.skactiveml_compare run --trials 0 1 2 3 4
    python -m benchmarks.skactiveml_compare table

For TypiClust, ProbCover, BADGE and CoreSet, each library runs its own
implementation in one learning curve per trial: the same pool (a study of
:mod:`benchmarks.regimes`, by default ``fmnist_transfer``: FashionMNIST
images as the 128-d penultimate layer of a small CNN trained on other
images, a seeded ``--pool-size`` subset of its 20,000-image pool, because
scikit-activeml's ProbCover holds the :math:`N \times N` distance matrix),
the same initial random labels, the same learner (logistic regression
retrained every cycle, whose test accuracy is the pick quality and whose
class probabilities feed BADGE), then one selection per step of the labelled
schedule (``--labelled``, by default the study's own). Each library is timed on the
What each side gets (each library's defaults otherwise):

============ ============================================ ==============================================
method       gcnal (``gcnal.select``)                     scikit-activeml 1.x (``skactiveml.pool``)
============ ============================================ ==============================================
typiclust    ``typiclust`` on the features (it            ``TypiClust`` on the L2-normalised features;
             L2-normalises them; k = 20, at most 500      sklearn KMeans into ``|L| + b`` clusters, k = 5
             clusters)
probcover    ``probcover`` (L2-normalised, kNN balls),    ``ProbCover`` on the L2-normalised features
             ``num_clusters`` = the number of classes     (its delta grid 0.2 .. 2.0 is for unit-scale
             for the purity estimate of delta             distances), ``n_classes`` = the classes
badge        ``badge`` with the learner's ``probs``       ``Badge`` with the fitted learner
             (factorised distances)                       (``fit_clf=False``; N x C x d embeddings)
coreset      ``coreset`` (k-center greedy)                ``CoreSet``
============ ============================================ ==============================================

Rows (one per library, method, trial, cycle; with command, commit, machine,
seed, date and the versions) go to
``benchmarks/results/skactiveml_compare/<study>__<library>-<method>__trial<t>.jsonl``,
a curve's rows at once; a finished curve is skipped when the command runs
again. ``table`` prints (and ``--report`` writes) the markdown summary.
"""
from __future__ import annotations

import argparse
import logging
import math
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from gcnal.evaluation.seeds import derive_seed

from .regimes import STUDIES, Pool, Study, build_pool, fit_and_score
from .report import mean_ci
from .results_io import (append_rows, describe_device, git_commit, load_study, package_versions,
                         read_rows, result_path, utc_now)
from .selection import select_batch

RESULTS = Path(__file__).resolve().parent / "results" / "skactiveml_compare"
METHODS = ("typiclust", "probcover", "badge", "coreset")
LIBRARIES = ("gcnal", "skactiveml")
log = logging.getLogger("benchmarks.skactiveml_compare")


def _unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _fitted_learner(pool: Pool, labelled: np.ndarray):
    """scikit-activeml's wrapper around the study's learner, fitted on the
    labelled items: the same model :func:`benchmarks.regimes.fit_and_score`
    trains (deterministic lbfgs), so BADGE sees the same probabilities."""
    from sklearn.linear_model import LogisticRegression
    from skactiveml.classifier import SklearnClassifier

    y = np.full(len(pool.train_y), np.nan)
    y[labelled] = pool.train_y[labelled]
    clf = SklearnClassifier(LogisticRegression(max_iter=2000, C=1.0),
                            classes=np.arange(pool.num_classes), missing_label=np.nan)
    return clf.fit(pool.train_x, y), y


def select_skactiveml(method: str, pool: Pool, labelled: np.ndarray, budget: int,
                      seed: int) -> tuple:
    """scikit-activeml's picks and the wall time of its ``query`` call."""
    from skactiveml.pool import Badge, CoreSet, ProbCover, TypiClust

    clf, y = _fitted_learner(pool, labelled)
    if method == "badge":
        strategy, x, extra = Badge(random_state=seed), pool.train_x, {"clf": clf, "fit_clf": False}
    elif method == "coreset":
        strategy, x, extra = CoreSet(random_state=seed), pool.train_x, {}
    elif method == "typiclust":
        strategy, x, extra = TypiClust(random_state=seed), _unit_rows(pool.train_x), {}
    elif method == "probcover":
        strategy = ProbCover(n_classes=pool.num_classes, random_state=seed)
        x, extra = _unit_rows(pool.train_x), {}
    else:
        raise ValueError(method)
    start = time.perf_counter()
    picks = strategy.query(x, y, batch_size=budget, **extra)
    return np.asarray(picks, dtype=np.int64), time.perf_counter() - start


def select_gcnal(method: str, pool: Pool, labelled: np.ndarray, budget: int, seed: int,
                 probs: np.ndarray) -> tuple:
    """gcnal's picks and the wall time of its ``select`` call."""
    options = {"num_clusters": pool.num_classes} if method == "probcover" else None
    picks, _, seconds, _ = select_batch(method, pool.train_x, labelled, budget, seed=seed,
                                        probs=probs, options=options)
    return picks, seconds


def subsample(pool: Pool, size: Optional[int], trial: int) -> Pool:
    """A seeded subset of ``size`` pool items (the test set unchanged); the
    whole pool for ``None`` or a size at least the pool's."""
    if size is None or size >= len(pool.train_x):
        return pool
    rng = np.random.default_rng(derive_seed(trial, 7))
    keep = np.sort(rng.choice(len(pool.train_x), size, replace=False))
    return Pool(pool.train_x[keep], pool.train_y[keep], pool.test_x, pool.test_y,
                pool.num_classes)


def run_curve(study: Study, pool: Pool, library: str, method: str, trial: int,
              counts: Sequence[int], path: Path) -> None:
    """One learning curve: ``counts[0]`` random labels (the same for every
    curve of the trial), then one selection per step up to each next count."""
    if read_rows(path):
        return  # a curve's rows are written together, so it is finished
    rng = np.random.default_rng(derive_seed(trial, 4))
    labelled = np.zeros(len(pool.train_x), dtype=bool)
    labelled[rng.choice(len(labelled), counts[0], replace=False)] = True
    rows: List[Dict] = []
    for cycle, count in enumerate(counts):
        accuracy, probs = fit_and_score(pool, np.flatnonzero(labelled), derive_seed(trial, 10 + cycle))
        row = {"study": study.name, "library": library, "method": method, "trial": trial,
               "cycle": cycle, "labelled": int(labelled.sum()), "accuracy": accuracy,
               "selection_time_s": None, "seed": trial, "commit": git_commit(),
               "machine": describe_device("cpu"), "date": utc_now(),
               "command": " ".join(["python -m benchmarks.skactiveml_compare"] + sys.argv[1:]),
               "config": {"pool": study.name, "pool_size": len(pool.train_x),
                          "labelled": list(counts), "features": study.features},
               "versions": package_versions(("gcnal", "scikit-activeml", "scikit-learn", "torch"))}
        if cycle + 1 < len(counts):
            budget, seed = counts[cycle + 1] - count, derive_seed(trial, 100 + cycle)
            if library == "gcnal":
                picks, seconds = select_gcnal(method, pool, labelled, budget, seed, probs)
            else:
                picks, seconds = select_skactiveml(method, pool, labelled, budget, seed)
            if labelled[picks].any() or len(np.unique(picks)) != budget:
                raise RuntimeError(f"{library} {method} returned labelled or repeated items")
            row["selection_time_s"] = round(seconds, 4)
            row["picks"] = picks.tolist()
            labelled[picks] = True
        rows.append(row)
    append_rows(path, rows)
    log.info("%s %s trial %d: %s, %.2f s/selection", library, method, trial,
             [round(r["accuracy"], 3) for r in rows],
             np.mean([r["selection_time_s"] for r in rows[:-1]]))


def run(study_name: str, methods: Sequence[str], trials: Sequence[int],
        counts: Optional[Sequence[int]], pool_size: Optional[int], data_dir: Optional[str],
        results_dir: Path) -> None:
    study = STUDIES[study_name]
    counts = list(counts or study.labelled_counts)
    for trial in trials:
        pool = subsample(build_pool(study, trial, data_dir), pool_size, trial)
        for method in methods:
            for library in LIBRARIES:
                path = result_path(results_dir, ".", study.name, f"{library}-{method}", trial)
                run_curve(study, pool, library, method, trial, counts, path)


def _by_curve(rows: List[Dict]) -> Dict:
    out: Dict = {}
    for r in rows:
        out.setdefault((r["method"], r["library"]), {}).setdefault(r["trial"], {})[
            r["labelled"]] = r
    return out


def _fmt_ci(values: Sequence[float], scale: float = 1.0, digits: int = 1) -> str:
    mean, half, n = mean_ci([v * scale for v in values])
    if n < 2 or not math.isfinite(half):
        return f"{mean:.{digits}f}"
    return f"{mean:+.{digits}f} [{mean - half:+.{digits}f}, {mean + half:+.{digits}f}]"


def render_table(rows: List[Dict]) -> str:
    """Per study and method: accuracy of each library per labelled count
    (mean over trials), their paired difference (gcnal - scikit-activeml,
    percentage points, 95% t-interval), the median selection time of each
    with their ratio, and the share of picks the two have in common at the
    first selection (the only one made from the same labelled set)."""
    out: List[str] = []
    for study in sorted({r["study"] for r in rows}):
        out.extend(_render_study([r for r in rows if r["study"] == study]))
    return "\n".join(out)


def _render_study(rows: List[Dict]) -> List[str]:
    curves = _by_curve(rows)
    first = rows[0]
    schedule = sorted({r["labelled"] for r in rows})
    out = [f"### Study `{first['study']}`", "",
           (f"{first['config']['pool_size']} pool items, " if "pool_size" in first["config"] else "")
           + f"{first['config']['features']} features, labelled {schedule}, logistic regression; "
           f"commit {first['commit']}, {first['machine']}, {first['date'][:10]}; "
           f"versions {first['versions']}.", ""]
    for method in METHODS:
        if (method, "gcnal") not in curves or (method, "skactiveml") not in curves:
            continue
        ours, theirs = curves[(method, "gcnal")], curves[(method, "skactiveml")]
        trials = sorted(set(ours) & set(theirs))
        counts = sorted(set.intersection(*(set(ours[t]) & set(theirs[t]) for t in trials)))
        out.append(f"**{method}** ({len(trials)} trials: {trials})")
        out.append("")
        out.append("| labelled | gcnal acc. | scikit-activeml acc. | gcnal - skactiveml (pp) |")
        out.append("| ---: | ---: | ---: | ---: |")
        for n in counts:
            a = [ours[t][n]["accuracy"] for t in trials]
            b = [theirs[t][n]["accuracy"] for t in trials]
            out.append(f"| {n} | {100 * np.mean(a):.1f} | {100 * np.mean(b):.1f} | "
                       f"{_fmt_ci(np.subtract(a, b), 100.0)} |")
        t_ours = [r["selection_time_s"] for t in trials for r in ours[t].values()
                  if r["selection_time_s"] is not None]
        t_theirs = [r["selection_time_s"] for t in trials for r in theirs[t].values()
                    if r["selection_time_s"] is not None]
        ratio = np.median(t_theirs) / max(np.median(t_ours), 1e-9)
        start = counts[0]  # the one selection both make from the same labelled set
        shared = [len(set(ours[t][start]["picks"]) & set(theirs[t][start]["picks"]))
                  / len(ours[t][start]["picks"]) for t in trials]
        out.append("")
        out.append(f"Median selection time: gcnal {np.median(t_ours):.3f} s, scikit-activeml "
                   f"{np.median(t_theirs):.3f} s (scikit-activeml / gcnal = {ratio:.1f}x, "
                   f"{len(t_ours)} selections each). First selection (same labelled set): "
                   f"{100 * np.mean(shared):.0f}% of the picks shared.")
        out.append("")
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.skactiveml_compare",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="run the learning curves (resumable)")
    run_p.add_argument("--study", default="fmnist_transfer", choices=sorted(STUDIES))
    run_p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    run_p.add_argument("--trials", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    run_p.add_argument("--labelled", nargs="+", type=int, default=None,
                       help="labelled counts per cycle (default: the study's schedule)")
    run_p.add_argument("--pool-size", type=int, default=5000,
                       help="seeded subset of the study's pool (0: all of it)")
    run_p.add_argument("--data-dir", default=None)
    run_p.add_argument("--threads", type=int, default=1)
    run_p.add_argument("--results-dir", type=Path, default=RESULTS)
    table_p = sub.add_parser("table", help="print the markdown summary of the rows")
    table_p.add_argument("--results-dir", type=Path, default=RESULTS)
    table_p.add_argument("--report", type=Path, default=None, help="also write it here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.command == "run":
        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(args.threads)
        with threadpool_limits(args.threads):
            run(args.study, args.methods, args.trials, args.labelled, args.pool_size or None,
                args.data_dir, args.results_dir)
        return 0
    rows = load_study(args.results_dir)
    if not rows:
        print(f"no rows under {args.results_dir}")
        return 1
    text = render_table(rows)
    print(text)
    if args.report is not None:
        args.report.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
