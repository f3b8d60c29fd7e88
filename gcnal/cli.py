"""The ``gcnal`` command line: ``gcnal select``, ``gcnal methods``, ``gcnal demo``."""
from __future__ import annotations

import argparse
import logging
import sys
from typing import List, Optional

from .api import select
from .graph import GRAPHS, KNN_BACKENDS
from .errors import InvalidParameterError, MissingDependencyError
from .io import load_array, mask_from_array, save_array_atomic
from .registry import METHODS, available_methods

#: The learner signals (see gcnal.signals) as command-line files.
SIGNAL_HELP = {
    "probs": "learner class probabilities, N x C (entropy, margin, least_confidence)",
    "mc_probs": "MC-dropout class probabilities, N x T x C (bald, mc_entropy)",
    "predicted_loss": "a loss-prediction head's output, N (learning_loss, ta_vaal)",
    "labelled_scores": "a labelled-vs-unlabelled head's P(labelled), N (jls, tjls)",
}

SELECT_EPILOG = """\
examples:
  gcnal select --features feats.npy --labelled mask.npy --budget 100 --out picks.npy
  gcnal select --features feats.pt --labelled labelled_ids.npy --budget 1000 \\
      --method core_gcn --subset 10000 --seed 0 --out picks.npy
  gcnal select --features feats.npy --labelled mask.npy --probs probs.npy \\
      --budget 50 --method entropy --out picks.npy

--features holds one row per pool item (N x d), e.g. your model's penultimate
layer. --labelled is either a boolean (or 0/1) mask of length N or a list of
the indices already labelled. The picks are written as an int64 array of pool
indices, most wanted first, and printed unless --quiet.
"""


def _add_select(subparsers) -> None:
    p = subparsers.add_parser(
        "select", help="pick the next items to label",
        description="Pick which unlabelled pool items to send to annotation next.",
        epilog=SELECT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--features", required=True, metavar="FILE",
                   help="pool features, N x d, as .npy or .pt")
    p.add_argument("--labelled", required=True, metavar="FILE",
                   help="labelled items: a mask of length N or a list of indices (.npy or .pt)")
    p.add_argument("--budget", required=True, type=int, help="how many items to pick")
    p.add_argument("--method", default="typical_diverse",
                   help="selection method (default: typical_diverse, the recommended one); "
                        "see 'gcnal methods'")
    for signal, help_text in SIGNAL_HELP.items():
        p.add_argument("--" + signal.replace("_", "-"), metavar="FILE", help=help_text)
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--subset", type=int, default=None,
                   help="score only this many random unlabelled items (the paper: 10000)")
    p.add_argument("--epochs", type=int, default=200,
                   help="sampler training epochs (default: 200)")
    p.add_argument("--normalization", choices=["row", "column"], default="row",
                   help="adjacency normalisation (default: row; column = the original code)")
    p.add_argument("--graph", choices=list(GRAPHS), default="auto",
                   help="pool graph: dense, knn, or auto (dense while it fits; default)")
    p.add_argument("--k", type=int, default=15, help="neighbours per item of a kNN graph "
                   "(default: 15)")
    p.add_argument("--knn-backend", choices=list(KNN_BACKENDS), default="torch",
                   help="kNN search: torch (exact; default), faiss (exact) or faiss-approx "
                        "(needs gcnal[faiss])")
    p.add_argument("--batch-size", type=_batch_size, default="auto",
                   help="sampler training batch: auto (default), none (full batch) or an int")
    p.add_argument("--device", default=None, help="e.g. cpu or cuda:0 (default: cpu)")
    p.add_argument("--out", required=True, metavar="FILE",
                   help="where to write the picks (.npy or .pt), written atomically")
    p.add_argument("--progress", action="store_true", help="show training progress")
    p.add_argument("--quiet", action="store_true", help="do not print the picks")


def _batch_size(text: str):
    """``--batch-size``: ``auto``, ``none`` or an int (checked by ``select``)."""
    if text.lower() in ("auto", "none"):
        return None if text.lower() == "none" else "auto"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected auto, none or an int, got {text!r}")


def _add_demo(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="run a complete active-learning loop on an embedded dataset",
        description="Active learning on scikit-learn's bundled digits (1,797 8x8 images, no "
                    "download): a small torch learner, an initial labelled batch and several "
                    "cycles, comparing Random, CoreSet, UncertainGCN and CoreGCN over seeds. "
                    "Prints a per-cycle accuracy table and writes a PNG plot.")
    p.add_argument("--out", default="demo_results", help="output folder (default: demo_results)")
    p.add_argument("--seeds", type=int, default=3, help="number of seeds (default: 3)")
    p.add_argument("--cycles", type=int, default=6, help="selection cycles (default: 6)")
    p.add_argument("--initial", type=int, default=30, help="initial labelled items (default: 30)")
    p.add_argument("--budget", type=int, default=30, help="items picked per cycle (default: 30)")
    p.add_argument("--methods", default="random,coreset,uncertain_gcn,core_gcn,typical_diverse",
                   help="comma-separated methods (default: "
                        "random,coreset,uncertain_gcn,core_gcn,typical_diverse)")


def _run_select(args) -> int:
    features = load_array(args.features, "features")
    if features.ndim != 2:
        raise InvalidParameterError("features", "an N x d array", f"shape {features.shape}",
                                    "gcnal select")
    mask = mask_from_array(load_array(args.labelled, "labelled"), features.shape[0])
    signals = {name: load_array(getattr(args, name), name)
               for name in SIGNAL_HELP if getattr(args, name) is not None}
    picks = select(features, mask, args.budget, method=args.method, **signals, seed=args.seed,
                   subset=args.subset, epochs=args.epochs, normalization=args.normalization,
                   graph=args.graph, k=args.k, knn_backend=args.knn_backend,
                   batch_size=args.batch_size,
                   device=args.device, progress=args.progress)
    save_array_atomic(picks, args.out)
    if not args.quiet:
        print(" ".join(str(i) for i in picks.tolist()))
    return 0


def _run_methods(_args) -> int:
    for name in available_methods():
        method = METHODS.resolve(name)
        needs = f" (needs --{method.signal.replace('_', '-')})" if method.signal else ""
        print(f"{name:18s} {method.description}{needs}")
    return 0


def _run_demo(args) -> int:
    from .demo import run_demo

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    run_demo(out_dir=args.out, seeds=args.seeds, cycles=args.cycles, initial=args.initial,
             budget=args.budget, methods=methods)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gcnal",
        description="gcnal: choose which unlabelled examples to annotate next, with graph "
                    "neural network samplers (UncertainGCN, CoreGCN) and the classic baselines.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_select(subparsers)
    subparsers.add_parser("methods", help="list the selection methods",
                          description="List the selection methods (presets).")
    _add_demo(subparsers)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    run = {"select": _run_select, "methods": _run_methods, "demo": _run_demo}[args.command]
    try:
        return run(args)
    except (InvalidParameterError, MissingDependencyError) as err:
        print(f"gcnal {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
