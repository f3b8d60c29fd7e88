r"""TypiClust (Hacohen et al., ICML 2022): the most typical item of the
largest uncovered clusters."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ..graph.search import KNN_BACKENDS
from ..progress import progress_bar
from ..validation import check_int
from .kmeans import kmeans
from .ranking import PicksAndScores

#: Largest pool whose typicality ``backend="auto"`` finds exactly (the
#: ``"torch"`` search, :math:`O(N^2 d)`); larger pools use the inverted lists
#: of ``"ivf"``, :math:`O(N^{1.5} d)`, which miss neighbours where the pool is
#: not clustered. Up to this size exactness costs a fraction of a second,
#: and the gap grows as :math:`\sqrt{N}` (``python -m
#: benchmarks.typicality_overlap --sizes`` times both).
EXACT_TYPICALITY_MAX = 10_000

#: Backends of :func:`typicality`: ``"auto"`` and the kNN searches.
TYPICALITY_BACKENDS = ("auto",) + KNN_BACKENDS


def typicality(points: Tensor, k: int = 20, backend: str = "torch", *,
               normalized: bool = False) -> Tensor:
    r"""Typicality of each point among ``points``: the inverse mean distance
    to its :math:`k` nearest others (capped at :math:`\lfloor n / 2 \rfloor`
    as in the paper's code),

    .. math::
        \operatorname{Typ}(\mathbf{x}) = \Big(\frac{1}{k} \sum_{\mathbf{x}_j
        \in \operatorname{kNN}(\mathbf{x})} \lVert \mathbf{x} - \mathbf{x}_j
        \rVert\Big)^{-1},

    from :func:`nearest_similarities` (its ``backend``) on L2-normalised
    points (distance :math:`\sqrt{2 - 2\cos}`), memory :math:`O(nk)`. With
    fewer than two points every typicality is 0. ``normalized=True``: the
    points are unit rows already (see :func:`~gcnal.graph.knn_search`).
    """
    return typicality_from(nearest_similarities(points, k, backend, normalized=normalized))


def nearest_similarities(points: Tensor, k: int = 20, backend: str = "torch", *,
                         normalized: bool = False) -> Tensor:
    r"""Each point's :math:`\min(k, \lfloor n / 2 \rfloor)` largest cosine
    similarities to the other points, largest first, :math:`(n, k')`: the
    search behind :func:`typicality`, by :func:`~gcnal.graph.knn_search`
    (its ``backend``; the exact ``"torch"`` one by
    :func:`~gcnal.graph.knn_similarities`, the same values from half the
    products; ``"auto"`` is ``"torch"`` up to :data:`EXACT_TYPICALITY_MAX`
    points and ``"ivf"`` beyond, whose rows pad with :math:`-\infty` where
    it found fewer than :math:`k'`)."""
    from ..graph import knn_search, knn_similarities

    n = points.size(0)
    k = min(k, n // 2)
    if k < 1:
        return torch.zeros(n, 0, device=points.device)
    if backend == "auto":
        backend = "torch" if n <= EXACT_TYPICALITY_MAX else "ivf"
    if backend == "torch":
        return knn_similarities(points, k, normalized=normalized)
    return knn_search(points, k, backend, normalized=normalized)[1]


def typicality_from(similarities: Tensor) -> Tensor:
    r""":func:`typicality` from each point's nearest similarities
    :math:`s_{ij}` (:func:`nearest_similarities`),
    :math:`1 / (\frac{1}{k}\sum_j \sqrt{\max(0, 2 - 2 s_{ij})} + 10^{-8})`;
    0 for points without neighbours (:math:`k = 0`)."""
    if similarities.size(1) == 0:
        return torch.zeros(similarities.size(0), device=similarities.device)
    mean = (2.0 - 2.0 * similarities).clamp_min(0).sqrt().mean(dim=1)
    return 1.0 / (mean + 1e-8)


def check_typiclust_options(k: int, max_clusters: int, min_cluster_size: int) -> None:
    """:func:`typiclust`'s integer options, each an error naming it."""
    check_int(k, "k", "typiclust")
    check_int(max_clusters, "max_clusters", "typiclust")
    check_int(min_cluster_size, "min_cluster_size", "typiclust", low=0)


def next_cluster(sizes: Tensor, existing: Tensor, remaining: Tensor,
                 min_cluster_size: int) -> int:
    """The cluster TypiClust picks from next: among those with items left
    (those of more than ``min_cluster_size`` items while any has some), the
    fewest labelled-or-picked items, then the largest, then the lowest id."""
    small = sizes <= min_cluster_size
    if bool((remaining[~small] > 0).any()):
        eligible = (remaining > 0) & ~small
    else:
        eligible = remaining > 0
    eligible &= existing == existing[eligible].min()
    eligible &= sizes == sizes[eligible].max()
    return int(torch.nonzero(eligible, as_tuple=True)[0][0])


def typiclust(scores: Optional[Tensor], embeddings: Tensor, labelled_mask: Tensor, budget: int,
              *, generator: Optional[torch.Generator] = None, k: int = 20,
              max_clusters: int = 500, min_cluster_size: int = 5) -> PicksAndScores:
    r"""TypiClust, "Active Learning on a Budget: Opposite Strategies Suit High
    and Low Budgets" (Hacohen et al., ICML 2022, https://arxiv.org/abs/2202.02794).

    The L2-normalised ``embeddings`` (the raw features for the
    ``typiclust`` preset) are clustered by k-means into
    :math:`K = \min(|L| + b, \text{max\_clusters}, N)` clusters. Then, ``budget``
    times, the cluster with the fewest labelled-or-picked items is chosen
    (ties: the larger cluster, then the lower id; clusters of at most
    ``min_cluster_size`` items only when no larger one has items left) and
    its most typical remaining item is picked,

    .. math::
        x^* = \operatorname*{arg\,max}_{x \in c \setminus (L \cup C)}
        \operatorname{Typ}_{c \setminus (L \cup C)}(x),

    typicality (:func:`typicality`) measured among the cluster's remaining
    items, as in the paper's code. On well-separated clusters with
    :math:`b = K` this picks one item per cluster. Works with no labelled
    item (cold start, where the paper targets it). ``scores`` are unused.

    Args:
        k (int): Neighbours for the typicality. (default: :obj:`20`)
        max_clusters (int): Cap on :math:`K`. (default: :obj:`500`)
        min_cluster_size (int): Clusters of at most this many items come
            last. (default: :obj:`5`)

    Returns:
        ``(picks, pick_scores)``: :math:`(\text{budget},)` int64 indices,
        unique, all unlabelled, in pick order, and per pick its
        ``"typicality"`` among its cluster's remaining items and its
        ``"cluster_size"`` (items in its cluster).
    """
    from ..graph import l2_normalize

    check_typiclust_options(k, max_clusters, min_cluster_size)
    vectors = l2_normalize(embeddings.float())
    n = vectors.size(0)
    num_clusters = min(int(labelled_mask.sum()) + budget, max_clusters, n)
    _, labels = kmeans(vectors, num_clusters, generator=generator)
    sizes = torch.bincount(labels, minlength=num_clusters)
    taken = labelled_mask.clone()
    existing = torch.bincount(labels[taken], minlength=num_clusters)
    remaining = sizes - existing
    picks = torch.empty(budget, dtype=torch.long, device=labels.device)
    picked_typicality = torch.empty(budget, device=labels.device)
    for step in progress_bar(range(budget), "TypiClust picks"):
        cluster = next_cluster(sizes, existing, remaining, min_cluster_size)
        members = torch.nonzero((labels == cluster) & ~taken, as_tuple=True)[0]
        member_typicality = typicality(vectors[members], k, normalized=True)
        best_member = torch.argmax(member_typicality)
        best = members[best_member]
        picks[step] = best
        picked_typicality[step] = member_typicality[best_member]
        taken[best] = True
        existing[cluster] += 1
        remaining[cluster] -= 1
    return picks, {"typicality": picked_typicality, "cluster_size": sizes[labels[picks]]}
