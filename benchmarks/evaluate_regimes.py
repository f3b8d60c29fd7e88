r"""Re-run a stored regimes study through ``gcnal.evaluate`` and compare the
numbers row by row (the check that the library's loop is the benchmark's).

    python -m benchmarks.evaluate_regimes --study fmnist_small --methods random margin --trials 0 1 2

Features come from :func:`benchmarks.regimes.build_pool` (the study's pool and
PCA features, its test set), the seeds are the trials (``gcnal.evaluate``'s
seed plan is the harness's), the learner is the harness's logistic regression.
Prints the largest absolute difference per method and whether every value
matches the stored rows.
"""
from __future__ import annotations

import argparse
from typing import Optional, Sequence

import numpy as np

import gcnal

from .regimes import RESULTS, STUDIES, build_pool
from .results_io import read_rows


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="fmnist_small", choices=sorted(STUDIES))
    parser.add_argument("--methods", nargs="+", default=["random", "margin"])
    parser.add_argument("--trials", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args(argv)
    study = STUDIES[args.study]
    stored = {(r["method"], r["trial"], r["cycle"]): r["value"]
              for r in read_rows(RESULTS / f"{study.name}.jsonl")}
    worst = {}
    for trial in args.trials:  # each trial has its own pool draw and PCA
        pool = build_pool(study, trial)
        result = gcnal.evaluate(pool.train_x, pool.train_y, test=(pool.test_x, pool.test_y),
                                methods=args.methods, initial=study.initial,
                                budget=study.budget, cycles=study.cycles, seeds=(trial,))
        for row in result.rows:
            old = stored[(row["method"], trial, row["cycle"])]
            worst[row["method"]] = max(worst.get(row["method"], 0.0), abs(row["value"] - old))
            print(f"{study.name} {row['method']} trial {trial} cycle {row['cycle']}: "
                  f"evaluate {row['value']:.4f} stored {old:.4f}")
    for method, gap in worst.items():
        print(f"{method}: largest |evaluate - stored| = {gap:.2e}")
    return 0 if all(np.isclose(g, 0.0, atol=1e-12) for g in worst.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
