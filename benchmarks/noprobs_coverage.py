r"""Where the no-probs picks of ``typical_diverse`` land, beside TypiClust's
and Random's, on a regression study's pool (issue 14's Friedman #1 loss):

    python -m benchmarks.noprobs_coverage --study friedman_dev --trials 0 1 2 3 4

Per trial, 20 random initial labels; then one selection of ``b`` items
(20, 40, 60) by each arm. Per arm and ``b``, means over trials of

- the cover radius of labelled + picked over the pool,
  :math:`\max_i \min_{j \in L \cup P} \lVert \mathbf{x}_i - \mathbf{x}_j \rVert`,
  on the selectors' unit vectors (``cover_unit``) and on the standardised
  inputs (``cover_x``), and the mean of that distance (``mean_x``);
- the picks' mean input norm :math:`\lVert \mathbf{x} \rVert` (the pool's is
  about :math:`\sqrt{d}`: larger means towards the corners of the cube);
- the picks' mean percentile of pool typicality (``typ_pct``);
- the mean distance of each selected item to its nearest other selected
  item on the unit vectors (``separation``), and the auto radius.

Arms: the default's blend (``pool``; ``cold_start=False``, since with
:math:`|L| \le b` the default now picks as TypiClust), the auto radius
times 0.5 and 1.5 (``radius`` set to that value), TypiClust, Random.
"""
from __future__ import annotations

import argparse
from typing import Dict, List, Tuple

import numpy as np
import torch

from gcnal.graph import l2_normalize
from gcnal.selectors import cell_radius, typical_diverse, typicality, typiclust

from .regimes import STUDIES, build_pool

ARMS = ("pool", "radius x0.5", "radius x1.5", "typiclust", "random")


def _picks(arm: str, x: torch.Tensor, mask: torch.Tensor, budget: int, trial: int,
           rng: np.random.Generator, auto_radius: float) -> torch.Tensor:
    gen = torch.Generator().manual_seed(trial)
    if arm == "random":
        return torch.from_numpy(rng.choice(np.flatnonzero(~mask.numpy()), budget, replace=False))
    if arm == "typiclust":
        return typiclust(None, x, mask, budget, generator=gen)[0]
    if arm.startswith("radius x"):
        return typical_diverse(None, x, mask, budget, generator=gen, cold_start=False,
                               radius=min(2.0, float(arm[8:]) * auto_radius))[0]
    return typical_diverse(None, x, mask, budget, generator=gen, cold_start=False)[0]


def measure(study: str, trials: List[int], budgets=(20, 40, 60)) -> Dict[Tuple[int, str], np.ndarray]:
    out: Dict[Tuple[int, str], List] = {}
    for trial in trials:
        x = torch.from_numpy(build_pool(STUDIES[study], trial).train_x)
        v = l2_normalize(x)
        n = x.size(0)
        rank = typicality(v, 20, normalized=True).argsort().argsort().float() / n
        rng = np.random.default_rng(trial)
        initial = torch.from_numpy(rng.choice(n, STUDIES[study].initial, replace=False))
        for budget in budgets:
            mask = torch.zeros(n, dtype=torch.bool)
            mask[initial] = True
            # the default's own radius (typical_diverse draws it from the same seed)
            auto = cell_radius(v, int(mask.sum()) + budget, torch.Generator().manual_seed(trial))
            for arm in ARMS:
                picks = _picks(arm, x, mask, budget, trial, rng, auto)
                chosen = mask.clone()
                chosen[picks] = True
                near_x = torch.cdist(x, x[chosen]).min(1).values
                near_v = torch.cdist(v, v[chosen]).min(1).values
                apart = torch.cdist(v[chosen], v[chosen]) + 9 * torch.eye(int(chosen.sum()))
                out.setdefault((budget, arm), []).append(
                    (float(near_v.max()), float(near_x.max()), float(near_x.mean()),
                     float(x[picks].norm(dim=1).mean()), float(rank[picks].mean()),
                     float(apart.min(1).values.mean()), auto))
    return {key: np.mean(values, axis=0) for key, values in out.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.noprobs_coverage", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", default="friedman_dev", choices=[s for s in STUDIES
                                                                    if STUDIES[s].task == "regression"])
    parser.add_argument("--trials", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print("| b | arm | cover_unit | cover_x | mean_x | pick norm | typ_pct | separation | auto radius |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (budget, arm), m in sorted(measure(args.study, args.trials).items(),
                                   key=lambda kv: (kv[0][0], ARMS.index(kv[0][1]))):
        print(f"| {budget} | {arm} | " + " | ".join(f"{value:.3f}" for value in m) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
