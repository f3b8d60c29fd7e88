r"""ProbCover (Yehuda et al., NeurIPS 2022): greedy max coverage of
:math:`\delta`-balls on the sparse kNN graph."""
from __future__ import annotations

import math
from typing import Optional, Tuple

import torch
from torch import Tensor

from ..progress import progress_bar
from ..validation import check_int, check_real
from .kmeans import kmeans


def knn_distances(features: Tensor, k: int, *, normalized: bool = False) -> Tuple[Tensor, Tensor]:
    r"""Each item's :math:`k` nearest other items (capped at :math:`N - 1`)
    in Euclidean distance between L2-normalised features,
    :math:`\lVert \mathbf{v}_i - \mathbf{v}_j \rVert = \sqrt{2 - 2\cos(\mathbf{x}_i,
    \mathbf{x}_j)}`, nearest first, from :func:`~gcnal.graph.knn_search`
    (``normalized=True``: the rows are unit vectors already).

    Returns:
        ``(index, distance)``, both :math:`(N, k')`.
    """
    from ..graph import knn_search

    n = features.size(0)
    k = min(k, n - 1)
    if k < 1:
        empty = torch.empty(n, 0, device=features.device)
        return empty.long(), empty.float()
    index, sim = knn_search(features, k, normalized=normalized)
    return index, (2.0 - 2.0 * sim).clamp_min(0).sqrt()


def purity_delta(index: Tensor, distance: Tensor, pseudo_labels: Tensor,
                 alpha: float = 0.95) -> float:
    r"""ProbCover's choice of :math:`\delta`: the largest radius for which at
    least a fraction :math:`\alpha` of the balls are *pure*, i.e. hold only
    points of their centre's pseudo-label (k-means cluster),

    .. math::
        \delta^* = \max\{\delta : \pi(\delta) \ge \alpha\}, \qquad
        \pi(\delta) = \frac{1}{N}\big|\{i : \ell_j = \ell_i\ \forall j,\
        \lVert \mathbf{v}_i - \mathbf{v}_j \rVert < \delta\}\big|.

    Ball :math:`i` stays pure up to :math:`r_i`, the distance to its nearest
    neighbour of another label (its :math:`k`-th neighbour's distance when
    none of its :math:`k` differs, balls being truncated at :math:`k`), so
    :math:`\pi(\delta) = |\{i : r_i \ge \delta\}| / N` and :math:`\delta^*`
    is the :math:`(1 - \alpha)` order statistic of :math:`r`: one pass over
    the :math:`N \times k` graph instead of the paper's grid search.
    """
    n = index.size(0)
    if index.size(1) == 0:
        return 0.0
    other = pseudo_labels[index] != pseudo_labels[:, None]
    masked = torch.where(other, distance, torch.full_like(distance, float("inf")))
    radius = torch.minimum(masked.min(dim=1).values, distance[:, -1])
    need = max(1, math.ceil(alpha * n))  # at least `need` balls with r_i >= delta
    return float(torch.sort(radius, descending=True).values[need - 1])


def ball_edges(index: Tensor, distance: Tensor, delta: float) -> Tensor:
    r"""The covering relation of the :math:`\delta`-balls on the kNN graph:
    :math:`(2, E)` pairs ``(centre, covered)``, sorted, for every
    :math:`(i, i)` and every :math:`\lVert \mathbf{v}_i - \mathbf{v}_j \rVert
    < \delta` with :math:`j` among :math:`i`'s :math:`k` nearest or :math:`i`
    among :math:`j`'s (distance is symmetric, so both directions belong to
    the true balls)."""
    from torch_geometric.utils import coalesce  # loaded with the first kNN graph

    n = index.size(0)
    keep = distance < delta
    centre = torch.arange(n, device=index.device)[:, None].expand_as(index)[keep]
    covered = index[keep]
    loops = torch.arange(n, device=index.device)
    edges = torch.stack([torch.cat([loops, centre, covered]),
                         torch.cat([loops, covered, centre])])
    return coalesce(edges, num_nodes=n)


def coverage(edges: Tensor, selected: Tensor, num_items: int) -> float:
    r"""Fraction of the pool inside the balls of the ``selected`` items
    (a boolean mask or indices), :math:`P(\bigcup_{c \in C} B_\delta(c))`."""
    mask = torch.zeros(num_items, dtype=torch.bool, device=edges.device)
    mask[selected] = True
    covered = torch.zeros(num_items, dtype=torch.bool, device=edges.device)
    covered[edges[1][mask[edges[0]]]] = True
    return float(covered.float().mean())


def max_coverage(edges: Tensor, labelled_mask: Tensor, budget: int,
                 generator: Optional[torch.Generator] = None) -> Tensor:
    r"""Greedy max coverage: the labelled items' balls start covered; each
    step picks the unlabelled item whose ball holds the most uncovered
    points (ties to the lowest index) and covers them. Once everything is
    covered, the rest are drawn uniformly from ``generator``, as the paper
    does. :math:`O(E)` per pick, vectorised.

    Returns:
        :math:`(\text{budget},)` int64 indices in pick order.
    """
    n = labelled_mask.numel()
    centre, covered_by = edges
    covered = torch.zeros(n, dtype=torch.bool, device=edges.device)
    covered[covered_by[labelled_mask[centre]]] = True
    available = ~labelled_mask.clone()
    picks = torch.empty(budget, dtype=torch.long, device=edges.device)
    for step in progress_bar(range(budget), "ProbCover picks"):
        live = ~covered[covered_by]
        degree = torch.zeros(n, dtype=torch.long, device=edges.device)
        degree.index_add_(0, centre[live], torch.ones_like(centre[live]))
        degree[~available] = -1
        best = torch.argmax(degree)
        if int(degree[best]) <= 0:
            rest = torch.nonzero(available, as_tuple=True)[0]
            order = torch.randperm(rest.numel(), generator=generator, device=rest.device)
            picks[step:] = rest[order[:budget - step]]
            break
        picks[step] = best
        available[best] = False
        covered[covered_by[centre == best]] = True
    return picks


def probcover(scores: Optional[Tensor], embeddings: Tensor, labelled_mask: Tensor, budget: int,
              *, generator: Optional[torch.Generator] = None, delta: Optional[float] = None,
              num_clusters: Optional[int] = None, alpha: float = 0.95,
              k: int = 50) -> Tensor:
    r"""ProbCover, "Active Learning Through a Covering Lens" (Yehuda et al.,
    NeurIPS 2022, https://arxiv.org/abs/2205.11320): pick the items whose
    :math:`\delta`-balls cover the most of the pool not yet covered by the
    labelled set,

    .. math::
        \max_{C \subseteq U,\ |C| = b}\ \Big|\bigcup_{c \in L \cup C}
        B_\delta(c)\Big|, \qquad B_\delta(c) = \{x : \lVert \mathbf{v}_x -
        \mathbf{v}_c \rVert < \delta\},

    greedily (:func:`max_coverage`), on the L2-normalised ``embeddings``
    (the raw features for the ``probcover`` preset). The balls live on the
    sparse graph of each item's :math:`k` nearest neighbours
    (:func:`knn_distances`, memory :math:`O(Nk)`, never :math:`N \times N`),
    made symmetric (:func:`ball_edges`): a ball is exact while it holds at
    most :math:`k` others and truncated to the nearest ones, not dropped,
    beyond.

    :math:`\delta` comes from the data as the paper suggests
    (:func:`purity_delta`): the largest radius with a fraction ``alpha`` of
    pure balls, purity measured against k-means pseudo-labels. The paper
    clusters into the number of classes, which the selector does not know;
    by default it clusters as TypiClust does, into as many groups as there
    will be labelled items, :math:`K = \min(\max(|L| + b, 2), 20)`: the cap
    keeps :math:`\delta` from collapsing on large budgets (over-clustering
    splits classes into touching pieces and few balls stay pure). Pass
    ``num_clusters`` (the number of classes) or ``delta`` to follow the
    paper exactly; with either fixed, a larger budget extends a smaller
    one's picks, so the coverage grows monotonically with the budget.

    Works with no labelled item (cold start): nothing starts covered.
    ``scores`` are unused.

    Args:
        delta (float, optional): Ball radius in L2-normalised space,
            :math:`[0, 2]`. (default: :obj:`None`, from purity)
        num_clusters (int, optional): k-means clusters for the purity,
            ideally the number of classes. (default: :obj:`None`, the rule
            above)
        alpha (float): Required fraction of pure balls. (default: :obj:`0.95`)
        k (int): Neighbours searched per item; a ball holds the centre's
            :math:`k` nearest within :math:`\delta` and the items that have
            the centre among their :math:`k` nearest. (default: :obj:`50`)

    Returns:
        :math:`(\text{budget},)` int64 indices, unique, all unlabelled, in
        pick order.
    """
    from ..graph import l2_normalize

    check_real(delta, "delta", 0.0, 2.0, "probcover", allow_none=True)
    check_real(alpha, "alpha", 0.0, 1.0, "probcover")
    check_int(k, "k", "probcover")
    check_int(num_clusters, "num_clusters", "probcover", allow_none=True)
    vectors = l2_normalize(embeddings.float())
    n = vectors.size(0)
    index, distance = knn_distances(vectors, k, normalized=True)
    if delta is None:
        if num_clusters is None:
            num_clusters = min(max(int(labelled_mask.sum()) + budget, 2), 20)
        num_clusters = min(num_clusters, n)
        _, pseudo = kmeans(vectors, num_clusters, generator=generator)
        delta = purity_delta(index, distance, pseudo, alpha)
    return max_coverage(ball_edges(index, distance, delta), labelled_mask, budget, generator)
