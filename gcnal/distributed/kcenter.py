r"""k-center greedy (CoreSet) over a sharded pool.

The same picks as :func:`gcnal.selectors.kcenter.k_center_greedy_picks` on
the concatenated pool: the points are divided by the power of two of the
global largest entry (one ``all_reduce`` of a scalar); each rank measures its
items' distance to the labelled rows of every rank (one ``all_gather`` of
the :math:`L \times d` labelled rows, :math:`4 L_r d (P - 1)` bytes sent by
rank :math:`r`, padded to the largest :math:`L_r`); then each pick is one
:func:`~gcnal.distributed.greedy.offer` of the farthest local item with its
row and squared norm, :math:`8 (d + 3)(P - 1)` bytes per rank and pick.
A cold start (no labelled item anywhere) draws the first pick from the
shared seed among the global unlabelled items, as the single-process code
draws it.
"""
from __future__ import annotations

import torch
import torch.distributed as dist
from torch import Tensor

from ..nn import column_major
from ..progress import progress_bar
from ..scaling import power_of_two_scale, times_power_of_two
from ..selectors.kcenter import min_distance_to
from .greedy import offer
from .shard import Shard


def global_scale(shard: Shard, points: Tensor) -> Tensor:
    """``points`` divided by the power of two of the largest entry over every
    shard (as :func:`~gcnal.scaling.divide_by_power_of_two` divides the
    concatenated pool)."""
    local_max = points.abs().max() if points.numel() else points.new_zeros(())
    largest = shard.comm.all_reduce(local_max.reshape(1), op=dist.ReduceOp.MAX)
    return times_power_of_two(points, -power_of_two_scale(largest[0]))


def cold_start_owner(shard: Shard, generator: torch.Generator):
    """``(rank, local index)`` of the first pick of a cold start: the
    ``j``-th unlabelled item of the concatenated pool for ``j`` drawn
    uniformly from ``generator`` (the same draw on every rank)."""
    j = int(torch.randint(sum(shard.unlabelled_counts), (1,), generator=generator,
                          device=shard.x.device)[0])
    for rank, count in enumerate(shard.unlabelled_counts):
        if j < count:
            if rank != shard.comm.rank:
                return rank, -1
            return rank, int(torch.nonzero(~shard.labelled).flatten()[j])
        j -= count
    raise AssertionError("the draw is below the number of unlabelled items")


def k_center(shard: Shard) -> Tensor:
    r"""The global indices of ``shard.budget`` k-center greedy picks, in pick
    order, the same on every rank."""
    comm = shard.comm
    generator = shard.generator()
    with comm.stage("scale"):
        points = column_major(global_scale(shard, shard.x))
    with comm.stage("labelled distances"):
        centres = comm.all_gather_rows(points[shard.labelled])
        dist_sq = min_distance_to(points, centres)
    taken = shard.labelled.clone()
    sq_norms = points.square().sum(dim=1)
    picks = torch.empty(shard.budget, dtype=torch.long)
    cold_start = centres.size(0) == 0
    offset = shard.offset
    empty_row = points.new_zeros(points.size(1))
    with comm.stage("picks"):
        for step in progress_bar(range(shard.budget), "k-center picks"):
            if step == 0 and cold_start:
                _, local = cold_start_owner(shard, generator)
            else:
                masked = torch.where(taken, float("-inf"), dist_sq)
                local = int(torch.argmax(masked)) if bool((~taken).any()) else -1
            if local < 0:
                winner = offer(comm, None, -1, empty_row, (0.0,))
            else:
                winner = offer(comm, float(dist_sq[local]), offset + local, points[local],
                               (float(sq_norms[local]),))
            picks[step] = winner.index
            if winner.rank == comm.rank:
                taken[winner.index - offset] = True
            new = (sq_norms + winner.extra[0].float()).sub_(points @ winner.row, alpha=2.0)
            torch.minimum(dist_sq, new.clamp_(min=0), out=dist_sq)
    return picks
