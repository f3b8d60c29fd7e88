r"""k-center greedy (CoreSet, Sener & Savarese, ICLR 2018; CoreGCN)."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ..nn import one_thread
from ..progress import progress_bar
from ..scaling import divide_by_power_of_two
from ..subset import draw_subset
from .nearest_centre import NearestCentres, nearest_centre
from .ranking import PicksAndScores


def min_distance_to(points: Tensor, centres: Tensor) -> Tensor:
    r"""Squared Euclidean distance of every point to its nearest centre,
    :math:`\min_j \lVert \mathbf{p}_i - \mathbf{c}_j \rVert^2`
    (:func:`~gcnal.selectors.nearest_centre.nearest_centre` without the
    index); :math:`+\infty` when there is no centre."""
    return nearest_centre(points, centres)[0]


def k_center_greedy_indices(points: Tensor, centre_mask: Tensor, budget: int,
                            generator: Optional[torch.Generator] = None) -> Tensor:
    r"""The picks of :func:`k_center_greedy_picks` alone."""
    return k_center_greedy_picks(points, centre_mask, budget, generator)[0]


def k_center_greedy_picks(points: Tensor, centre_mask: Tensor, budget: int,
                          generator: Optional[torch.Generator] = None
                          ) -> Tuple[Tensor, Tensor]:
    r"""Greedy 2-approximation of the k-center problem:

    .. math::
        \delta_i = \min_{j \in C} \lVert \mathbf{p}_i - \mathbf{p}_j \rVert, \qquad
        u = \operatorname*{arg\,max}_{i \notin C} \delta_i, \qquad
        C \leftarrow C \cup \{u\}, \quad
        \delta_i \leftarrow \min(\delta_i, \lVert \mathbf{p}_i - \mathbf{p}_u \rVert),

    repeated ``budget`` times; ties go to the lowest index. With no initial
    centre the first pick is drawn from ``generator`` (as the CoreSet code
    does). The distances are kept by
    :class:`~gcnal.selectors.nearest_centre.NearestCentres`, which after each
    pick recomputes only the points whose distance the triangle inequality
    does not rule out changing (:math:`\lVert \mathbf{p}_u -
    \mathbf{p}_{c(i)} \rVert < 2 \delta_i`, with a margin for rounding):
    the distances, so the picks, are exactly those of recomputing every
    point with :func:`~gcnal.selectors.nearest_centre.squared_distances_to`
    at each pick, at a fraction of the memory traffic once the radius is
    small next to the spacing of the centres.

    The points are first divided by a power of two
    (:func:`~gcnal.scaling.divide_by_power_of_two`: exact, so well-scaled
    points give the same picks), which keeps every squared norm finite and
    nonzero at any scale (no float32 overflow at :math:`10^{20}`, no
    underflow to ties at :math:`10^{-30}`). Centres and picks are retired at
    :math:`-\infty`, a value no update touches, so even a non-finite
    distance cannot make a centre or an earlier pick win the argmax. The
    first distances use every torch thread; the picks run on one
    (:func:`~gcnal.nn.one_thread`).

    Args:
        points (torch.Tensor): :math:`(N, h)` points.
        centre_mask (torch.Tensor): :math:`(N,)` booleans, the initial centres.
        budget (int): Number of picks, at most the number of non-centres.
        generator (torch.Generator, optional): Only used without centres.

    Returns:
        ``(picks, distances)``: :math:`(\text{budget},)` int64 indices in pick
        order, and each pick's :math:`\delta_u` when it was picked (its
        distance to the nearest centre, :math:`+\infty` for a first pick
        without centres).
    """
    # entries in (-4, 4): no square overflows
    points, scale = divide_by_power_of_two(points.float())
    state = NearestCentres(points, centre_mask, budget)
    picks = torch.empty(budget, dtype=torch.long, device=points.device)
    picked_sq_dist = torch.empty(budget, dtype=points.dtype, device=points.device)
    cold_start = not bool(centre_mask.any())
    with one_thread():  # each pick is a few small operations
        for step in progress_bar(range(budget), "k-center picks"):
            if step == 0 and cold_start:
                candidates = torch.nonzero(~centre_mask, as_tuple=True)[0]
                draw = torch.randint(candidates.numel(), (1,), generator=generator,
                                     device=candidates.device)
                pick = candidates[draw[0]]
            else:  # centres and earlier picks are retired at -inf
                pick = state.farthest()
            picks[step] = pick
            picked_sq_dist[step] = state.sq_dist[pick]
            state.retire(int(pick))
            state.add(int(pick))
    return picks, picked_sq_dist.sqrt() * scale


def k_center_greedy(scores: Optional[Tensor], embeddings: Tensor, labelled_mask: Tensor,
                    budget: int, *, generator: Optional[torch.Generator] = None,
                    candidates: Optional[int] = None) -> PicksAndScores:
    r"""The k-center greedy selector (CoreSet on raw features, CoreGCN on the
    GCN's first-layer embeddings): the labelled items are the initial centres,
    see :func:`k_center_greedy_picks`; each pick's ``"distance"`` is its
    distance to the nearest labelled or earlier pick when it was picked.
    ``scores`` are unused.

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
    if nodes.numel() == labelled_mask.numel():  # the whole pool, without copying it
        picks, distance = k_center_greedy_picks(embeddings, labelled_mask, budget, generator)
    else:
        local, distance = k_center_greedy_picks(embeddings[nodes], labelled_mask[nodes],
                                                budget, generator)
        picks = nodes[local]
    return picks, {"distance": distance}
