r"""Typical, diverse and (when the learner says) uncertain: gcnal's
recommended selector."""
from __future__ import annotations

import math
from typing import Optional, Union

import torch
from torch import Tensor

from ..nn import column_major
from ..progress import progress_bar
from ..validation import check_choice, check_int, check_real
from .kcenter import min_distance_to
from .probability import top2_gap
from .typiclust import typicality

#: Pool items whose neighbourhood radius is measured to set the default radius,
#: and how many of them at a time (a block holds ``block x N`` distances).
RADIUS_SAMPLE = 512
_RADIUS_BLOCK = 32


def percentile_rank(values: Tensor) -> Tensor:
    r"""Each value's rank among ``values`` scaled to :math:`(0, 1]`,
    :math:`\operatorname{rank}(v_i) / n` (ties broken by position), so scores
    on different scales combine without weights of their own."""
    ranks = torch.empty_like(values, dtype=torch.float32)
    ranks[torch.argsort(values, stable=True)] = torch.arange(
        1, values.numel() + 1, device=values.device, dtype=torch.float32)
    return ranks / values.numel()


def cell_radius(vectors: Tensor, cells: int, generator: Optional[torch.Generator]) -> float:
    r"""The radius of a ball that holds about :math:`N / \text{cells}` items:
    the median, over up to :data:`RADIUS_SAMPLE` items drawn from
    ``generator``, of the distance to the :math:`\lceil N / \text{cells}
    \rceil`-th nearest item. ``cells`` such balls around well-spread centres
    cover the pool about once."""
    n = vectors.size(0)
    m = min(n - 1, max(1, math.ceil(n / max(cells, 1))))
    draw = torch.randperm(n, generator=generator, device=vectors.device)[:RADIUS_SAMPLE]
    # m + 1: the item itself is its own nearest
    radii = torch.cat([torch.cdist(vectors[block], vectors).kthvalue(m + 1, dim=1).values
                       for block in draw.split(_RADIUS_BLOCK)])
    return float(radii.median())


def typical_diverse(scores: Optional[Tensor], embeddings: Tensor, labelled_mask: Tensor,
                    budget: int, *, generator: Optional[torch.Generator] = None, k: int = 20,
                    uncertainty_weight: float = 0.5, radius: Union[str, float] = "auto",
                    knn_backend: str = "torch") -> Tensor:
    r"""Typicality-weighted picks, kept apart by a radius, tilted towards the
    learner's uncertainty when its probabilities are given.

    On the L2-normalised ``embeddings`` :math:`\mathbf{v}_i`:

    1. **Score.** The typicality :math:`t_i` of every item (inverse mean
       distance to its :math:`k` nearest items, :func:`~gcnal.selectors.typicality`)
       and, when ``scores`` holds the learner's :math:`(N, C)` probabilities,
       its margin uncertainty :math:`u_i = 1 - (p_{i,(1)} - p_{i,(2)})`. Each
       becomes a percentile rank among the unlabelled items and

       .. math::
           s_i = \operatorname{pct}(t_i)^{1 - w}\, \operatorname{pct}(u_i)^{w},

       :math:`w` = ``uncertainty_weight`` (:math:`w = 0` without ``scores``).
       Dense regions are where most test items are (small budgets need them);
       uncertain ones are where the learner errs (larger budgets need them).
    2. **Diversity.** Greedily, ``budget`` times, the highest-scoring
       unlabelled item farther than :math:`r` from every labelled and already
       picked item,

       .. math::
           x^* = \operatorname*{arg\,max}_{i \in U,\ \delta_i > r} s_i, \qquad
           \delta_i = \min_{j \in L \cup P} \lVert \mathbf{v}_i - \mathbf{v}_j \rVert,

       updating :math:`\delta` with one matrix-vector product per pick (as
       k-center greedy). When no item is left outside the balls, :math:`r`
       halves. So two picks are never closer than the radius in force
       when the second was picked, and while the pool has room no pick lands
       within :math:`r` of the labelled set.

    The default radius (``"auto"``) is :func:`cell_radius` for :math:`|L| + b`
    cells: the balls of the labelled and picked items then tile the pool
    about once, so the picks spread over it like a k-center selection but
    from its dense, uncertain parts rather than its outliers.

    Args:
        k (int): Neighbours for the typicality. (default: :obj:`20`)
        uncertainty_weight (float): :math:`w \in [0, 1]`, used only with
            ``scores``. (default: :obj:`0.5`)
        radius (float or str): :math:`r` in L2 distance between unit vectors
            (:math:`\sqrt{2 - 2 \cos}`, so in :math:`[0, 2]`), or ``"auto"``.
            ``0`` switches the diversity step off. (default: :obj:`"auto"`)
        knn_backend (str): :func:`~gcnal.graph.knn_search`'s backend for the
            typicality (``"faiss"`` or ``"faiss-approx"`` on large pools).
            (default: :obj:`"torch"`)

    Returns:
        :math:`(\text{budget},)` int64 indices, unique, all unlabelled, in
        pick order.
    """
    from ..graph import l2_normalize
    from ..graph import KNN_BACKENDS

    check_choice(knn_backend, "knn_backend", KNN_BACKENDS, "typical_diverse")
    check_int(k, "k", "typical_diverse")
    check_real(uncertainty_weight, "uncertainty_weight", 0.0, 1.0, "typical_diverse")
    if radius != "auto":
        check_real(radius, "radius", 0.0, 2.0, "typical_diverse", alternative="'auto'")
    vectors = l2_normalize(embeddings.float())
    unlabelled = torch.nonzero(~labelled_mask, as_tuple=True)[0]
    score = torch.full((vectors.size(0),), -1.0, device=vectors.device)
    pool_score = percentile_rank(typicality(vectors, k, knn_backend, normalized=True)[unlabelled])
    if scores is not None and uncertainty_weight > 0:
        uncertain = percentile_rank(-top2_gap(scores.float())[unlabelled])
        pool_score = pool_score.pow(1.0 - uncertainty_weight) * uncertain.pow(uncertainty_weight)
    score[unlabelled] = pool_score
    if radius == "auto":
        radius = cell_radius(vectors, int(labelled_mask.sum()) + budget, generator)
    delta = min_distance_to(vectors, vectors[labelled_mask]).sqrt()
    vectors = column_major(vectors)  # one matrix-vector product per pick
    picks = torch.empty(budget, dtype=torch.long, device=vectors.device)
    for step in progress_bar(range(budget), "typical_diverse picks"):
        eligible = (score >= 0) & (delta > radius)
        while not bool(eligible.any()):
            radius = radius / 2 if radius > 1e-6 else -1.0
            eligible = (score >= 0) & (delta > radius)
        pick = torch.argmax(torch.where(eligible, score, -2.0))
        picks[step] = pick
        score[pick] = -1.0
        # unit vectors: |v_i - v_p|^2 = 2 - 2 v_i . v_p
        torch.minimum(delta, (2.0 - 2.0 * (vectors @ vectors[pick])).clamp_(min=0).sqrt_(),
                      out=delta)
    return picks
