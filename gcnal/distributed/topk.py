r"""The global ``budget`` smallest priorities from each shard's own smallest.

The global top-:math:`b` is contained in the union of the shards' local
top-:math:`b`, so one ``all_gather`` of :math:`b` (priority, global index)
pairs per rank, :math:`16 b (P - 1)` bytes sent per rank, decides it exactly.
Ties go to the lowest global index, as :func:`gcnal.selectors.rank_unlabelled`
breaks them on the concatenated pool.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .comm import Communicator


def _lexicographic_order(priority: Tensor, index: Tensor) -> Tensor:
    """Positions sorted by ``priority``, ties by ``index``."""
    by_index = torch.argsort(index, stable=True)
    return by_index[torch.argsort(priority[by_index], stable=True)]


def global_smallest(comm: Communicator, priority: Tensor, index: Tensor, budget: int) -> Tensor:
    r"""The global indices of the ``budget`` smallest ``priority`` values over
    every rank's candidates, smallest first; the same on every rank.

    Args:
        priority: :math:`(n,)` this rank's candidates' priorities (float, or
            int64 keys).
        index: :math:`(n,)` their global indices.
        budget: At most the number of candidates over all ranks.
    """
    local = _lexicographic_order(priority, index)[:budget]
    dtype = torch.int64 if priority.dtype == torch.int64 else torch.float64
    packed = torch.zeros(budget, 3, dtype=dtype, device=priority.device)
    packed[:local.numel(), 0] = 1
    packed[:local.numel(), 1] = priority[local].to(dtype)
    packed[:local.numel(), 2] = index[local].to(dtype)
    gathered = comm.all_gather(packed).reshape(-1, 3)
    gathered = gathered[gathered[:, 0] == 1]
    order = _lexicographic_order(gathered[:, 1], gathered[:, 2])[:budget]
    return gathered[order, 2].to(torch.int64)
