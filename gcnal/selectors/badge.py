r"""BADGE (Ash et al., ICLR 2020): k-means++ seeding on last-layer gradient
embeddings, computed from the features and the probabilities alone."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ..scaling import divide_by_power_of_two


#: Squared distances below this fraction of :math:`\lVert g_i \rVert^2 +
#: \lVert g_u \rVert^2` are rounding residue of the float64 expansion and
#: count as 0 (its error is about :math:`(C + d)\,\epsilon_{64}` of that sum).
_ZERO_TOLERANCE = 1e-10


def hypothesis_residual(probs: Tensor) -> Tensor:
    r"""The last-layer gradient's class factor for the hypothesised label
    :math:`\hat y_i = \operatorname{arg\,max}_c p_{ic}` (ties to the lowest
    class): :math:`\mathbf{r}_i = \mathbf{p}_i - \mathbf{e}_{\hat y_i}`,
    :math:`(N, C)`. The cross-entropy gradient with respect to the last
    layer's weights is :math:`\mathbf{g}_i = \mathbf{r}_i \otimes \mathbf{x}_i`
    (the sign does not change any distance)."""
    residual = probs.clone()
    rows = torch.arange(probs.size(0), device=probs.device)
    residual[rows, probs.argmax(dim=1)] -= 1.0
    return residual


def gradient_sq_distance(residual: Tensor, features: Tensor, index: int,
                         sq_norms: Optional[Tensor] = None) -> Tensor:
    r"""Squared distance of every gradient embedding to item ``index``'s,
    without forming the :math:`(N, C d)` embeddings:

    .. math::
        \lVert \mathbf{g}_i - \mathbf{g}_u \rVert^2
        = \lVert \mathbf{r}_i \rVert^2 \lVert \mathbf{x}_i \rVert^2
        + \lVert \mathbf{r}_u \rVert^2 \lVert \mathbf{x}_u \rVert^2
        - 2 \langle \mathbf{r}_i, \mathbf{r}_u \rangle
            \langle \mathbf{x}_i, \mathbf{x}_u \rangle,

    since :math:`\langle \mathbf{r}_i \otimes \mathbf{x}_i, \mathbf{r}_u
    \otimes \mathbf{x}_u \rangle = \langle \mathbf{r}_i, \mathbf{r}_u \rangle
    \langle \mathbf{x}_i, \mathbf{x}_u \rangle`: one :math:`(N, C)` and one
    :math:`(N, d)` matrix-vector product. Clamped at 0; values within
    rounding of 0 are exactly 0.

    Args:
        residual (torch.Tensor): :math:`(N, C)`, see :func:`hypothesis_residual`.
        features (torch.Tensor): :math:`(N, d)` penultimate-layer features.
        index (int): The item :math:`u`.
        sq_norms (torch.Tensor, optional): :math:`\lVert \mathbf{g}_i
            \rVert^2`, computed when not given.
    """
    if sq_norms is None:
        sq_norms = residual.square().sum(dim=1) * features.square().sum(dim=1)
    scale = sq_norms + sq_norms[index]
    dist = scale - 2.0 * (residual @ residual[index]) * (features @ features[index])
    return torch.where(dist > _ZERO_TOLERANCE * scale, dist, torch.zeros_like(dist))


def _draw_proportional(weights: Tensor, available: Tensor,
                       generator: Optional[torch.Generator]) -> int:
    r"""One available index drawn with probability proportional to
    ``weights`` (non-finite weights count as 0); uniform over the available
    items when no positive weight is left. Never an unavailable index."""
    weights = torch.where(available & torch.isfinite(weights) & (weights > 0), weights,
                          torch.zeros_like(weights))
    if not bool((weights > 0).any()):
        weights = available.to(weights.dtype)
    cumulative = torch.cumsum(weights, dim=0)
    target = torch.rand((), generator=generator, dtype=cumulative.dtype,
                        device=cumulative.device) * cumulative[-1]
    pick = int(torch.searchsorted(cumulative, target.reshape(1), right=True)[0])
    # rounding can put target at the total: fall back to the last positive weight
    last = int(torch.nonzero(weights > 0, as_tuple=True)[0][-1])
    return min(pick, last)


def kmeans_pp_gradient_seeds(residual: Tensor, features: Tensor, budget: int,
                             generator: Optional[torch.Generator] = None
                             ) -> Tuple[Tensor, Tensor]:
    r"""k-means++ seeding on the gradient embeddings
    :math:`\mathbf{g}_i = \mathbf{r}_i \otimes \mathbf{x}_i`, BADGE's
    variant: the first seed is the largest :math:`\lVert \mathbf{g}_i \rVert`
    (ties to the lowest index), each next one is drawn with probability

    .. math::
        P(i) = \frac{D(i)^2}{\sum_j D(j)^2}, \qquad
        D(i) = \min_{s \in S} \lVert \mathbf{g}_i - \mathbf{g}_s \rVert,

    over the items not yet chosen (a chosen item is never drawn again, whatever
    its distance). When every remaining :math:`D(i)` is 0 (duplicates, or
    all-zero embeddings from one-hot probabilities) the draw is uniform over
    the remaining items. Each pick updates :math:`D` with one call of
    :func:`gradient_sq_distance` over all items: Elkan's triangle-inequality
    test (:math:`D(i)` cannot fall unless :math:`\lVert \mathbf{g}_u -
    \mathbf{g}_{c(i)} \rVert < 2 D(i)`) keeps a large share of the rows
    in this :math:`C d`-dimensional space (most of them on unclustered data),
    and gathering them costs more than the full products it would save.

    Returns:
        ``(seeds, sq_distance)``: :math:`(\text{budget},)` int64 distinct
        indices in pick order and :math:`D^2` of each at its pick
        (:math:`+\infty` for the first).
    """
    n = residual.size(0)
    sq_norms = residual.square().sum(dim=1) * features.square().sum(dim=1)
    dist = torch.full((n,), float("inf"), dtype=sq_norms.dtype, device=sq_norms.device)
    available = torch.ones(n, dtype=torch.bool, device=sq_norms.device)
    seeds = torch.empty(budget, dtype=torch.long, device=sq_norms.device)
    at_pick = torch.empty(budget, dtype=sq_norms.dtype, device=sq_norms.device)
    for step in range(budget):
        if step == 0:
            pick = int(torch.argmax(sq_norms))
        else:
            pick = _draw_proportional(dist, available, generator)
        seeds[step], at_pick[step] = pick, dist[pick]
        available[pick] = False
        torch.minimum(dist, gradient_sq_distance(residual, features, pick, sq_norms), out=dist)
    return seeds, at_pick


def badge(scores: Tensor, embeddings: Tensor, labelled_mask: Tensor, budget: int, *,
          generator: Optional[torch.Generator] = None):
    r"""BADGE, "Deep Batch Active Learning by Diverse, Uncertain Gradient Lower
    Bounds" (Ash et al., ICLR 2020, https://arxiv.org/abs/1906.03671).

    ``scores`` are the learner's probabilities :math:`P` (``probs=``) and
    ``embeddings`` its penultimate-layer features :math:`X` (the raw
    features for the ``badge`` preset). For each unlabelled item the
    last-layer gradient of the cross-entropy at the hypothesised label
    :math:`\hat y_i = \operatorname{arg\,max}_c p_{ic}` is
    :math:`\mathbf{g}_i = (\mathbf{p}_i - \mathbf{e}_{\hat y_i}) \otimes
    \mathbf{x}_i \in \mathbb{R}^{C d}`; its norm grows with the learner's
    uncertainty and with :math:`\lVert \mathbf{x}_i \rVert`. The batch is
    the k-means++ seeding of the unlabelled :math:`\mathbf{g}_i`
    (:func:`kmeans_pp_gradient_seeds`), as the authors' code
    (``init_centers`` in github.com/JordanAsh/badge) does it: the first
    pick is the largest gradient norm, the next ones :math:`D^2`-sampled.
    Labelled items are not centres, as in that code. Distances use the
    factorisation of :func:`gradient_sq_distance`, so memory is
    :math:`O(N (C + d))`, never :math:`O(N C d)`, and each pick costs one
    :math:`(N, C)` and one :math:`(N, d)` matrix-vector product.

    The features are divided by the power of two just above their largest
    absolute entry first (in float64, :func:`~gcnal.scaling.divide_by_power_of_two`,
    exact): :math:`D^2` scales by the same factor everywhere, so the draws
    are unchanged, and no square overflows. Randomness comes only from
    ``generator``.

    Returns:
        ``(picks, pick_scores)``: :math:`(\text{budget},)` int64 indices,
        unique and unlabelled, in pick order; ``pick_scores`` holds
        ``"distance"`` (:math:`D^2` at pick time in the features' units,
        :math:`+\infty` for the first pick) and ``"gradient_norm"``
        (:math:`\lVert \mathbf{g}_i \rVert`).
    """
    unlabelled = torch.nonzero(~labelled_mask, as_tuple=True)[0]
    residual = hypothesis_residual(scores[unlabelled].detach().double())
    features, scale = divide_by_power_of_two(embeddings[unlabelled].detach().double())
    local, sq_distance = kmeans_pp_gradient_seeds(residual, features, budget, generator)
    norms = residual[local].norm(dim=1) * features[local].norm(dim=1)
    return unlabelled[local], {"distance": sq_distance * scale ** 2,
                               "gradient_norm": norms * scale}
