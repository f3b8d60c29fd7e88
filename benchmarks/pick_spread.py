r"""How many classes a batch reaches: the class spread of each method's picks.

    python -m benchmarks.pick_spread --study fmnist_linear --cycle 4 --trials 0 1

A study's trial is labelled at random up to the study's labelled count at
``cycle`` (the same labelled set for every method); every method then picks
the next cycle's batch through ``gcnal.select`` (with the learner's
probabilities as ``probs`` when it reads them). Per method: the share of the
batch in its most frequent class, the number of classes it reaches, and the
entropy of its labels in bits (:func:`benchmarks.regimes.pick_spread`, the
columns the study rows carry). UncertainGCN's batch collapse is the first
column near 1. Rows go to ``benchmarks/results/default/pick_spread.jsonl``
(rows before this commit name the columns ``top_share``, ``classes`` and a
normalised ``entropy``).
"""
from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from .regimes import STUDIES, _seed, build_pool, fit_and_score, pick_spread
from .results_io import append_rows, describe_device, git_commit, utc_now
from .selection import method_signal, select_batch

RESULTS = Path(__file__).resolve().parent / "results" / "default" / "pick_spread.jsonl"
log = logging.getLogger("benchmarks.pick_spread")


def measure(study_name: str, cycle: int, trials: Sequence[int], methods: Sequence[str],
            data_dir=None, path: Path = RESULTS) -> List[Dict]:
    study = STUDIES[study_name]
    rows = []
    for trial in trials:
        pool = build_pool(study, trial, data_dir)
        rng = np.random.default_rng(_seed(trial, 4))
        labelled = np.zeros(len(pool.train_x), dtype=bool)
        counts = study.labelled_counts
        batch = counts[cycle + 1] - counts[cycle]
        labelled[rng.choice(len(labelled), counts[cycle], replace=False)] = True
        _, probs = fit_and_score(pool, np.flatnonzero(labelled), _seed(trial, 10))
        for method in methods:
            signal = {"probs": probs} if method_signal(method) == "probs" else {}
            picks, _, seconds, _ = select_batch(method, pool.train_x, labelled, batch,
                                                seed=_seed(trial, 100 + cycle), **signal)
            spread = pick_spread(pool.train_y[picks], pool.num_classes)
            rows.append({"study": study.name, "method": method, "trial": trial, "cycle": cycle,
                         "labelled": int(labelled.sum()), "budget": batch, **spread,
                         "selection_time_s": round(seconds, 3), "seed": trial,
                         "commit": git_commit(), "device": describe_device("cpu"),
                         "date": utc_now(), "config": asdict(study),
                         "command": " ".join(["python -m benchmarks.pick_spread"] + sys.argv[1:])})
            log.info("%s trial %d %s: %s", study.name, trial, method, spread)
    append_rows(path, rows)
    return rows


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pick_spread", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", required=True, choices=sorted(STUDIES))
    parser.add_argument("--cycle", type=int, default=4)
    parser.add_argument("--trials", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--methods", nargs="+",
                        default=["random", "margin", "uncertain_gcn", "core_gcn",
                                 "typical_margin", "gcn_typical_margin"])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    torch.set_num_threads(args.threads)
    rows = measure(args.study, args.cycle, args.trials, args.methods, args.data_dir, args.results)
    print("| method | top class share | classes reached | class entropy |")
    print("|---|---|---|---|")
    for method in args.methods:
        mine = [r for r in rows if r["method"] == method]
        print(f"| {method} | {np.mean([r['top_share'] for r in mine]):.2f} | "
              f"{np.mean([r['classes'] for r in mine]):.1f} | "
              f"{np.mean([r['entropy'] for r in mine]):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
