r"""``typical_diverse`` (gcnal's default method) over a sharded pool.

The same steps and picks as :func:`gcnal.selectors.typical_diverse` on the
concatenated pool, each split into local work and a few messages:

1. typicality from the exact kNN similarities
   (:func:`~gcnal.distributed.knn.ring_knn_similarities`: the shards pass
   around the ring, about :math:`4 N d (P - 1)/P` bytes per rank);
2. percentile ranks among the global unlabelled items: one ``all_gather``
   of the :math:`U` typicalities (and of the :math:`U` margins with
   ``probs``), :math:`4 U_r (P - 1)` bytes per rank, padded; every rank
   ranks the whole vector (:math:`O(U \log U)`, memory :math:`O(U)` scalars);
   the coverage rule's weight (the default with ``probs``) adds one
   ``all_reduce`` of the covered count, 8 bytes;
3. the ``"auto"`` radius: the same :data:`~gcnal.selectors.typical_diverse.RADIUS_SAMPLE`
   items drawn from the shared seed (``randperm`` of :math:`N`, memory
   :math:`O(N)` int64 on each rank), their rows gathered
   (:math:`\le 512 d` floats), and per sampled item the
   :math:`m + 1 = \lceil N / (L + b) \rceil + 1` smallest local distances
   gathered (:math:`4 \cdot 512 (m + 1)(P - 1)` bytes per rank);
4. the distance to the labelled set: the labelled rows gathered
   (:math:`4 L d (P - 1) / P` bytes per rank, padded);
5. each pick one :func:`~gcnal.distributed.greedy.offer`
   (:math:`8 (d + 2)(P - 1)` bytes), and a gather of one scalar and a second
   offer when the radius halves.
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import torch
from torch import Tensor

from ..graph import l2_normalize
from ..nn import column_major
from ..progress import progress_bar
from ..selectors.kcenter import min_distance_to
from ..selectors.typiclust import typicality_from
from ..selectors.typical_diverse import (RADIUS_SAMPLE, _RADIUS_BLOCK, blend_ranks,
                                         covered_count, nearest_distances, neighbourhood_radii,
                                         percentile_rank, resolve_weight, uncertainty_signal)
from .greedy import offer
from .knn import ring_knn_similarities
from .shard import Shard


def sharded_nearest(shard: Shard, vectors: Tensor, k: int) -> Tensor:
    r"""The local rows' :math:`k` largest similarities to the whole pool
    (:math:`k` capped at :math:`\lfloor N / 2 \rfloor`), largest first: the
    search behind the typicality and the neighbourhood radii."""
    k = min(k, shard.num_items // 2)
    if k < 1:
        return torch.zeros(vectors.size(0), 0, device=vectors.device)
    return ring_knn_similarities(shard.comm, vectors, k, shard.counts)


def sharded_coverage(shard: Shard, nearest: Tensor, delta: Tensor) -> Tuple[int, int]:
    """The covered and all unlabelled items of the whole pool
    (:func:`~gcnal.selectors.typical_diverse.covered_count` of the local
    rows, summed over the ranks: one scalar each)."""
    unlabelled = ~shard.labelled
    covered = covered_count(neighbourhood_radii(nearest[unlabelled]), delta[unlabelled])
    total = shard.comm.all_reduce(torch.tensor([covered], dtype=torch.int64))
    return int(total[0]), sum(shard.unlabelled_counts)


def global_percentile_rank(shard: Shard, values: Tensor) -> Tensor:
    """:func:`~gcnal.selectors.typical_diverse.percentile_rank` of the local
    unlabelled items' ``values`` among every rank's (ties by global
    position)."""
    everyone = shard.comm.all_gather_rows(values, shard.unlabelled_counts)
    start = sum(shard.unlabelled_counts[:shard.comm.rank])
    return percentile_rank(everyone)[start:start + values.numel()]


def sharded_cell_radius(shard: Shard, vectors: Tensor, cells: int,
                        generator: torch.Generator) -> float:
    r""":func:`~gcnal.selectors.typical_diverse.cell_radius` of the whole pool:
    the median over the sampled items of the distance to their
    :math:`\lceil N / \text{cells} \rceil`-th nearest item (itself first)."""
    comm, n = shard.comm, shard.num_items
    m = min(n - 1, max(1, math.ceil(n / max(cells, 1))))
    draw = torch.randperm(n, generator=generator, device=vectors.device)[:RADIUS_SAMPLE]
    mine = (draw >= shard.offset) & (draw < shard.offset + vectors.size(0))
    positions = torch.nonzero(mine).flatten()
    rows = torch.cat([positions.unsqueeze(1).to(vectors.dtype),
                      vectors[draw[positions] - shard.offset]], dim=1)
    gathered = comm.all_gather_rows(rows)
    sample = torch.empty(draw.numel(), vectors.size(1), dtype=vectors.dtype,
                         device=vectors.device)
    sample[gathered[:, 0].long()] = gathered[:, 1:]
    nearest = torch.full((draw.numel(), m + 1), float("inf"), device=vectors.device)
    if vectors.size(0):
        for start in range(0, draw.numel(), _RADIUS_BLOCK):
            top = nearest_distances(sample[start:start + _RADIUS_BLOCK], vectors,
                                    min(m + 1, vectors.size(0)))
            nearest[start:start + _RADIUS_BLOCK, :top.size(1)] = top
    everyone = comm.all_gather(nearest).transpose(0, 1).reshape(draw.numel(), -1)
    return float(everyone.kthvalue(m + 1, dim=1).values.median())


def _best_eligible(score: Tensor, eligible: Tensor) -> Optional[int]:
    """The local index of the highest ``score`` among ``eligible`` items."""
    if not bool(eligible.any()):
        return None
    return int(torch.argmax(torch.where(eligible, score, float("-inf"))))


def typical_diverse(shard: Shard, scores: Optional[Tensor], k: int = 20,
                    uncertainty_weight="auto", radius="auto") -> Tensor:
    r"""The global indices of ``shard.budget`` picks of
    :func:`gcnal.selectors.typical_diverse`, in pick order, the same on every
    rank. ``scores``: this rank's :math:`(n_r, C)` probabilities or ``None``."""
    comm, labelled = shard.comm, shard.labelled
    generator = shard.generator()
    vectors = l2_normalize(shard.x)
    with comm.stage("knn"):
        nearest = sharded_nearest(shard, vectors, k)
        typ = typicality_from(nearest)
    unlabelled = torch.nonzero(~labelled).flatten()
    with comm.stage("labelled distances"):
        delta = min_distance_to(vectors, comm.all_gather_rows(vectors[labelled])).sqrt()
    with comm.stage("ranks"):
        pool_score = global_percentile_rank(shard, typ[unlabelled])
        weight = resolve_weight(uncertainty_weight, scores is not None,
                                lambda: sharded_coverage(shard, nearest, delta))
        signal = uncertainty_signal(scores, delta, shard.num_labelled > 0, weight)
        if signal is not None:
            uncertain = global_percentile_rank(shard, signal[1][unlabelled])
            pool_score = blend_ranks(pool_score, uncertain, weight)
    score = torch.full((vectors.size(0),), -1.0, device=vectors.device)
    score[unlabelled] = pool_score
    with comm.stage("radius"):
        if radius == "auto":
            cells = shard.num_labelled + shard.budget
            radius = sharded_cell_radius(shard, vectors, cells, generator)
    vectors = column_major(vectors)
    available = ~labelled
    picks = torch.empty(shard.budget, dtype=torch.long)
    offset, empty_row = shard.offset, vectors.new_zeros(vectors.size(1))
    with comm.stage("picks"):
        for step in progress_bar(range(shard.budget), "typical_diverse picks"):
            local = _best_eligible(score, available & (delta > radius))
            winner = offer(comm, None if local is None else float(score[local]),
                           offset + (local or 0), empty_row if local is None else vectors[local])
            if winner is None:  # no item outside the balls on any rank: shrink the radius
                reach = delta[available].max() if bool(available.any()) else float("-inf")
                reach = float(comm.all_gather(torch.tensor([float(reach)])).max())
                fallback = False
                while not reach > radius:
                    if radius < 0:
                        fallback = True
                        break
                    radius = radius / 2 if radius > 1e-6 else -1.0
                eligible = available if fallback else available & (delta > radius)
                local = _best_eligible(score, eligible)
                winner = offer(comm, None if local is None else float(score[local]),
                               offset + (local or 0),
                               empty_row if local is None else vectors[local])
            picks[step] = winner.index
            if winner.rank == comm.rank:
                available[winner.index - offset] = False
            torch.minimum(delta, (2.0 - 2.0 * (vectors @ winner.row)).clamp_(min=0).sqrt_(),
                          out=delta)
    return picks
