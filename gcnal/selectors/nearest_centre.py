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
:math:`O(|C| h + N)` instead of :math:`O(N h)`.

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

With many initial centres the first search, :math:`N |C| h`, is most of
the work, and most of it is wasted: only the points that ever come near the
farthest need their exact distance. So the first distances are taken to
every :data:`BOUND_STRIDE`-th initial centre only, an upper bound
:math:`\bar\delta_i \ge \delta_i` (a minimum over fewer centres). The
skip above holds for upper bounds too (:math:`\lVert \mathbf{p}_i -
\mathbf{p}_u \rVert \ge a - \bar\delta_i \ge \bar\delta_i`), so
:meth:`NearestCentres.add` keeps every bound valid, and
:meth:`NearestCentres.farthest` makes a point exact only when its bound is the
largest value: the point with the largest value, once exact, is the farthest
(every other value is at least its point's distance). A point is made exact,
in blocks of :data:`REFINE_ROWS` of the largest bounds, as
:math:`\min(\min_{j \in C_0} d_{ij}^2,\ \min_{u\ \text{added}}
d_{iu}^2)`: the added centres the skip left out cannot lower it. The distances
to the initial centres come from the same blocked product as the full first
search, whose entries do not depend on which other rows or columns are in
the product, so every value, hence every pick, is that of the full search.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

from ..nn import rows_per_block, torch_threads

#: Safety factor of the rounding bound :math:`E` (see the module docstring).
_ROUNDING_FACTOR = 8.0

#: The first distances go to every this-many-th initial centre (an upper
#: bound) when there are at least :data:`BOUNDED_FROM` initial centres and
#: the picks are few next to the open points.
BOUND_STRIDE = 4
BOUNDED_FROM = 2048

#: Points made exact at once by :meth:`NearestCentres.farthest`: one blocked
#: product of this many rows (a fixed, large row count, whose entries are
#: those of the full search's blocks).
REFINE_ROWS = 256


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
    triangle-inequality skip of the module docstring; :meth:`farthest` is the
    open point farthest from every centre.

    The state is each point's distance (or, until :meth:`farthest` needs it,
    an upper bound on it: the module docstring) and centre, and the centres'
    own copy, stored column-major (one column per centre, room for
    ``capacity``), which the per-pick product over the centres reads.
    Distances of points marked done (:meth:`retire`) are :math:`-\infty` and
    never updated.

    Args:
        points (torch.Tensor): :math:`(N, h)` float points, rescaled by the
            caller so squares neither overflow nor underflow.
        centre_mask (torch.Tensor): :math:`(N,)` booleans, the initial centres
            (retired from the start).
        capacity (int): Centres that will be added at most.
        bound_stride (int, optional): Start from the distances to every
            ``bound_stride``-th initial centre (1: the exact distances).
            (default: :obj:`None`, :data:`BOUND_STRIDE` from
            :data:`BOUNDED_FROM` initial centres when ``capacity`` is at most
            a sixteenth of the open points, else 1)
    """

    def __init__(self, points: Tensor, centre_mask: Tensor, capacity: int,
                 bound_stride: Optional[int] = None):
        self.points = points.contiguous()
        n, h = self.points.shape
        self.sq_norms = self.points.square().sum(dim=1)
        initial = torch.nonzero(centre_mask, as_tuple=True)[0]
        open_rows = torch.nonzero(~centre_mask, as_tuple=True)[0]
        if bound_stride is None:
            few_picks = 16 * capacity <= open_rows.numel()
            bound_stride = BOUND_STRIDE if initial.numel() >= BOUNDED_FROM and few_picks else 1
        device = self.points.device
        self.sq_dist = torch.full((n,), float("-inf"), device=device, dtype=self.points.dtype)
        slots = initial.numel() + capacity
        # past the centres' slots: "no centre yet" (-inf, always recomputed)
        # and "retired" (+inf, never recomputed)
        self._no_centre, self._retired = slots, slots + 1
        self.centre_of = torch.full((n,), self._retired, dtype=torch.long, device=device)
        bounding = torch.arange(0, initial.numel(), bound_stride, device=device)
        dist, nearest = nearest_centre(self.points[open_rows], self.points[initial[bounding]])
        self.sq_dist[open_rows] = dist
        self.centre_of[open_rows] = bounding[nearest] if initial.numel() else self._no_centre
        # the points whose value is still a bound, and their distance to the
        # added centres the skip did not leave out
        self._bounded = torch.zeros(n, dtype=torch.bool, device=device)
        if bound_stride > 1:
            self._bounded[open_rows] = True
            self._to_added = torch.full((n,), float("inf"), device=device, dtype=self.points.dtype)
        self._initial = initial
        self._threads = torch.get_num_threads()  # for the exact blocks, inside a one-thread loop
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

    def farthest(self) -> int:
        r"""The open point with the largest distance to its nearest centre
        (the lowest index on ties, NaN counting as largest, as
        ``torch.argmax`` takes it), its distance exact in :attr:`sq_dist`."""
        while True:
            pick = torch.argmax(self.sq_dist)
            if not bool(self._bounded[pick]):
                return int(pick)
            self._make_exact(pick)

    def _make_exact(self, pick: Tensor) -> None:
        r"""Exact distances for ``pick`` and the other points of the
        :data:`REFINE_ROWS` largest bounds: :math:`\min(\min_{j \in C_0}
        d_{ij}^2, \min_u d_{iu}^2)` over the initial centres and the added
        centres that were not skipped."""
        bounded = torch.nonzero(self._bounded, as_tuple=True)[0]
        if bounded.numel() > REFINE_ROWS:
            largest = self.sq_dist[bounded].topk(REFINE_ROWS).indices
            rows = torch.unique(torch.cat([pick.view(1), bounded[largest]]))
        else:
            rows = bounded
        with torch_threads(self._threads):
            dist, nearest = nearest_centre(self.points[rows], self.points[self._initial])
        to_added = self._to_added[rows]
        closer = dist < to_added
        self.sq_dist[rows] = torch.minimum(dist, to_added)
        self.centre_of[rows[closer]] = nearest[closer]
        self._bounded[rows] = False

    def retire(self, index: int) -> None:
        r"""Mark point ``index`` done: its distance becomes :math:`-\infty`."""
        self.sq_dist[index] = float("-inf")
        self.centre_of[index] = self._retired
        self._bounded[index] = False

    def add(self, index: int) -> None:
        r"""Make point ``index`` a centre: every open point's distance (or
        bound) becomes :math:`\min(\tilde\delta_i^2, \tilde d_{iu}^2)`,
        computed only where the triangle inequality cannot rule a decrease
        out."""
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
            if self._bounded.any():
                self._to_added[rows] = torch.minimum(self._to_added[rows], new)
        self._centres_t[:, count] = u
        self._centre_sq[count] = sq_u
        self._count = count + 1
