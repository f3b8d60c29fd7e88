"""Time one UncertainGCN selection in the paper's setting, stage by stage.

    python -m benchmarks.select_speed                  # gcnal vs the original path
    python -m benchmarks.select_speed --skip-original  # gcnal only (seconds)
    python -m benchmarks.select_speed --bf16           # + a bfloat16 first-layer row
    python -m benchmarks.select_speed --skip-original --floor   # + where an epoch's time goes

Setting (Sequential GCN, CIFAR-10 cycle): N = 10,000 unlabelled + 1,000
labelled items, d = 512, budget 1,000, 200 sampler epochs. Features are
non-negative like a ResNet's post-ReLU penultimate layer (ReLU of a Gaussian,
seeded), plus a signed copy (centred) that forces gcnal's materialised N x N
graph. The original code's path (benchmarks/reference) runs in the same
process on the same CPU, so the ratio is measured in one run. Prints a table
and appends one JSON line per run to benchmarks/results/select_speed/.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

import gcnal
from benchmarks.reference import original_sequential_gcn as original
from benchmarks.results_io import append_row, describe_device, git_commit, utc_now

RESULTS = Path(__file__).parent / "results" / "select_speed"


#: gcnal's options that match the original code's sampler (its column
#: normalisation of the adjacency), besides the epochs.
PAPER_OPTIONS = {"normalization": "column"}


def paper_pool(unlabelled: int, labelled: int, dim: int, seed: int):
    """The setting's seeded pool: ReLU'd Gaussian features, the unlabelled
    subset first and the labelled items last (the original code's layout)."""
    n = unlabelled + labelled
    g = torch.Generator().manual_seed(seed)
    features = torch.relu(torch.randn(n, dim, generator=g))
    mask = torch.zeros(n, dtype=torch.bool)
    mask[unlabelled:] = True
    return features, mask


def run_gcnal(features, labelled, args, label, sampler_options=None):
    start = time.perf_counter()
    options = {"epochs": args.epochs, **PAPER_OPTIONS, **(sampler_options or {})}
    sel = gcnal.select(features, labelled, args.budget, method="uncertain_gcn", seed=args.seed,
                       options=options, return_info=True)
    total = time.perf_counter() - start
    return {"path": label, "graph_form": sel.info["graph"], **sel.timings, "total": total,
            "picks": sel.indices.tolist()}


def product_floor(n: int, d: int, hidden: int, repeats: int = 10) -> float:
    r"""Seconds of the two products no float32 epoch can skip: the forward
    :math:`(A\mathbf{X})\mathbf{\Theta}_1` and the weight gradient
    :math:`(A\mathbf{X})^\top \mathbf{G}`, :math:`2 \cdot 2 N d h` flops on
    this BLAS, median of ``repeats``, outputs preallocated."""
    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(n, d, generator=g), torch.randn(d, hidden, generator=g)
    grad, h, gw = torch.randn(n, hidden, generator=g), torch.empty(n, hidden), torch.empty(d, hidden)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.matmul(x, w, out=h)
        torch.matmul(x.T, grad, out=gw)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def floor_rows(features, labelled, args) -> dict:
    """Where the epochs' time goes: per epoch (a full run against a
    two-epoch run, both after the table's runs, so neither pays the
    process's one-off costs), the two products' floor in this process, and
    the fixed cost (graph, checks, selection); with the bound on the whole
    selection if everything but the products were free."""
    short = run_gcnal(features, labelled, argparse.Namespace(**{**vars(args), "epochs": 2}),
                      "gcnal, 2 epochs")
    full = run_gcnal(features, labelled, args, "gcnal")
    per_epoch = (full["total"] - short["total"]) / (args.epochs - 2)
    fixed = full["total"] - args.epochs * per_epoch
    floor = product_floor(features.size(0), features.size(1), 128)
    return {"seconds_per_epoch": per_epoch, "product_floor_per_epoch": floor,
            "fixed_seconds": fixed, "bound_total": fixed + args.epochs * floor,
            "products_share_of_epoch": floor / per_epoch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unlabelled", type=int, default=10_000)
    parser.add_argument("--labelled", type=int, default=1_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--budget", type=int, default=1_000)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: all)")
    parser.add_argument("--skip-original", action="store_true")
    parser.add_argument("--results-dir", type=Path, default=RESULTS,
                        help="where the rows go (default: %(default)s)")
    parser.add_argument("--floor", action="store_true",
                        help="also measure the epoch's product floor and fixed cost (one more run)")
    parser.add_argument("--bf16", action="store_true",
                        help="also time sampler_options={'compute_dtype': torch.bfloat16}")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    features, labelled = paper_pool(args.unlabelled, args.labelled, args.dim, args.seed)

    runs = [run_gcnal(features, labelled, args, "gcnal, non-negative features"),
            run_gcnal(features - features.mean(0), labelled, args, "gcnal, signed features")]
    if args.bf16:
        runs.append(run_gcnal(features, labelled, args, "gcnal, non-negative, bf16 first layer",
                              {"compute_dtype": torch.bfloat16}))
    if not args.skip_original:
        picks, timings = original.uncertain_gcn(features, args.unlabelled, args.budget,
                                                epochs=args.epochs)
        runs.append({"path": "original code path", "graph_form": "dense numpy, O(N^3) norm",
                     **timings, "total": sum(timings.values()), "picks": picks.tolist()})

    reference = runs[-1]["total"] if not args.skip_original else None
    print(f"UncertainGCN selection, N = {args.unlabelled:,} + {args.labelled:,}, d = {args.dim}, "
          f"budget {args.budget:,}, {args.epochs} epochs, on {describe_device('cpu')}")
    print("| path | graph | train | select | total | speed-up |\n| --- | --- | --- | --- | --- | --- |")
    stamp = {"commit": git_commit(), "date": utc_now(), "machine": describe_device("cpu"),
             "seed": args.seed, "unlabelled": args.unlabelled, "labelled": args.labelled,
             "dim": args.dim, "budget": args.budget, "epochs": args.epochs}
    for run in runs:
        speedup = f"{reference / run['total']:.1f}x" if reference else ""
        print(f"| {run['path']} ({run['graph_form']}) | {run['graph']:.2f} s | {run['train']:.2f} s"
              f" | {run['select']:.3f} s | {run['total']:.2f} s | {speedup} |")
        row = {**stamp, **{k: v for k, v in run.items() if k != "picks"},
               "threads": torch.get_num_threads(),
               "pick_overlap_with_gcnal_fp32": len(set(run["picks"]) & set(runs[0]["picks"]))
               / args.budget}
        if reference:
            row["speedup_vs_original"] = reference / run["total"]
            overlap = len(set(run["picks"]) & set(runs[-1]["picks"])) / args.budget
            row["pick_overlap_with_original"] = overlap
        append_row(args.results_dir / "select_speed.jsonl", row)
    if args.floor:
        floor = floor_rows(features, labelled, args)
        print(f"per epoch {1e3 * floor['seconds_per_epoch']:.1f} ms, of which the two products "
              f"{1e3 * floor['product_floor_per_epoch']:.1f} ms "
              f"({100 * floor['products_share_of_epoch']:.0f}%); fixed {floor['fixed_seconds']:.2f} s; "
              f"with everything else free: {floor['bound_total']:.2f} s")
        append_row(args.results_dir / "select_speed_floor.jsonl", {**stamp, "threads": torch.get_num_threads(),
                                                          **floor})
    print(f"Appended {len(runs)} rows to {args.results_dir / 'select_speed.jsonl'}")


if __name__ == "__main__":
    main()
