r"""Average-linkage hierarchical agglomerative clustering (HAC) in plain torch.

The clustering step of Cluster-Margin. The dendrogram is built by the
nearest-neighbour-chain algorithm (Murtagh, 1983), exact for average linkage
(a reducible linkage): :math:`O(n^2)` time and memory for :math:`n` points,
so large pools are clustered through a sample (:func:`sampled_hac_labels`).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from ..errors import InvalidParameterError
from .kmeans import nearest_centroid
from .rescale import divide_by_max_abs


def average_linkage(points: Tensor) -> Tuple[Tensor, Tensor]:
    r"""The average-linkage dendrogram of ``points`` (Euclidean distance),
    merging at each step two clusters :math:`A, B` at

    .. math::
        d(A, B) = \frac{1}{|A|\,|B|} \sum_{a \in A} \sum_{b \in B}
        \lVert \mathbf{p}_a - \mathbf{p}_b \rVert,

    kept up to date by the Lance-Williams rule
    :math:`d(A \cup B, K) = \frac{|A| d(A, K) + |B| d(B, K)}{|A| + |B|}`.
    The nearest-neighbour chain merges reciprocal nearest neighbours (ties to
    the chain's previous cluster, then to the lowest index); for average
    linkage this gives the same dendrogram as merging the closest pair
    first. The distances are computed in float64 on points divided by their
    largest absolute entry (no square overflows), and reported in the
    points' units.

    Returns:
        ``(merges, heights)``: :math:`(n - 1, 2)` int64 pairs of point
        indices, each naming one member of either merged cluster, and
        their :math:`(n - 1,)` linkage distances, in the order the chain
        made them (every merge after the merges that built its clusters).
    """
    n = points.size(0)
    x, scale = divide_by_max_abs(points.detach().double().cpu())
    dist = torch.cdist(x, x).numpy()
    np.fill_diagonal(dist, np.inf)
    # +inf on merged-away clusters, so their stale rows and columns are never read
    retired = np.zeros(n)
    size = np.ones(n)
    merges = np.empty((max(n - 1, 0), 2), dtype=np.int64)
    heights = np.empty(max(n - 1, 0))
    chain: List[int] = []
    for step in range(n - 1):
        if not chain:
            chain.append(int(np.argmin(retired)))
        while True:
            a = chain[-1]
            row = dist[a] + retired
            b = int(np.argmin(row))
            if len(chain) > 1 and row[chain[-2]] <= row[b]:
                b = chain[-2]
            if len(chain) > 1 and b == chain[-2]:
                break
            chain.append(b)
        del chain[-2:]
        merges[step], heights[step] = (a, b), dist[a, b]
        merged = (size[a] * dist[a] + size[b] * dist[b]) / (size[a] + size[b])
        merged[a] = np.inf
        dist[a], dist[:, a] = merged, merged
        size[a] += size[b]
        retired[b] = np.inf
    heights = torch.from_numpy(heights) * scale
    return torch.from_numpy(merges), heights


def cut_dendrogram(merges: Tensor, heights: Tensor, num_points: int, *,
                   num_clusters: Optional[int] = None,
                   distance_threshold: Optional[float] = None) -> Tensor:
    r"""Flat clusters from a dendrogram of :func:`average_linkage`: the
    merges at height :math:`\le` ``distance_threshold``, or the
    :math:`n - K` lowest ones for ``num_clusters`` :math:`= K` (exactly one
    of the two). Average linkage is monotone (a merge is never lower than
    the merges below it), so both are cuts of the tree.

    Returns:
        :math:`(n,)` int64 cluster ids :math:`0 .. K - 1`, numbered by
        their lowest member.
    """
    if (num_clusters is None) == (distance_threshold is None):
        raise InvalidParameterError("num_clusters", "given, or distance_threshold given "
                                    "(exactly one of the two)",
                                    f"num_clusters={num_clusters!r}, "
                                    f"distance_threshold={distance_threshold!r}",
                                    "cut_dendrogram")
    order = torch.sort(heights, stable=True).indices
    if num_clusters is not None:
        order = order[:num_points - num_clusters]
    else:
        order = order[heights[order] <= distance_threshold]
    parent = list(range(num_points))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in merges[order].tolist():
        ra, rb = root(a), root(b)
        parent[max(ra, rb)] = min(ra, rb)
    roots = torch.tensor([root(i) for i in range(num_points)], dtype=torch.long)
    return torch.unique(roots, return_inverse=True)[1]


def sampled_hac_labels(points: Tensor, *, num_clusters: Optional[int] = None,
                       distance_threshold: Optional[float] = None, sample: int = 5000,
                       generator: Optional[torch.Generator] = None) -> Tensor:
    r"""Average-linkage HAC of ``points`` cut at ``num_clusters`` or
    ``distance_threshold`` (:func:`cut_dendrogram`). Above ``sample`` points
    the dendrogram is built on ``sample`` points drawn uniformly from
    ``generator`` and every other point joins the cluster whose sampled
    members' mean is nearest: :math:`O(s^2)` memory and
    :math:`O(s^2 d + N K d)` time instead of :math:`O(N^2)`. ``num_clusters``
    is capped at the number of clustered points.

    Returns:
        :math:`(N,)` int64 cluster ids on ``points``' device.
    """
    n = points.size(0)
    if n <= sample:
        members = torch.arange(n, device=points.device)
    else:
        members = torch.randperm(n, generator=generator, device=points.device)[:sample]
    if num_clusters is not None:
        num_clusters = min(num_clusters, members.numel())
    merges, heights = average_linkage(points[members])
    member_labels = cut_dendrogram(merges, heights, members.numel(), num_clusters=num_clusters,
                                   distance_threshold=distance_threshold).to(points.device)
    if members.numel() == n:
        return member_labels
    x = divide_by_max_abs(points)[0].float()  # no square overflows in float32
    k = int(member_labels.max()) + 1
    sums = torch.zeros(k, x.size(1), device=x.device).index_add_(0, member_labels, x[members])
    counts = torch.bincount(member_labels, minlength=k).to(x.dtype)
    labels, _ = nearest_centroid(x, sums / counts[:, None])
    labels[members] = member_labels
    return labels
