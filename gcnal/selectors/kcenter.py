r"""k-center greedy (CoreSet, Sener & Savarese, ICLR 2018; CoreGCN)."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ..nn import column_major, rows_per_block
from ..progress import progress_bar
from ..subset import draw_subset

def min_distance_to(points: Tensor, centres: Tensor) -> Tensor:
    r"""Squared Euclidean distance of every point to its nearest centre,
    :math:`\min_j \lVert \mathbf{p}_i - \mathbf{c}_j \rVert^2`, in row blocks
    so memory stays :math:`O(\text{block} \cdot |C|)`; :math:`+\infty` when there
    is no centre."""
    n = points.size(0)
    if centres.size(0) == 0:
        return torch.full((n,), float("inf"), device=points.device)
    out = torch.empty(n, device=points.device, dtype=points.dtype)
    step = rows_per_block(centres.size(0))
    for start in range(0, n, step):
        block = torch.cdist(points[start:start + step], centres)
        out[start:start + step] = block.min(dim=1).values.square()
    return out


def k_center_greedy_indices(points: Tensor, centre_mask: Tensor, budget: int,
                            generator: Optional[torch.Generator] = None) -> Tensor:
    r"""Greedy 2-approximation of the k-center problem:

    .. math::
        \delta_i = \min_{j \in C} \lVert \mathbf{p}_i - \mathbf{p}_j \rVert, \qquad
        u = \operatorname*{arg\,max}_{i \notin C} \delta_i, \qquad
        C \leftarrow C \cup \{u\}, \quad
        \delta_i \leftarrow \min(\delta_i, \lVert \mathbf{p}_i - \mathbf{p}_u \rVert),

    repeated ``budget`` times. Memory :math:`O(N h)`: one vector of minimum
    distances, updated per pick with one matrix-vector product,
    :math:`\lVert \mathbf{p}_i - \mathbf{p}_u \rVert^2 = \lVert \mathbf{p}_i \rVert^2
    + \lVert \mathbf{p}_u \rVert^2 - 2\,\mathbf{p}_i^\top \mathbf{p}_u`, which reads
    the points once; ties go to the lowest index. With no initial centre the first pick is drawn from
    ``generator`` (as the CoreSet code does).

    Args:
        points (torch.Tensor): :math:`(N, h)` points.
        centre_mask (torch.Tensor): :math:`(N,)` booleans, the initial centres.
        budget (int): Number of picks, at most the number of non-centres.
        generator (torch.Generator, optional): Only used without centres.

    Returns:
        :math:`(\text{budget},)` int64 indices in pick order.
    """
    points = column_major(points.float())  # one matrix-vector product per pick
    dist = min_distance_to(points, points[centre_mask])
    dist[centre_mask] = -1.0
    sq_norms = points.square().sum(dim=1)
    picks = torch.empty(budget, dtype=torch.long, device=points.device)
    cold_start = not bool(centre_mask.any())
    for step in progress_bar(range(budget), "k-center picks"):
        if step == 0 and cold_start:
            candidates = torch.nonzero(~centre_mask, as_tuple=True)[0]
            draw = torch.randint(candidates.numel(), (1,), generator=generator,
                                 device=candidates.device)
            pick = candidates[draw[0]]
        else:
            pick = torch.argmax(dist)
        picks[step] = pick
        new = (sq_norms + sq_norms[pick]).sub_(points @ points[pick], alpha=2.0).clamp_(min=0)
        torch.minimum(dist, new, out=dist)
        dist[pick] = -1.0
    return picks


def k_center_greedy(scores: Optional[Tensor], embeddings: Tensor, labelled_mask: Tensor,
                    budget: int, *, generator: Optional[torch.Generator] = None,
                    candidates: Optional[int] = None) -> Tensor:
    r"""The k-center greedy selector (CoreSet on raw features, CoreGCN on the
    GCN's first-layer embeddings): the labelled items are the initial centres,
    see :func:`k_center_greedy_indices`. ``scores`` are unused.

    Args:
        candidates (int, optional): For large pools, pick only among this many
            unlabelled items drawn uniformly from ``generator``; every labelled
            item still counts as a centre. The work drops from
            :math:`O(N (L + b) h)` to :math:`O(C (L + b) h)` for :math:`C`
            candidates, at the price of the farthest items outside the draw.
            (default: :obj:`None`, the whole pool)
    """
    nodes = draw_subset(labelled_mask, candidates, budget, generator, "candidates",
                        "k_center_greedy")
    if nodes.numel() == labelled_mask.numel():
        return k_center_greedy_indices(embeddings, labelled_mask, budget, generator)
    return nodes[k_center_greedy_indices(embeddings[nodes], labelled_mask[nodes], budget,
                                         generator)]
