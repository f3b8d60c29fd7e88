"""Does the sparse kNN graph select as well as the dense graph? And which k?

    python -m benchmarks.knn_quality --trials 3 --ks 5 10 15 30
    python -m benchmarks.knn_quality --trials 3 --ks 15 --bf16 --candidates 5000

On FashionMNIST (from ../shared/data or GCNAL_DATA): per trial, a pool of
20,000 training images with 1,000 random labels; a small CNN (the
benchmarks' ``small_cnn``) is trained on those labels and gives 128-d
post-ReLU features for the pool and the test set. Each configuration picks
1,000 more images with ``gcnal.select``; a logistic regression trained on the
features of the 2,000 labelled images is scored on the 10,000 test images.
Same features, same initial labels for every configuration of a trial. Prints
mean ± std over trials and appends JSON lines to
benchmarks/results/knn_quality/.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression

import gcnal
from benchmarks.datasets import load_dataset
from benchmarks.learners import TrainConfig, build_learner, predict, train_learner
from benchmarks.loop import prepare_data
from benchmarks.results_io import append_row, describe_device, git_commit, utc_now

RESULTS = Path(__file__).parent / "results" / "knn_quality"


def configurations(ks, bf16=False, candidates=None):
    """(method, graph, k, variant) rows; a variant is "" (the default path),
    "bf16" (bfloat16 first layer) or "candidates" (k-center on a subset)."""
    yield "random", "auto", None, ""
    yield "coreset", "auto", None, ""
    if candidates:
        yield "coreset", "auto", None, "candidates"
    for method in ("uncertain_gcn", "core_gcn"):
        yield method, "dense", None, ""
        for k in ks:
            yield method, "knn", k, ""
            if bf16:
                yield method, "knn", k, "bf16"
            if candidates and method == "core_gcn":
                yield method, "knn", k, "candidates"


def downstream_accuracy(train_x, train_y, test_x, test_y, seed) -> float:
    clf = LogisticRegression(max_iter=1000, C=1.0, random_state=seed)
    clf.fit(train_x, train_y)
    return float((clf.predict(test_x) == test_y).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--ks", type=int, nargs="+", default=[5, 10, 15, 30])
    parser.add_argument("--pool", type=int, default=20_000)
    parser.add_argument("--initial", type=int, default=1_000)
    parser.add_argument("--budget", type=int, default=1_000)
    parser.add_argument("--epochs", type=int, default=15, help="CNN epochs on the initial labels")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--bf16", action="store_true",
                        help="add kNN rows with a bfloat16 first layer (compute_dtype)")
    parser.add_argument("--candidates", type=int, default=None,
                        help="add k-center rows on this many candidates")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = prepare_data(load_dataset("fashion_mnist", args.data_dir), "cpu")
    stamp = {"commit": git_commit(), "date": utc_now(), "machine": describe_device("cpu"),
             "dataset": "fashion_mnist", "pool": args.pool, "initial": args.initial,
             "budget": args.budget}
    results = {}
    for trial in range(args.trials):
        rng = np.random.default_rng(trial)
        pool = rng.choice(len(data.train_y), args.pool, replace=False)
        labelled = np.zeros(args.pool, dtype=bool)
        labelled[rng.choice(args.pool, args.initial, replace=False)] = True
        model = build_learner("small_cnn", 10, 1, seed=trial)
        config = TrainConfig(epochs=args.epochs, lr=0.05, schedule="cosine", batch_size=64)
        train_learner(model, data.train, data.train_y, pool[labelled], config, seed=trial)
        _, pool_x = predict(model, data.train, pool)
        _, test_x = predict(model, data.test)
        pool_y = data.train_y[pool].numpy()
        pool_np, test_np, test_y = pool_x.numpy(), test_x.numpy(), data.test_y.numpy()
        for method, graph, k, variant in configurations(args.ks, args.bf16, args.candidates):
            options = {"graph": graph, "k": k or 15} if method.endswith("_gcn") else {}
            if variant == "bf16":
                options["compute_dtype"] = torch.bfloat16
            if variant == "candidates":
                options["candidates"] = args.candidates
            start = time.perf_counter()
            picks = gcnal.select(pool_np, labelled, args.budget, method=method, seed=trial,
                                 options=options)
            seconds = time.perf_counter() - start
            chosen = labelled.copy()
            chosen[picks] = True
            acc = downstream_accuracy(pool_np[chosen], pool_y[chosen], test_np, test_y, trial)
            name = f"{method} ({graph}{'' if k is None else f', k={k}'}" \
                f"{f', {variant}' if variant else ''})"
            results.setdefault(name, []).append(acc)
            row = {**stamp, "trial": trial, "method": method, "graph": graph, "k": k,
                   "variant": variant, "candidates": args.candidates if variant == "candidates"
                   else None,
                   "accuracy": acc, "selection_time_s": seconds}
            append_row(RESULTS / "knn_quality.jsonl", row)
            print(f"trial {trial} {name:32s} accuracy {acc:.4f} ({seconds:.1f} s)", flush=True)
    print("\n| selection | test accuracy of logistic regression (%, mean ± std) |\n| --- | --- |")
    for name, accs in results.items():
        a = np.array(accs) * 100
        print(f"| {name} | {a.mean():.2f} ± {a.std():.2f} |")


if __name__ == "__main__":
    main()
