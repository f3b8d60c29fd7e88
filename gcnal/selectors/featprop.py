r"""FeatProp (Wu et al., 2019): cluster graph-propagated features, take the medoids."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ..validation import check_int
from .kmeans import kmeans


def propagate_features(features: Tensor, k: int = 15, hops: int = 2) -> Tensor:
    r"""Features smoothed over the pool's kNN graph
    (:class:`~gcnal.graph.KNNAdjacency`, row-normalised, self-loops):
    :math:`\tilde{\mathbf{X}} = A^{\text{hops}} V` with :math:`V` the
    L2-normalised features. Memory :math:`O(N(k + d))`, never
    :math:`N \times N`.

    Args:
        features (torch.Tensor): :math:`(N, d)` pool features.
        k (int): Neighbours per item, capped at :math:`N - 1`.
            (default: :obj:`15`)
        hops (int): Propagation steps (the paper's :math:`K`).
            (default: :obj:`2`)
    """
    from ..graph import KNNAdjacency, l2_normalize

    n = features.size(0)
    if n < 2 or hops == 0:
        return l2_normalize(features.float())
    adj = KNNAdjacency(features, k=min(k, n - 1))
    out = adj.vectors
    for _ in range(hops):
        out = adj @ out
    return out


def featprop(scores: Optional[Tensor], embeddings: Tensor, labelled_mask: Tensor, budget: int,
             *, generator: Optional[torch.Generator] = None, k: int = 15, hops: int = 2,
             max_iter: int = 50) -> Tensor:
    r"""FeatProp, "Active Learning for Graph Neural Networks via Node Feature
    Propagation" (Wu et al., 2019, https://arxiv.org/abs/1910.07567): the
    features are propagated over the pool graph
    (:func:`propagate_features`, :math:`\tilde{\mathbf{X}} = A^2 V`), the
    unlabelled items are clustered into ``budget`` groups by k-means on
    :math:`\tilde{\mathbf{X}}`, and the member of each cluster nearest its
    centroid is picked (the k-medoids-style step of the paper),

    .. math::
        \mathcal{S} = \Big\{\operatorname*{arg\,min}_{i \in U,\ \ell_i = c}
        \lVert \tilde{\mathbf{x}}_i - \boldsymbol{\mu}_c \rVert
        \ :\ c = 1, \dots, b\Big\},

    largest cluster first. Labelled items shape the graph (and so the
    propagated features) but are not clustered, so with no labelled item
    (cold start) this is the paper's one-shot selection. ``scores`` are
    unused; ``embeddings`` are the features to propagate (the raw features
    for the ``featprop`` preset).

    Args:
        k (int): Neighbours per item in the kNN graph. (default: :obj:`15`)
        hops (int): Propagation steps. (default: :obj:`2`)
        max_iter (int): Most k-means rounds. (default: :obj:`50`)

    Returns:
        :math:`(\text{budget},)` int64 indices, unique, all unlabelled.
    """
    check_int(hops, "hops", "featprop", low=0)
    check_int(k, "k", "featprop")
    smooth = propagate_features(embeddings, k, hops)
    candidates = torch.nonzero(~labelled_mask, as_tuple=True)[0]
    points = smooth[candidates]
    centroids, labels = kmeans(points, budget, generator=generator, max_iter=max_iter)
    dist = (points - centroids[labels]).square().sum(dim=1)
    # nearest member per cluster: sort by (cluster, distance, index), take each cluster's first
    order = torch.sort(dist, stable=True).indices
    order = order[torch.sort(labels[order], stable=True).indices]
    sorted_labels = labels[order]
    first = torch.ones_like(sorted_labels, dtype=torch.bool)
    first[1:] = sorted_labels[1:] != sorted_labels[:-1]
    medoid_of = torch.full((budget,), -1, dtype=torch.long, device=points.device)
    medoid_of[sorted_labels[first]] = order[first]
    sizes = torch.bincount(labels, minlength=budget)
    cluster_order = torch.sort(-sizes, stable=True).indices
    picks = medoid_of[cluster_order]
    missing = picks < 0
    if bool(missing.any()):
        # empty clusters (duplicate points): fill with the unpicked points
        # nearest to those clusters' centroids
        taken = torch.zeros(points.size(0), dtype=torch.bool, device=points.device)
        taken[picks[~missing]] = True
        for slot in torch.nonzero(missing, as_tuple=True)[0].tolist():
            d = (points - centroids[cluster_order[slot]]).square().sum(dim=1)
            d[taken] = float("inf")
            best = torch.argmin(d)
            picks[slot] = best
            taken[best] = True
    return candidates[picks]
