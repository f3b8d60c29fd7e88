r"""k-means (k-means++ seeding, Lloyd iterations) in plain torch, from a generator.

The clustering step of FeatProp and TypiClust (and ProbCover's purity
estimate). Memory :math:`O(Nd + Kd)` plus one block of distances; every
random draw comes from the ``generator`` passed in.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ..scaling import divide_by_power_of_two
from ..validation import check_int
from .nearest_centre import nearest_centre

#: Rows of the points whose squared distances to a new seed are computed at
#: a time: one ``(block, d)`` buffer, reused, instead of an ``(N, d)``
#: temporary per seed (the same values, row for row).
_SEED_BLOCK = 4096


def nearest_centroid(points: Tensor, centroids: Tensor) -> Tuple[Tensor, Tensor]:
    r"""Each point's nearest centroid and squared distance to it,
    :math:`\operatorname{arg\,min}_c \lVert \mathbf{p}_i - \mathbf{c}_c \rVert^2`
    (ties to the lowest index), in row blocks
    (:func:`~gcnal.selectors.nearest_centre.nearest_centre`).

    Returns:
        ``(labels, sq_dist)``, both :math:`(N,)`.
    """
    sq_dist, labels = nearest_centre(points, centroids)
    return labels, sq_dist


def kmeans_plus_plus(points: Tensor, num_clusters: int,
                     generator: Optional[torch.Generator] = None) -> Tensor:
    r"""k-means++ seeding (Arthur & Vassilvitskii, 2007): the first centre
    uniform, each next one drawn with probability proportional to
    :math:`D(\mathbf{p})^2`, the squared distance to the nearest centre so
    far (uniform among unchosen points when every distance is 0, or when
    one is not finite). Chosen points have weight 0 by an explicit mask, so
    the seeds are distinct whatever the distances are.

    Returns:
        :math:`(K,)` int64 indices of the seeds, distinct.
    """
    n = points.size(0)
    chosen = torch.zeros(n, dtype=torch.bool, device=points.device)
    seeds = torch.empty(num_clusters, dtype=torch.long, device=points.device)
    dist = torch.full((n,), float("inf"), dtype=points.dtype, device=points.device)
    buffer = seed_buffer(points)
    for c in range(num_clusters):
        weights = seeding_weights(dist, chosen, first=c == 0)
        if c and not usable(weight_flags(weights)):
            weights = (~chosen).to(points.dtype)
        pick = torch.argmax(draw_keys(weights, generator, n))
        seeds[c] = pick
        chosen[pick] = True
        lower_to_centre_(dist, points, points[pick], buffer)
    return seeds


def seeding_weights(dist: Tensor, chosen: Tensor, *, first: bool) -> Tensor:
    r"""k-means++'s draw weights: 1 for every point at the first seed, then
    :math:`D(\mathbf{p})^2`, 0 for the chosen points."""
    if first:
        return torch.ones_like(dist)
    return torch.where(chosen, torch.zeros_like(dist), dist)


def weight_flags(weights: Tensor) -> Tensor:
    """``[some weight positive, some weight infinite or NaN]`` as int64 (0/1),
    so that shards can sum them."""
    return torch.tensor([int(bool((weights > 0).any())),
                         int(not bool(torch.isfinite(weights).all()))])


def usable(flags: Tensor) -> bool:
    """Whether a D^2 draw is defined, from :func:`weight_flags` (summed over
    shards): some weight positive, none infinite or NaN."""
    return int(flags[0]) > 0 and int(flags[1]) == 0


def seed_buffer(points: Tensor) -> Tensor:
    """The reused ``(block, d)`` buffer of :func:`lower_to_centre_`."""
    return points.new_empty(min(_SEED_BLOCK, max(points.size(0), 1)), points.size(1))


def draw_keys(weights: Tensor, generator: Optional[torch.Generator], total: int,
              offset: int = 0) -> Tensor:
    r"""Keys whose argmax is one draw with probability proportional to
    ``weights``: :math:`w_i / q_i`, :math:`q_i \sim \operatorname{Exp}(1)`
    (the exponential race; ``torch.multinomial``'s own draw of one sample,
    value for value). The :math:`q` of all ``total`` points are drawn from
    ``generator`` and those of positions ``offset ..`` returned, so shards of
    a pool, each drawing from the same generator state, hold the keys of the
    whole pool's draw."""
    race = torch.empty(total, dtype=weights.dtype, device=weights.device)
    race.exponential_(1, generator=generator)
    return weights / race[offset:offset + weights.numel()]


def lower_to_centre_(dist: Tensor, points: Tensor, centre: Tensor, buffer: Tensor) -> None:
    r""":math:`D_i \leftarrow \min(D_i, \lVert \mathbf{p}_i - \mathbf{c} \rVert^2)`
    in place, ``buffer.size(0)`` rows at a time through ``buffer``."""
    block = buffer.size(0)
    for start in range(0, points.size(0), block):
        rows = points[start:start + block]
        diff = torch.sub(rows, centre, out=buffer[:rows.size(0)]).square_()
        torch.minimum(dist[start:start + block], diff.sum(dim=1), out=dist[start:start + block])


def kmeans(points: Tensor, num_clusters: int, *, generator: Optional[torch.Generator] = None,
           max_iter: int = 50, seeded: bool = True) -> Tuple[Tensor, Tensor]:
    r"""Lloyd's k-means from a k-means++ seeding (or from the first
    ``num_clusters`` points):

    .. math::
        \ell_i = \operatorname*{arg\,min}_c \lVert \mathbf{p}_i - \mathbf{c}_c \rVert^2,
        \qquad
        \mathbf{c}_c = \frac{1}{|\{i : \ell_i = c\}|} \sum_{i : \ell_i = c} \mathbf{p}_i,

    alternated until no label changes or ``max_iter`` rounds. A cluster that
    empties keeps its previous centroid. The points are clustered divided by
    a power of two (:func:`~gcnal.scaling.divide_by_power_of_two`: exact, the
    same labels for well-scaled points, and no squared distance overflows at
    any scale); the centroids are returned at the points' scale.

    Args:
        points (torch.Tensor): :math:`(N, d)` points.
        num_clusters (int): :math:`K`, in :math:`[1, N]`.
        generator (torch.Generator, optional): Source of the seeding.
        max_iter (int): Most Lloyd rounds. (default: :obj:`50`)
        seeded (bool): Start from k-means++ seeds; ``False`` starts from
            the first ``num_clusters`` points (one pass instead of
            :math:`K`: for points already in random order).
            (default: :obj:`True`)

    Returns:
        ``(centroids, labels)``: :math:`(K, d)` and :math:`(N,)` int64.
    """
    n = points.size(0)
    check_int(num_clusters, "num_clusters", "kmeans", low=1, high=n, detail="the number of points")
    points, scale = divide_by_power_of_two(points.float())
    centroids = points[kmeans_plus_plus(points, num_clusters, generator)].clone() if seeded \
        else points[:num_clusters].clone()
    labels, _ = nearest_centroid(points, centroids)
    for _ in range(max_iter):
        sums = centroids.new_zeros(centroids.shape).index_add_(0, labels, points)
        move_centroids_(centroids, sums, torch.bincount(labels, minlength=num_clusters))
        new_labels, _ = nearest_centroid(points, centroids)
        if torch.equal(new_labels, labels):
            break
        labels = new_labels
    return centroids * scale, labels


def move_centroids_(centroids: Tensor, sums: Tensor, counts: Tensor) -> None:
    r"""Lloyd's update in place, :math:`\mathbf{c}_c = \text{sum}_c / \text{count}_c`;
    an empty cluster keeps its centroid."""
    filled = counts > 0
    centroids[filled] = sums[filled] / counts[filled, None].to(centroids.dtype)
