"""Run an active-learning study: every (dataset, trial, method), resumable.

Examples::

    # the CI smoke run (scikit-learn digits, small CNN, CPU, < 1 minute)
    python -m benchmarks.run --profile smoke

    # the paper's protocol on FashionMNIST, trials 0-2, the four paper methods
    python -m benchmarks.run --profile paper --dataset fashion_mnist \\
        --methods random coreset uncertain_gcn core_gcn --trials 0 1 2

Rows go to ``benchmarks/results/<study>/<dataset>__<method>__trial<k>.jsonl``
(``--study`` defaults to ``<dataset>_<profile>``). Re-running the same
command resumes where it stopped: finished cycles are skipped, an unfinished
trial continues from its last written cycle. Trials run in order, and within
a trial every method, so an interrupted study holds complete trials first.
Several processes may run different ``--trials`` of one study at once (each
trial has its own files).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import List, Optional

import torch

from .datasets import available_datasets, load_dataset
from .loop import prepare_data, run_trial
from .profiles import PROFILES, get_profile
from .selection import available_methods

RESULTS_DIR = Path(__file__).resolve().parent / "results"

log = logging.getLogger("benchmarks")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--profile", default="smoke", choices=sorted(PROFILES), help="settings preset (default: smoke)")
    p.add_argument("--dataset", nargs="+", default=None, help=f"datasets among {available_datasets()} (default: the profile's)")
    p.add_argument("--methods", nargs="+", default=None,
                   help="gcnal presets, or 'all' for gcnal.available_methods() (default: the profile's list)")
    p.add_argument("--trials", nargs="+", type=int, default=None, help="trial numbers = seeds (default: 0..trials-1)")
    p.add_argument("--study", default=None, help="results sub-folder (default: <dataset>_<profile>)")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help=f"(default: {RESULTS_DIR})")
    p.add_argument("--data-dir", default=None, help="offline data folder (default: $GCNAL_DATA or ../shared/data)")
    p.add_argument("--download", action="store_true", help="download with torchvision when no offline copy exists")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: cuda if available)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--max-minutes", type=float, default=None, help="start no new cycle after this many minutes")
    g = p.add_argument_group("overrides of the profile (stored in every row's 'config')")
    g.add_argument("--learner", choices=["resnet18", "small_cnn"])
    g.add_argument("--epochs", type=int)
    g.add_argument("--lr", type=float)
    g.add_argument("--batch-size", type=int)
    g.add_argument("--schedule", choices=["step", "cosine"])
    g.add_argument("--milestones", type=int, nargs="*")
    g.add_argument("--initial", type=int)
    g.add_argument("--budget", type=int)
    g.add_argument("--cycles", type=int)
    g.add_argument("--subset", type=int)
    g.add_argument("--options", type=json.loads, default=None, dest="method_options",
                   help="a JSON object of options for every method's gcnal.select")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if args.threads:
        torch.set_num_threads(args.threads)
    profile = get_profile(args.profile).replace(
        learner=args.learner, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, schedule=args.schedule,
        milestones=args.milestones, initial=args.initial, budget=args.budget, cycles=args.cycles, subset=args.subset,
        method_options=args.method_options,
    )
    datasets = args.dataset or [profile.dataset]
    methods = args.methods or profile.methods
    known = available_methods()
    if methods == ["all"]:
        methods = known
    unknown = [m for m in methods if m not in known]
    if unknown:
        raise SystemExit(f"Unknown gcnal methods {unknown}; gcnal.available_methods() = {known}")
    trials = args.trials if args.trials is not None else list(range(profile.trials))
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed input shapes; CUDA runs are not bit-reproducible anyway
    deadline = time.time() + 60 * args.max_minutes if args.max_minutes else None
    for name in datasets:
        dataset = load_dataset(name, args.data_dir, args.download)
        log.info("%s", dataset.summary())
        study = args.study or f"{dataset.name}_{profile.name}"
        data = prepare_data(dataset, device)
        for trial in trials:
            for method in methods:
                run_trial(data, profile, method, trial, args.results_dir, study, deadline=deadline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
