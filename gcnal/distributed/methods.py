r"""The methods that run sharded, each as ``run(shard, scores, **options)``
returning the global picks in pick order (the same tensor on every rank).

Communication per method (bytes sent per rank, :math:`P` ranks, budget
:math:`b`, dimension :math:`d`, :math:`L` labelled, :math:`U` unlabelled,
:math:`N` items; docs/distributed.md has the table):

- ``random``, ``margin``, ``entropy``, ``least_confidence``: one
  :func:`~gcnal.distributed.topk.global_smallest`, :math:`24 b (P - 1)`.
- ``coreset``: :func:`~gcnal.distributed.kcenter.k_center`,
  :math:`4 L d (P-1)/P + 8 b (d + 3)(P - 1)`.
- ``typical_diverse``: :func:`~gcnal.distributed.typical.typical_diverse`,
  dominated by the ring kNN, :math:`4 N d (P - 1) / P`; at a cold start
  ``typiclust``'s.
- ``typiclust``: :func:`~gcnal.distributed.typiclust.typiclust`, per
  k-means++ seed :math:`8 (d + 2)(P - 1)`, per Lloyd round
  :math:`8 K d + 16 (K + 1)(P - 1)/P`, per pick the chosen cluster's
  remaining rows.
- ``uncertain_gcn``, ``core_gcn``: :func:`~gcnal.distributed.gnn.gnn_picks`,
  per epoch :math:`O(d h)` (the products' :math:`V^\top y` and the
  gradients), then the top-k or k-center selection.
"""
from __future__ import annotations

from functools import partial
from typing import Callable, Dict, Optional

import torch
from torch import Tensor

from ..errors import InvalidParameterError
from ..methods import GNNMethod, resolve_method
from ..registry import METHODS
from ..selectors import entropy, least_confidence, margin
from ..selectors.typical_diverse import cold_start_reason, warn_unused_blend_options
from .gnn import gnn_picks
from .kcenter import k_center
from .keys import random_keys
from .shard import OWNER, Shard
from .topk import global_smallest
from .typical import typical_diverse
from .typiclust import typiclust


def random_picks(shard: Shard, scores: Optional[Tensor]) -> Tensor:
    """Uniform without replacement: the unlabelled items with the smallest
    :func:`~gcnal.distributed.keys.random_keys` under the shared seed."""
    index = shard.global_index()[~shard.labelled]
    with shard.comm.stage("local top-k"):
        keys = random_keys(shard.seed, index)
    with shard.comm.stage("top-k"):
        return global_smallest(shard.comm, keys, index, shard.budget)


def ranked_picks(selector: Callable, column: str, sign: float, shard: Shard,
                 scores: Tensor) -> Tensor:
    """The global top-``budget`` of a ranking selector: each rank runs
    ``selector`` on its shard for its own top-``budget`` and offers their
    priority (the selector's ``column`` times ``sign``, smallest first)."""
    index = shard.global_index()
    local_budget = min(shard.budget, int((~shard.labelled).sum()))
    with shard.comm.stage("local top-k"):
        if local_budget:
            local, columns = selector(scores, None, shard.labelled, local_budget)
            priority = sign * columns[column].to(torch.float64)
        else:
            local, priority = index[:0], torch.empty(0, dtype=torch.float64)
    with shard.comm.stage("top-k"):
        return global_smallest(shard.comm, priority, index[local], shard.budget)


def coreset_picks(shard: Shard, scores: Optional[Tensor], candidates=None) -> Tensor:
    """k-center greedy on the raw features."""
    if candidates is not None:
        raise InvalidParameterError("candidates", "None (every item is a candidate when the "
                                    "pool is sharded)", repr(candidates), OWNER)
    return k_center(shard)


def typical_diverse_picks(shard: Shard, scores: Optional[Tensor], k: int = 20,
                          uncertainty_weight="auto", radius="auto",
                          knn_backend: str = "auto", cold_start="auto") -> Tensor:
    """gcnal's default method, with the exact ring kNN search at every pool
    size (``"auto"`` too, which :func:`gcnal.select` resolves to the
    approximate ``"ivf"`` search past
    :data:`~gcnal.selectors.typiclust.EXACT_TYPICALITY_MAX` items); its cold
    start (when the labelled set is no larger than the budget, or without
    ``scores``: :func:`~gcnal.selectors.typical_diverse.cold_start_reason`)
    is the sharded TypiClust's picks."""
    if knn_backend not in ("auto", "torch"):
        raise InvalidParameterError("knn_backend", "'auto' or 'torch' (the ring search is exact "
                                    "torch products)", repr(knn_backend), OWNER)
    reason = cold_start_reason(cold_start, shard.num_labelled, shard.budget, scores is not None,
                               OWNER)
    if reason is not None:
        warn_unused_blend_options(reason, shard.num_labelled, shard.budget,
                                  uncertainty_weight=uncertainty_weight, radius=radius,
                                  knn_backend=knn_backend)
        return typiclust(shard, scores, k)
    return typical_diverse(shard, scores, k, uncertainty_weight, radius)


#: Method name -> how it runs sharded.
SHARDED_METHODS: Dict[str, Callable] = {
    "random": random_picks,
    "margin": partial(ranked_picks, margin, "margin", 1.0),
    "entropy": partial(ranked_picks, entropy, "entropy", -1.0),
    "least_confidence": partial(ranked_picks, least_confidence, "confidence", 1.0),
    "coreset": coreset_picks,
    "typical_diverse": typical_diverse_picks,
    "typiclust": typiclust,
    "uncertain_gcn": partial(gnn_picks, "margin"),
    "core_gcn": partial(gnn_picks, "kcenter"),
}


def plan(method: str, options):
    """``(run, chosen)`` for ``method``: an unknown name or one
    that cannot run sharded is an error listing the ones that can; the
    options are checked as :func:`gcnal.select` checks them."""
    preset = METHODS.resolve(method)
    if preset.name not in SHARDED_METHODS:
        raise InvalidParameterError(
            "method", f"one of {sorted(SHARDED_METHODS)} (the methods that run sharded; "
                      f"{preset.name!r} runs in one process only, with gcnal.select)",
            repr(method), OWNER)
    chosen = resolve_method(preset.name)
    settings = chosen.check_options(options)
    if isinstance(chosen, GNNMethod):
        return partial(SHARDED_METHODS[preset.name], chosen=chosen, settings=settings), chosen
    return partial(SHARDED_METHODS[preset.name], **chosen.values(settings, "selector")), chosen
