"""Sharded selection (gcnal.distributed) on 1 vs 2 processes, one thread each.

    python -m benchmarks.distributed                       # 200k x 128, the fast methods
    python -m benchmarks.distributed --items 200000 --methods typical_diverse
    python -m benchmarks.distributed --items 1000000 --methods random margin coreset
    python -m benchmarks.distributed --methods uncertain_gcn core_gcn --epochs 20

Each run spawns P gloo ranks on 127.0.0.1 (P = 1, then 2), each with one
torch thread; every rank builds only its own shard (rows of a seeded
Gaussian mixture, 64 clusters, generated block by block so any split gives
the same pool) and times gcnal.distributed.select on it. Per stage: rank
0's wall seconds (the ranks wait on each other at every collective) and CPU
seconds, and the bytes sent per rank (counted in gcnal.distributed.comm from
the message sizes). The GNN presets get the absolute values of the rows
(non-negative, like post-ReLU embeddings: the factored dense graph's
condition) and ``--epochs``. On a shared machine the wall clock mostly measures the
other tenants; the speed-up is the CPU work of one rank against the slowest
of P (what P machines of their own would take, less the waits). Also
checks that both world sizes pick the same items; ``--anchor`` adds
gcnal.select on the whole pool in this process (one thread) for comparison. Prints a table and appends
one JSON line per (method, world size) to benchmarks/results/distributed/.
"""
from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import socket
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.results_io import append_row, describe_device, git_commit, utc_now

RESULTS = Path(__file__).parent / "results" / "distributed"

#: Rows generated per seeded block (shard boundaries fall on blocks).
BLOCK = 10_000


def pool_rows(start: int, stop: int, dim: int, seed: int):
    """Rows ``start:stop`` of the benchmark pool (a 64-cluster Gaussian
    mixture) and their class probabilities, built from per-block generators."""
    centres = np.random.default_rng(seed).normal(size=(64, dim)).astype(np.float32) * 2
    features, probs = [], []
    for block in range(start // BLOCK, (stop - 1) // BLOCK + 1):
        rng = np.random.default_rng([seed, block])
        cluster = rng.integers(64, size=BLOCK)
        rows = centres[cluster] + rng.normal(size=(BLOCK, dim)).astype(np.float32)
        logits = rng.normal(size=(BLOCK, 10)).astype(np.float32) * 2
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        lo, hi = max(start, block * BLOCK) - block * BLOCK, min(stop, (block + 1) * BLOCK) - block * BLOCK
        features.append(rows[lo:hi])
        probs.append((p / p.sum(axis=1, keepdims=True))[lo:hi])
    return np.concatenate(features), np.concatenate(probs)


def _rank(rank, world_size, port, args, method, queue):
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch
    import torch.distributed as dist

    import gcnal.distributed

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world_size, timeout=datetime.timedelta(minutes=30))
    share = args.items // world_size
    start, stop = rank * share, (rank + 1) * share if rank < world_size - 1 else args.items
    features, probs = pool_rows(start, stop, args.dim, args.seed)
    features, options = method_inputs(method, features, args)
    labelled = pool_labelled(start, stop, args)
    dist.barrier()
    begin, cpu_begin = time.perf_counter(), time.process_time()
    selection = gcnal.distributed.select(features, labelled, args.budget, method, probs=probs,
                                         seed=args.seed, options=options, return_order=True)
    queue.put({"rank": rank, "seconds": selection.seconds, "cpu_s": selection.cpu_seconds,
               "bytes_sent": selection.bytes_sent, "total_s": time.perf_counter() - begin,
               "total_cpu_s": time.process_time() - cpu_begin,
               "order": selection.order.tolist()})
    dist.destroy_process_group()


#: Methods that train a sampler (non-negative rows, ``--epochs``).
GNN_METHODS = ("uncertain_gcn", "core_gcn")


def method_inputs(method: str, features: np.ndarray, args):
    """``(features, options)`` the benchmark passes to ``method``."""
    if method in GNN_METHODS:
        return np.abs(features), {"epochs": args.epochs}
    return features, None


def pool_labelled(start: int, stop: int, args) -> np.ndarray:
    """Every ``N / L``-th item of the pool is labelled."""
    return (np.arange(start, stop) % (args.items // args.labelled)) == 0


def run_single_process(args, method: str) -> dict:
    """The anchor: gcnal.select on the whole pool in this process, one thread."""
    import torch

    import gcnal

    torch.set_num_threads(1)
    features, probs = pool_rows(0, args.items, args.dim, args.seed)
    features, options = method_inputs(method, features, args)
    begin, cpu_begin = time.perf_counter(), time.process_time()
    picks = gcnal.select(features, pool_labelled(0, args.items, args), args.budget, method,
                         probs=probs, seed=args.seed, options=options)
    return {"seconds": {}, "cpu_s": {}, "bytes_sent": {}, "total_s": time.perf_counter() - begin,
            "total_cpu_s": time.process_time() - cpu_begin, "order": picks.tolist(),
            "ranks_cpu_s": [time.process_time() - cpu_begin]}


def run(world_size: int, args, method: str) -> dict:
    """Rank 0's figures for one sharded selection on ``world_size`` ranks,
    with every rank's CPU seconds (``ranks_cpu_s``)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    processes = [context.Process(target=_rank, args=(r, world_size, port, args, method, queue))
                 for r in range(world_size)]
    for p in processes:
        p.start()
    results = sorted((queue.get() for _ in processes), key=lambda r: r["rank"])
    for p in processes:
        p.join()
    return {**results[0], "ranks_cpu_s": [r["total_cpu_s"] for r in results]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--labelled", type=int, default=1_000)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", nargs="+", default=["random", "margin", "coreset"])
    parser.add_argument("--world-sizes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--epochs", type=int, default=20, help="sampler epochs (GNN presets)")
    parser.add_argument("--anchor", action="store_true",
                        help="also time gcnal.select on the whole pool in one process")
    args = parser.parse_args()
    if args.items % BLOCK:
        parser.error(f"--items must be a multiple of {BLOCK}")

    stamp = {"command": "python -m benchmarks.distributed " + " ".join(sys.argv[1:]),
             "commit": git_commit(), "date": utc_now(),
             "machine": describe_device("cpu").split(",")[0] + ", 1 thread per rank)",
             "seed": args.seed, "items": args.items, "dim": args.dim,
             "labelled": args.labelled, "budget": args.budget, "backend": "gloo",
             "epochs_of_gnn_presets": args.epochs,
             "load_average_1min": os.getloadavg()[0]}
    print(f"gcnal.distributed.select, N = {args.items:,} x {args.dim}, {args.labelled:,} "
          f"labelled, budget {args.budget}, one thread per rank")
    print("| method | ranks | wall | CPU s, slowest rank | CPU speed-up | same picks | "
          "stages: wall s (CPU s) | MB sent per rank |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for method in args.methods:
        first = None
        for world_size in args.world_sizes + ([0] if args.anchor else []):
            result = run(world_size, args, method) if world_size else \
                run_single_process(args, method)
            first = first or result
            cpu = max(result["ranks_cpu_s"])
            speedup = max(first["ranks_cpu_s"]) / cpu
            same = result["order"] == first["order"]
            agreement = len(set(result["order"]) & set(first["order"])) / args.budget
            stages = ", ".join(f"{k} {v:.2f} ({result['cpu_s'][k]:.2f})"
                               for k, v in result["seconds"].items())
            sent = sum(result["bytes_sent"].values()) / 1e6
            print(f"| {method} | {world_size or 'gcnal.select'} | {result['total_s']:.2f} s | "
                  f"{cpu:.2f} | {speedup:.2f}x | {same} ({agreement:.0%}) | {stages} | {sent:.3f} |",
                  flush=True)
            append_row(RESULTS / "distributed.jsonl",
                       {**stamp, "method": method,
                        "world_size": world_size or "gcnal.select, one process",
                        "total_s": result["total_s"], "ranks_cpu_s": result["ranks_cpu_s"],
                        "stage_s": result["seconds"], "stage_cpu_s": result["cpu_s"],
                        "bytes_sent_per_rank": result["bytes_sent"],
                        "cpu_speedup_vs_first": speedup, "same_picks_as_first": same,
                        "pick_agreement_with_first": agreement})
    print(f"Appended rows to {RESULTS / 'distributed.jsonl'}")


if __name__ == "__main__":
    main()
