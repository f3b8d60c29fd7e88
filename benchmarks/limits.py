r"""gcnal beside its anchor, each pair measured in the same run (issue 17).

    python -m benchmarks.limits                      # every item, the issue's sizes
    python -m benchmarks.limits --items kcenter --rounds 2
    python -m benchmarks.limits --items default --default-budgets 100 1000

Items:

- ``kcenter``: k-center greedy (``method="coreset"``) against
  scikit-activeml 1.x's ``CoreSet`` (``skactiveml.pool``; the bench extra),
  on the seeded clustered pool of :func:`benchmarks.scale.make_pool`
  (``--kcenter-size`` items, ``--kcenter-dim`` dimensions, a fifth
  labelled) or, with ``--kcenter-pool cifar_ssl``, on CIFAR-10
  self-supervised features (:func:`kcenter_pool`), budget
  ``--kcenter-budget``; both libraries with ``--threads``
  threads (torch's and, through threadpoolctl, numpy's BLAS; default:
  all). Each side's wall time and the cover radius its picks leave,
  :math:`\max_{i \in U} \min_{j \in L \cup P} \lVert \mathbf{x}_i -
  \mathbf{x}_j \rVert`, computed the same way for both.
- ``paper``: UncertainGCN in the Sequential GCN paper's setting
  (``--paper-unlabelled`` + ``--paper-labelled`` items, ``--paper-dim``
  dimensions, budget ``--paper-budget``, ``--paper-epochs`` epochs; the
  pool of :func:`benchmarks.select_speed.paper_pool`) against the original
  code's path (``benchmarks/reference``), both with ``--threads`` threads,
  and the share of picks they have in common.
- ``million``: UncertainGCN on a ``--million-size`` x 128 pool of
  :func:`benchmarks.scale.make_pool` (5% labelled, budget 1%), the
  million-item path's settings (kNN graph from the ``ivf-bf16`` search,
  the bfloat16 first layer, 200 epochs, ``--threads`` threads, default
  two), in a subprocess of its own (its peak memory is the selection's),
  against the scaling issue's budget of ``--million-target`` seconds (300)
  and 8 GB: the anchor is the budget, its "speed-up" the headroom.
- ``default``: the default method (``gcnal.select`` without ``method``)
  against margin sampling on a ``--default-size`` x ``--default-dim``
  pool of the same kind, ``--default-threads`` torch threads (default one),
  ``--default-labelled`` labelled
  items, for each of ``--default-budgets``, both given the same class
  probabilities (a seeded softmax of a linear map of the features); the
  default's typicality search with ``--default-knn-backend`` (its
  ``knn_backend`` option; default ``auto``, the library's default: the
  exact search up to 10,000 items, ivf beyond).

Rounds alternate the order of the two sides; the ratio (of wall times) is
the median over rounds; each side's process CPU time is recorded too.
Prints a markdown table and appends one row per item, setting and round to
``benchmarks/results/limits/limits.jsonl`` (command, commit, machine, seed,
date, threads).
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Dict, List

import numpy as np
import torch

from .results_io import append_rows, provenance
from .scale import make_pool

RESULTS = Path(__file__).resolve().parent / "results" / "limits"
ITEMS = ("kcenter", "paper", "million", "default")


def cover_radius(features: torch.Tensor, labelled: torch.Tensor, picks) -> float:
    r"""The largest distance of an unlabelled, unpicked item to its nearest
    labelled or picked one (float32, in row blocks)."""
    from gcnal.selectors import min_distance_to

    centres = labelled.clone()
    centres[torch.as_tensor(np.asarray(picks), dtype=torch.long)] = True
    return float(min_distance_to(features[~centres], features[centres]).max().sqrt())


def _with_blas_threads(threads, fn):
    """``fn()`` with numpy's BLAS limited to ``threads`` (all for None), so
    scikit-activeml runs on as many threads as torch."""
    if not threads:
        return fn()
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        return fn()


def _timed(fn):
    """``(fn(), wall seconds, process CPU seconds)``: on a shared machine the
    CPU seconds of a one-thread run are the steadier figure."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - start, time.process_time() - cpu


def _paired_rounds(sides: Dict, rounds: int, anchor: str):
    """Per round, both callables of ``sides`` (gcnal's first, then its
    anchor's) timed, in an order that alternates from round to round:
    yields each side's output and the round's timing fields."""
    ours, theirs = sides
    for round_ in range(rounds):
        order = list(sides) if round_ % 2 == 0 else list(sides)[::-1]
        timed = {side: _timed(sides[side]) for side in order}
        yield ({side: out for side, (out, _, _) in timed.items()},
               {"round": round_, "order": order, "gcnal_s": timed[ours][1], "anchor": anchor,
                "anchor_s": timed[theirs][1], "speed_up": timed[theirs][1] / timed[ours][1],
                "gcnal_cpu_s": timed[ours][2], "anchor_cpu_s": timed[theirs][2]})


def kcenter_pool(args):
    """The k-center item's features and labelled mask: the clustered
    synthetic pool of :func:`benchmarks.scale.make_pool`, or
    (``--kcenter-pool cifar_ssl``) the self-supervised encoder's 256-d
    features of the first ``--kcenter-size`` CIFAR-10 training images
    (:func:`benchmarks.ssl_encoder.cached_features`) with a seeded
    ``--kcenter-labelled-fraction`` labelled: the features users have, far
    less clustered than the synthetic pool."""
    if args.kcenter_pool == "clustered":
        return make_pool(args.kcenter_size, args.kcenter_dim, args.seed, "cpu",
                         args.kcenter_labelled_fraction)
    from .ssl_encoder import cached_features

    features = torch.from_numpy(cached_features()["train_x"][:args.kcenter_size]).float()
    n = features.size(0)
    labelled = torch.zeros(n, dtype=torch.bool)
    draw = torch.randperm(n, generator=torch.Generator().manual_seed(args.seed))
    labelled[draw[:max(1, int(n * args.kcenter_labelled_fraction))]] = True
    return features, labelled


def kcenter_rows(args) -> List[Dict]:
    """k-center greedy: gcnal's ``coreset`` and scikit-activeml's ``CoreSet``."""
    import gcnal
    from skactiveml.pool import CoreSet

    if args.threads:
        torch.set_num_threads(args.threads)
    features, labelled = kcenter_pool(args)
    x = features.numpy()
    y = np.full(len(x), np.nan)
    y[labelled.numpy()] = 0
    budget = args.kcenter_budget
    sides = {
        "gcnal": lambda: gcnal.select(features, labelled, budget, method="coreset",
                                      seed=args.seed).numpy(),
        "scikit-activeml": lambda: _with_blas_threads(args.threads, lambda: np.asarray(
            CoreSet(random_state=args.seed).query(x, y, batch_size=budget))),
    }
    setting = {"item": "kcenter", "pool": args.kcenter_pool, "n": len(x), "d": x.shape[1],
               "labelled": int(labelled.sum()), "budget": budget,
               "threads": torch.get_num_threads()}
    rows = []
    for picks, timing in _paired_rounds(sides, args.rounds, "scikit-activeml CoreSet"):
        shared = len(set(picks["gcnal"].tolist()) & set(picks["scikit-activeml"].tolist()))
        rows.append({**setting, **timing,
                     "gcnal_cover_radius": cover_radius(features, labelled, picks["gcnal"]),
                     "anchor_cover_radius": cover_radius(features, labelled,
                                                         picks["scikit-activeml"]),
                     "picks_shared": shared / budget})
    return rows


def paper_rows(args) -> List[Dict]:
    """UncertainGCN in the paper's setting: gcnal against the original
    code's path (``benchmarks/reference``), ``--threads`` threads."""
    import gcnal
    from .reference import original_sequential_gcn as original
    from .select_speed import PAPER_OPTIONS, paper_pool

    if args.threads:
        torch.set_num_threads(args.threads)
    unlabelled, budget, epochs = args.paper_unlabelled, args.paper_budget, args.paper_epochs
    features, labelled = paper_pool(unlabelled, args.paper_labelled, args.paper_dim, args.seed)
    options = {"epochs": epochs, **PAPER_OPTIONS}
    sides = {
        "gcnal": lambda: gcnal.select(features, labelled, budget, method="uncertain_gcn",
                                      seed=args.seed, options=options).numpy(),
        "original code path": lambda: np.asarray(
            original.uncertain_gcn(features, unlabelled, budget, epochs=epochs)[0]),
    }
    setting = {"item": "paper", "method": "uncertain_gcn", "n": len(features),
               "d": features.size(1), "labelled": args.paper_labelled, "budget": budget,
               "epochs": epochs, "threads": torch.get_num_threads()}
    rows = []
    for picks, timing in _paired_rounds(sides, args.rounds, "original code path"):
        shared = len(set(picks["gcnal"].tolist()) & set(picks["original code path"].tolist()))
        rows.append({**setting, **timing, "picks_shared": shared / budget})
    return rows


def million_rows(args) -> List[Dict]:
    """The million-item path against its time budget, one subprocess a round."""
    from .scale import in_subprocess

    config = {"n": args.million_size, "d": 128, "method": "uncertain_gcn", "graph": "knn",
              "k": 15, "knn_backend": "ivf-bf16", "bf16": True, "batch_size": "auto",
              "threads": args.threads or 2, "device": "cpu", "seed": args.seed,
              "labelled_fraction": 0.05}
    rows = []
    for round_ in range(args.rounds):
        run = in_subprocess(config, timeout=4 * args.million_target)
        if "error" in run:
            raise RuntimeError(f"million item, round {round_}: {run['error']}")
        setting = {key: run[key] for key in ("method", "n", "d", "labelled", "budget",
                                             "threads", "knn_backend", "bf16")}
        rows.append({"item": "million", **setting,
                     "round": round_, "gcnal_s": run["total_s"], "gcnal_cpu_s": run["cpu_s"],
                     "graph_s": run.get("graph_s"), "train_s": run.get("train_s"),
                     "peak_mb": run["peak_mb"], "anchor": "time budget (8 GB)",
                     "anchor_s": float(args.million_target), "anchor_cpu_s": None,
                     "speed_up": args.million_target / run["total_s"],
                     "picks_hash": run["picks_hash"]})
    return rows


def default_rows(args) -> List[Dict]:
    """The default method against margin sampling, ``--default-threads``
    torch threads (the issue's setting: one)."""
    import gcnal
    from gcnal.api import DEFAULT_METHOD

    torch.set_num_threads(args.default_threads)
    features, _ = make_pool(args.default_size, args.default_dim, args.seed, "cpu")
    g = torch.Generator().manual_seed(args.seed + 1)
    labelled = torch.zeros(len(features), dtype=torch.bool)
    labelled[torch.randperm(len(features), generator=g)[:args.default_labelled]] = True
    weights = torch.randn(features.size(1), 10, generator=g) / features.size(1) ** 0.5
    probs = torch.softmax(features @ weights, dim=1)
    options = {"knn_backend": args.default_knn_backend}
    rows = []
    for budget in args.default_budgets:
        sides = {
            "gcnal default": lambda: gcnal.select(features, labelled, budget, probs=probs,
                                                  seed=args.seed, options=options),
            "margin": lambda: gcnal.select(features, labelled, budget, method="margin",
                                           probs=probs, seed=args.seed),
        }
        for _, timing in _paired_rounds(sides, args.rounds, "margin"):
            rows.append({"item": "default", "method": DEFAULT_METHOD,
                         "n": len(features), "d": features.size(1),
                         "labelled": args.default_labelled, "budget": budget,
                         "threads": args.default_threads,
                         "knn_backend": args.default_knn_backend, **timing})
    return rows


def summarise(rows: List[Dict]) -> None:
    """One table line per item and setting: medians over rounds."""
    print("| item | N x d | labelled | budget | threads | gcnal s (CPU s) | anchor "
          "| anchor s (CPU s) | anchor / gcnal | cover radius gcnal / anchor |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    keys = sorted({(r["item"], r["n"], r["d"], r["labelled"], r["budget"], r["threads"])
                   for r in rows}, key=str)
    for key in keys:
        group = [r for r in rows if (r["item"], r["n"], r["d"], r["labelled"], r["budget"],
                                     r["threads"]) == key]
        ours = statistics.median(r["gcnal_s"] for r in group)
        theirs = statistics.median(r["anchor_s"] for r in group)
        ours_cpu = statistics.median(r["gcnal_cpu_s"] for r in group)
        theirs_cpu = (f"{statistics.median(r['anchor_cpu_s'] for r in group):.3f}"
                      if group[0]["anchor_cpu_s"] is not None else "-")
        ratio = statistics.median(r["speed_up"] for r in group)
        radius = (f"{group[0]['gcnal_cover_radius']:.4f} / {group[0]['anchor_cover_radius']:.4f}"
                  if "gcnal_cover_radius" in group[0] else "")
        print(f"| {key[0]} | {key[1]:,} x {key[2]} | {key[3]:,} | {key[4]:,} | {key[5]} "
              f"| {ours:.3f} ({ours_cpu:.3f}) | {group[0]['anchor']} | {theirs:.3f} "
              f"({theirs_cpu}) | {ratio:.2f}x | {radius} |",
              flush=True)


def main(argv=None) -> List[Dict]:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", nargs="+", choices=ITEMS, default=list(ITEMS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None,
                        help="kcenter, paper and million: threads of torch (and, for "
                             "kcenter, of numpy's BLAS; default: all, two for million)")
    parser.add_argument("--kcenter-size", type=int, default=50_000)
    parser.add_argument("--kcenter-dim", type=int, default=None,
                        help="dimensions of the clustered pool (default 512)")
    parser.add_argument("--kcenter-labelled-fraction", type=float, default=0.2)
    parser.add_argument("--kcenter-pool", choices=("clustered", "cifar_ssl"), default="clustered",
                        help="the synthetic clustered pool, or CIFAR-10 SSL features")
    parser.add_argument("--kcenter-budget", type=int, default=1_000)
    parser.add_argument("--paper-unlabelled", type=int, default=10_000)
    parser.add_argument("--paper-labelled", type=int, default=1_000)
    parser.add_argument("--paper-dim", type=int, default=512)
    parser.add_argument("--paper-budget", type=int, default=1_000)
    parser.add_argument("--paper-epochs", type=int, default=200)
    parser.add_argument("--million-size", type=int, default=1_000_000)
    parser.add_argument("--million-target", type=float, default=300.0,
                        help="the million item's time budget in seconds (default: %(default)s)")
    parser.add_argument("--default-size", type=int, default=20_000)
    parser.add_argument("--default-dim", type=int, default=128)
    parser.add_argument("--default-labelled", type=int, default=300)
    parser.add_argument("--default-budgets", type=int, nargs="+", default=[100, 1_000])
    parser.add_argument("--default-threads", type=int, default=1,
                        help="the default item's torch threads (default: %(default)s)")
    parser.add_argument("--default-knn-backend", default="auto",
                        help="the default's knn_backend option (default: %(default)s)")
    parser.add_argument("--results", type=Path, default=RESULTS / "limits.jsonl")
    args = parser.parse_args(argv)
    if args.kcenter_pool == "cifar_ssl":  # its features are what they are: nothing dropped
        if args.kcenter_dim is not None:
            parser.error(f"--kcenter-dim: only for --kcenter-pool clustered (the CIFAR-10 "
                         f"SSL features are 256-d); got {args.kcenter_dim}")
        if args.kcenter_size > 50_000:
            parser.error(f"--kcenter-size: at most the 50,000 CIFAR-10 training images with "
                         f"--kcenter-pool cifar_ssl; got {args.kcenter_size}")
    elif args.kcenter_dim is None:
        args.kcenter_dim = 512
    stamp = {**provenance("limits", argv), "seed": args.seed}
    rows, threads = [], torch.get_num_threads()
    try:
        if "kcenter" in args.items:
            rows += kcenter_rows(args)
        if "paper" in args.items:
            rows += paper_rows(args)
        if "million" in args.items:
            rows += million_rows(args)
        if "default" in args.items:
            rows += default_rows(args)
    finally:
        torch.set_num_threads(threads)
    rows = [{**stamp, **row} for row in rows]
    summarise(rows)
    append_rows(args.results, rows)
    print(f"Appended {len(rows)} rows to {args.results}")
    return rows


if __name__ == "__main__":
    main()
