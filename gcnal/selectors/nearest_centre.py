r"""Each point's squared distance to its nearest centre, kept up to date as
centres are added, touching only the points whose distance can change: the
engine of k-center greedy (``coreset``, ``core_*``), for any greedy
selector that keeps minimum distances to a growing set of centres.

After a new centre :math:`u`, the distance of point :math:`i`, whose nearest
centre so far is :math:`c(i)` at :math:`\delta_i`, can only fall if

.. math::
    \lVert \mathbf{p}_u - \mathbf{p}_{c(i)} \rVert < 2\,\delta_i,

since otherwise :math:`\lVert \mathbf{p}_i - \mathbf{p}_u \rVert \ge
\lVert \mathbf{p}_u - \mathbf{p}_{c(i)} \rVert - \delta_i \ge \delta_i`
(the triangle inequality, as in Elkan's k-means, ICML 2003). One
matrix-vector product over the centres (:math:`|C| h`) gives the left side
for every point; only the points that pass get their distance computed, so
once the radius is small next to the spacing of the centres a pick costs
:math:`O(|C| h + N)` instead of :math:`O(N h)`. The first distances skip
groups of centres by the same inequality (:func:`nearest_centre_grouped`).

The test is made conservative against rounding: every computed squared
distance is within :math:`E = 8 (h + 4)\,\epsilon\,M` of the exact one
(:math:`M` the largest squared norm, :math:`\epsilon` float32's machine
epsilon; the worst-case bound of a dot product in any summation order), and a
point is skipped only when :math:`\tilde a^2 > 4 \tilde\delta_i^2 + 6E` for
the computed :math:`\tilde a`, :math:`\tilde\delta_i`, which implies that
its computed distance to :math:`u` is at least :math:`\tilde\delta_i^2`. So
a skipped point's distance is exactly what the full update
:math:`\min(\tilde\delta_i^2, \tilde d_{iu}^2)` would have left it, and the
distances, hence the picks, equal those of the loop that updates every point
with :func:`squared_distances_to`. A point whose distance is NaN is
skipped (the full update keeps it NaN too); a new centre with a non-finite
squared norm makes every open point recomputed.
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import torch
from torch import Tensor

from ..nn import rows_per_block

#: Safety factor of the rounding bound :math:`E` (see the module docstring).
_ROUNDING_FACTOR = 8.0

#: Centres per group, fewest centres worth grouping, k-means rounds of the
#: grouping, and the largest share of the products left after the first
#: comparison at which :func:`nearest_centre_grouped` still goes on.
_GROUP_SIZE = 32
_GROUPED_MIN_CENTRES = 4096
_GROUP_ROUNDS = 3
_GROUPED_MAX_SHARE = 0.5
#: Most group bounds held at a time (points per block x groups).
_GROUPED_BLOCK_ELEMENTS = 1 << 24


def nearest_centre(points: Tensor, centres: Tensor) -> Tuple[Tensor, Tensor]:
    r"""Squared Euclidean distance of every point to its nearest centre,
    :math:`\min_j \lVert \mathbf{p}_i - \mathbf{c}_j \rVert^2`, and that
    centre's row in ``centres`` (the lowest on ties); :math:`+\infty` and
    :math:`-1` when there is no centre.

    Per block of points, one product :math:`\lVert \mathbf{c}_j \rVert^2 -
    2\,\mathbf{p}_i^\top \mathbf{c}_j` (``addmm``, the centres' squared norms
    as its bias), its row minimum, then :math:`+ \lVert \mathbf{p}_i
    \rVert^2` and a clamp at 0: the squared distances straight from the
    product, with no square root and square, and one pass over each block
    of :math:`b \times |C|` values after it (adding the point's norm after
    the minimum gives the same value and centre, as rounding is monotone).
    Memory :math:`O(b \cdot |C|)`; a NaN in a point or its centres makes
    its distance NaN."""
    n = points.size(0)
    if centres.size(0) == 0:
        return (torch.full((n,), float("inf"), device=points.device),
                torch.full((n,), -1, dtype=torch.long, device=points.device))
    out = torch.empty(n, device=points.device, dtype=points.dtype)
    index = torch.empty(n, device=points.device, dtype=torch.long)
    centre_sq = centres.square().sum(dim=1)
    centres_t = centres.T.contiguous()
    step = max(1, min(n, rows_per_block(centres.size(0))))
    # one block of products, reused from block to block
    buffer = torch.empty(step, centres.size(0), device=points.device, dtype=points.dtype)
    for start in range(0, n, step):
        rows = points[start:start + step]
        block = torch.addmm(centre_sq, rows, centres_t, alpha=-2.0, out=buffer[:rows.size(0)])
        nearest = block.min(dim=1)
        out[start:start + step] = nearest.values.add_(rows.square().sum(dim=1)).clamp_(min=0)
        index[start:start + step] = nearest.indices
    return out, index


def nearest_centre_grouped(points: Tensor, centres: Tensor) -> Tuple[Tensor, Tensor]:
    r""":func:`nearest_centre`'s distances and centres, without comparing a
    point with the groups of centres that cannot hold its nearest.

    The centres are cut into :math:`G = \lceil |C| / 32 \rceil` groups by a
    few rounds of k-means, each with its centroid :math:`\mathbf{g}` and
    radius :math:`\rho_g = \max_{c \in g} \lVert \mathbf{c} - \mathbf{g}
    \rVert`. Every centre of group :math:`g` is at least :math:`\beta_{ig} =
    \lVert \mathbf{p}_i - \mathbf{g} \rVert - \rho_g` from point :math:`i`
    (the triangle inequality), so a group can be skipped once :math:`i` has a
    centre nearer than :math:`\beta_{ig}`. Each point is compared with its
    group of lowest :math:`\beta` first, then, group by group, with every
    group that its distance so far does not rule out.

    Against rounding: a computed distance :math:`\tilde D` is within
    :math:`E / \tilde D` of the exact one (:math:`E` the bound of the module
    docstring, for the largest squared norm of points, centres and
    centroids) and a computed radius within a relative :math:`2 (h + 4)
    \epsilon`; :math:`\beta` is lowered by both, and a group is skipped
    only when :math:`\beta^2 > \tilde\delta_i^2 + 2E`, where every computed
    squared distance to its centres exceeds :math:`\tilde\delta_i^2`. So
    the result is the minimum of the computed squared distances to all
    centres, ties to the lowest row, as in :func:`nearest_centre` (whose
    products are blocked differently: values equal up to their rounding).
    Any grouping is exact; a good one (clustered centres) skips most of the
    :math:`N |C| h` products.

    Falls back to :func:`nearest_centre` with fewer than
    :data:`_GROUPED_MIN_CENTRES` centres or a non-finite point or centre, and
    for a block of points whose groups left after the first comparison hold
    more than :data:`_GROUPED_MAX_SHARE` of its products (unclustered
    centres). Memory :math:`O(|C| h + G b)` for blocks of :math:`b` points.
    """
    from .kmeans import kmeans  # kmeans assigns its points by nearest_centre

    n, m = points.size(0), centres.size(0)
    point_sq, centre_sq = points.square().sum(dim=1), centres.square().sum(dim=1)
    # a non-finite entry (or a square that overflows) makes its row's sum so
    if m < _GROUPED_MIN_CENTRES or n == 0 or not bool(torch.isfinite(point_sq.sum())) \
            or not bool(torch.isfinite(centre_sq.sum())):
        return nearest_centre(points, centres)
    groups = math.ceil(m / _GROUP_SIZE)
    centroids, labels = kmeans(centres, groups, max_iter=_GROUP_ROUNDS, seeded=False)
    order = torch.sort(labels, stable=True).indices  # each group's centres contiguous
    grouped, grouped_sq = centres[order], centre_sq[order]
    sizes = torch.bincount(labels, minlength=groups)
    ends = sizes.cumsum(0).tolist()
    starts = [0] + ends[:-1]
    eps = torch.finfo(points.dtype).eps
    spread = (centres - centroids[labels]).square().sum(dim=1).sqrt()
    radius = torch.full((groups,), float("-inf"), device=centres.device, dtype=centres.dtype)
    radius.scatter_reduce_(0, labels, spread, "amax")  # -inf: an empty group, never read
    radius.mul_(1.0 + 2.0 * (points.size(1) + 4) * eps)
    centroid_sq = centroids.square().sum(dim=1)
    largest = max(float(point_sq.max()), float(centre_sq.max()), float(centroid_sq.max()))
    slack = _ROUNDING_FACTOR * (points.size(1) + 4) * eps * largest
    best = torch.empty(n, device=points.device, dtype=points.dtype)
    best_index = torch.empty(n, dtype=torch.long, device=points.device)
    step = max(1, _GROUPED_BLOCK_ELEMENTS // groups)
    for start in range(0, n, step):
        rows = slice(start, start + step)
        found = _grouped_block(points[rows], point_sq[rows], grouped, grouped_sq, order,
                               starts, ends, sizes, centroids, centroid_sq, radius, slack)
        if found is None:  # the bounds rule little out: the plain search
            found = nearest_centre(points[rows], centres)
        best[rows], best_index[rows] = found
    return best, best_index


def _grouped_block(points: Tensor, point_sq: Tensor, grouped: Tensor, grouped_sq: Tensor,
                   order: Tensor, starts, ends, sizes: Tensor, centroids: Tensor,
                   centroid_sq: Tensor, radius: Tensor, slack: float
                   ) -> Optional[Tuple[Tensor, Tensor]]:
    r""":func:`nearest_centre_grouped` for one block of points (``None``
    when its groups left after the first comparison hold more than
    :data:`_GROUPED_MAX_SHARE` of its products)."""
    n, m, groups = points.size(0), grouped.size(0), centroids.size(0)
    to_centroid = torch.addmm(point_sq[:, None], points, centroids.T, alpha=-2.0)
    to_centroid = to_centroid.add_(centroid_sq).clamp_(min=0).sqrt_().T.contiguous()
    # the bound beta, lowered by the rounding of the distance and the radius
    lower = to_centroid.sub_(slack / to_centroid.clamp(min=1e-30)).sub_(radius[:, None])
    best = torch.full((n,), float("inf"), device=points.device, dtype=points.dtype)
    best_index = torch.full((n,), m, dtype=torch.long, device=points.device)

    def compare(g: int, rows: Tensor) -> None:
        a, b = starts[g], ends[g]
        block = torch.addmm(grouped_sq[a:b], points[rows], grouped[a:b].T, alpha=-2.0)
        nearest = block.min(dim=1)
        dist = nearest.values.add_(point_sq[rows]).clamp_(min=0)
        index = order[a + nearest.indices]
        old, old_index = best[rows], best_index[rows]
        better = (dist < old) | ((dist == old) & (index < old_index))
        best[rows] = torch.where(better, dist, old)
        best_index[rows] = torch.where(better, index, old_index)

    def may_hold_nearer(g) -> Tensor:
        return (lower[g] <= 0) | (lower[g].square() <= best + 2.0 * slack)

    first = lower.argmin(dim=0)
    by_first = torch.sort(first, stable=True).indices
    first_ends = torch.bincount(first, minlength=groups).cumsum(0).tolist()
    for g, (a, b) in enumerate(zip([0] + first_ends[:-1], first_ends)):
        if a < b:
            compare(g, by_first[a:b])
    left = may_hold_nearer(slice(None))
    left[first, torch.arange(n, device=points.device)] = False
    if float(left.sum(dim=1).to(points.dtype) @ sizes.to(points.dtype)) > _GROUPED_MAX_SHARE * n * m:
        return None
    for g in range(groups):
        rows = torch.nonzero(left[g] & may_hold_nearer(g), as_tuple=True)[0]
        if rows.numel():
            compare(g, rows)
    return best, best_index


def squared_distances_to(points: Tensor, sq_norms: Tensor, rows: Optional[Tensor],
                         centre: int) -> Tensor:
    r""":math:`\lVert \mathbf{p}_i - \mathbf{p}_u \rVert^2 = \lVert
    \mathbf{p}_i \rVert^2 + \lVert \mathbf{p}_u \rVert^2 - 2\,\mathbf{p}_i^\top
    \mathbf{p}_u` (clamped at 0) for the points ``rows`` (all for
    :obj:`None`) and :math:`u` = ``centre``. Each row's value depends on that
    row alone (an elementwise product summed along the row, never a blocked
    matrix product whose rounding depends on the block), so any subset gets
    the values the whole set would."""
    u = points[centre]
    if rows is None:
        block, norms = points.mul(u), sq_norms
    else:  # a fresh copy of the rows, multiplied in place
        block, norms = points.index_select(0, rows).mul_(u), sq_norms[rows]
    return (norms + sq_norms[centre]).sub_(block.sum(dim=1), alpha=2.0).clamp_(min=0)


class NearestCentres:
    r"""The squared distances :math:`\tilde\delta_i^2` of ``points`` to their
    nearest centre, for centres added one at a time by :meth:`add`, with the
    triangle-inequality skip of the module docstring.

    The state is each point's distance and centre, and the centres' own
    copy, stored column-major (one column per centre, room for
    ``capacity``), which the per-pick product over the centres reads.
    Distances of points marked done (:meth:`retire`) are :math:`-\infty` and
    never updated.

    Args:
        points (torch.Tensor): :math:`(N, h)` float points, rescaled by the
            caller so squares neither overflow nor underflow.
        centre_mask (torch.Tensor): :math:`(N,)` booleans, the initial centres
            (retired from the start).
        capacity (int): Centres that will be added at most.
    """

    def __init__(self, points: Tensor, centre_mask: Tensor, capacity: int):
        self.points = points.contiguous()
        n, h = self.points.shape
        self.sq_norms = self.points.square().sum(dim=1)
        initial = torch.nonzero(centre_mask, as_tuple=True)[0]
        open_rows = torch.nonzero(~centre_mask, as_tuple=True)[0]
        device = self.points.device
        self.sq_dist = torch.full((n,), float("-inf"), device=device, dtype=self.points.dtype)
        slots = initial.numel() + capacity
        # past the centres' slots: "no centre yet" (-inf, always recomputed)
        # and "retired" (+inf, never recomputed)
        self._no_centre, self._retired = slots, slots + 1
        self.centre_of = torch.full((n,), self._retired, dtype=torch.long, device=device)
        dist, nearest = nearest_centre_grouped(self.points[open_rows], self.points[initial])
        self.sq_dist[open_rows] = dist
        self.centre_of[open_rows] = nearest if initial.numel() else self._no_centre
        # one column per centre: the product over the centres reads columns
        self._centres_t = torch.empty(h, slots, device=device, dtype=self.points.dtype)
        self._centres_t[:, :initial.numel()] = self.points[initial].T
        self._centre_sq = torch.full((slots + 2,), float("-inf"), device=device,
                                     dtype=self.points.dtype)
        self._centre_sq[:initial.numel()] = self.sq_norms[initial]
        self._centre_sq[self._retired] = float("inf")
        self._count = initial.numel()
        max_sq = float(self.sq_norms.max()) if n else 0.0
        self._slack = 6.0 * _ROUNDING_FACTOR * (h + 4) * torch.finfo(self.points.dtype).eps * max_sq

    def retire(self, index: int) -> None:
        r"""Mark point ``index`` done: its distance becomes :math:`-\infty`."""
        self.sq_dist[index] = float("-inf")
        self.centre_of[index] = self._retired

    def add(self, index: int) -> None:
        r"""Make point ``index`` a centre: every open point's distance becomes
        :math:`\min(\tilde\delta_i^2, \tilde d_{iu}^2)`, computed only where
        the triangle inequality cannot rule a decrease out."""
        count = self._count
        u = self.points[index]
        sq_u = self.sq_norms[index]
        if bool(torch.isfinite(sq_u)):
            centres = self._centres_t[:, :count].T  # (count, h), column-major
            to_centre = self._centre_sq.clone()
            to_centre[:count].add_(sq_u).sub_(centres @ u, alpha=2.0)
            # NaN fails: a NaN distance stays NaN under the full update too
            need = to_centre[self.centre_of] <= self.sq_dist.mul(4.0).add_(self._slack)
        else:  # a non-finite centre changes every open distance
            need = self.sq_dist > float("-inf")
        rows = torch.nonzero(need, as_tuple=True)[0]
        if rows.numel():
            new = squared_distances_to(self.points, self.sq_norms, rows, index)
            old = self.sq_dist[rows]
            self.sq_dist[rows] = torch.minimum(old, new)
            self.centre_of[rows[new < old]] = count
        self._centres_t[:, count] = u
        self._centre_sq[count] = sq_u
        self._count = count + 1
