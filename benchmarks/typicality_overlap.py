r"""Does an approximate typicality search pick what the exact one picks?

    python -m benchmarks.typicality_overlap                    # knn_backend="ivf"
    python -m benchmarks.typicality_overlap --backends ivf faiss-approx --pool-seeds 0

The default method (``typical_diverse``) with ``options={"knn_backend": b}``
against the exact search (``"torch"``; the default ``"auto"`` is the exact
search up to 10,000 items and ``"ivf"`` beyond), at the setting of ``python -m
benchmarks.limits --items default`` (one torch thread, 300 labelled,
budgets 100 and 1,000, class probabilities from a seeded softmax of a
linear map of the features, and without them), on ``--sizes`` items of:

- ``make_pool``: the clustered pool of :func:`benchmarks.scale.make_pool`
  (100 Gaussian clusters through a ReLU), 128-d, one pool per pool seed;
- ``gaussian``: standard Gaussian features, 128-d (no structure at all);
- ``fashion_mnist`` and ``cifar10``: PCA-64 of the pixels of that many
  training images drawn with the pool seed, fitted on them (the regimes
  studies' features, :func:`benchmarks.regimes._pca_features`), from
  ``../shared/data`` or ``GCNAL_DATA``;
- ``cifar_ssl``: the committed SimCLR encoder's 256-d features of
  that many CIFAR-10 training images drawn with the pool seed
  (:func:`benchmarks.ssl_encoder.cached_features`, realistic features).

Per pool seed, labelled draw (``--draws``), budget and probabilities: the
share of the exact search's picks the backend also picks, whether the two
pick lists are identical, and the typicality's largest and mean relative
error; per pool seed, the seconds of the exact and of the backend's
typicality (one thread, both in one process: compare them as a ratio).
Prints a markdown table (per pool: the range over seeds and draws) and
appends one row per setting to
``benchmarks/results/typicality_overlap/rows.jsonl`` (command, commit,
machine, seed, date).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Dict, List

import numpy as np
import torch

from .results_io import append_rows, provenance

RESULTS = Path(__file__).resolve().parent / "results" / "typicality_overlap"
POOLS = ("make_pool", "gaussian", "fashion_mnist", "cifar10", "cifar_ssl")


def build_features(pool: str, size: int, seed: int) -> torch.Tensor:
    """The ``pool``'s ``size`` x d features for pool seed ``seed``."""
    if pool == "make_pool":
        from .scale import make_pool

        return make_pool(size, 128, seed, "cpu")[0]
    if pool == "gaussian":
        return torch.randn(size, 128, generator=torch.Generator().manual_seed(seed))
    if pool == "cifar_ssl":
        from .ssl_encoder import cached_features

        train_x = cached_features()["train_x"]
        index = np.sort(np.random.default_rng(seed).choice(len(train_x), size, replace=False))
        return torch.from_numpy(train_x[index]).float()
    from .datasets import load_dataset_once
    from .regimes import _pca_features

    data = load_dataset_once(pool)
    index = np.sort(np.random.default_rng(seed).choice(len(data.train_y), size, replace=False))
    pixels = data.train_x[index].reshape(size, -1).astype(np.float32) / 255.0
    return torch.from_numpy(_pca_features(pixels, pixels[:1], 64, seed)[0])


def timed_typicality(vectors: torch.Tensor, backend: str):
    """The typicality of the unit ``vectors`` by ``backend``, and its seconds."""
    from gcnal.selectors import typicality

    start = time.perf_counter()
    values = typicality(vectors, 20, backend, normalized=True)
    return values, time.perf_counter() - start


def pool_rows(pool: str, size: int, seed: int, args) -> List[Dict]:
    """Every setting's row for one pool of ``size`` items."""
    import gcnal
    from gcnal.graph import l2_normalize

    features = build_features(pool, size, seed)
    vectors = l2_normalize(features.float())
    exact, seconds = timed_typicality(vectors, "torch")
    errors, backend_seconds = {}, {}
    for backend in args.backends:
        values, backend_seconds[backend] = timed_typicality(vectors, backend)
        errors[backend] = (values - exact).abs() / exact
    rows = []
    for draw in range(args.draws):
        g = torch.Generator().manual_seed(100 + draw)
        labelled = torch.zeros(len(features), dtype=torch.bool)
        labelled[torch.randperm(len(features), generator=g)[:args.labelled]] = True
        weights = torch.randn(features.size(1), 10, generator=g) / features.size(1) ** 0.5
        probs = torch.softmax(features @ weights, dim=1)
        for budget in args.budgets:
            for with_probs in (True, False):
                given = {"probs": probs} if with_probs else {}
                reference = gcnal.select(features, labelled, budget, seed=draw,
                                         options={"knn_backend": "torch"}, **given)
                for backend in args.backends:
                    picks = gcnal.select(features, labelled, budget, seed=draw,
                                         options={"knn_backend": backend}, **given)
                    shared = len(set(reference.tolist()) & set(picks.tolist())) / budget
                    rows.append({"pool": pool, "pool_seed": seed, "n": len(features),
                                 "d": features.size(1), "draw": draw,
                                 "labelled": args.labelled, "budget": budget,
                                 "probs": with_probs, "backend": backend,
                                 "picks_shared": shared,
                                 "identical": bool(torch.equal(reference, picks)),
                                 "typicality_rel_error_max": float(errors[backend].max()),
                                 "typicality_rel_error_mean": float(errors[backend].mean()),
                                 "exact_typicality_s": round(seconds, 4),
                                 "backend_typicality_s": round(backend_seconds[backend], 4)})
    return rows


def summarise(rows: List[Dict]) -> None:
    """One line per pool, backend and budget: ranges over seeds, draws and probs."""
    print("| pool | n | backend | budget | picks shared (min-max) | identical | "
          "typicality rel. error, mean (max) | typicality s, exact / backend |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    keys = sorted({(r["pool"], r["n"], r["backend"], r["budget"]) for r in rows},
                  key=lambda key: (POOLS.index(key[0]),) + key[1:])
    for key in keys:
        group = [r for r in rows if (r["pool"], r["n"], r["backend"], r["budget"]) == key]
        shared = [r["picks_shared"] for r in group]
        exact = np.median([r["exact_typicality_s"] for r in group])
        backend = np.median([r["backend_typicality_s"] for r in group])
        print(f"| {key[0]} | {key[1]:,} | {key[2]} | {key[3]:,} "
              f"| {min(shared):.1%}-{max(shared):.1%} "
              f"| {sum(r['identical'] for r in group)}/{len(group)} "
              f"| {max(r['typicality_rel_error_mean'] for r in group):.2%} "
              f"({max(r['typicality_rel_error_max'] for r in group):.1%}) "
              f"| {exact:.3f} / {backend:.3f} |", flush=True)


def main(argv=None) -> List[Dict]:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pools", nargs="+", choices=POOLS, default=list(POOLS))
    parser.add_argument("--pool-seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--draws", type=int, default=2, help="labelled draws per pool")
    parser.add_argument("--backends", nargs="+", default=["ivf"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000])
    parser.add_argument("--labelled", type=int, default=300)
    parser.add_argument("--budgets", type=int, nargs="+", default=[100, 1_000])
    parser.add_argument("--results", type=Path, default=RESULTS / "rows.jsonl")
    args = parser.parse_args(argv)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    stamp = provenance("typicality_overlap", argv)
    try:
        rows = [{**stamp, "seed": seed, **row} for pool in args.pools
                for size in args.sizes for seed in args.pool_seeds
                for row in pool_rows(pool, size, seed, args)]
    finally:
        torch.set_num_threads(threads)
    summarise(rows)
    append_rows(args.results, rows)
    print(f"Appended {len(rows)} rows to {args.results}")
    return rows


if __name__ == "__main__":
    main()
