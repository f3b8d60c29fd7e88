r"""The pool graph: cosine similarities between pool items, normalised.

Following "Sequential Graph Convolutional Network for Active Learning"
(Caramalau et al., CVPR 2021, https://arxiv.org/abs/2006.10219), every pool
item is a node, its (L2-normalised) feature vector :math:`\mathbf{v}_i` the
node feature, and

.. math::
    S = V V^\top, \qquad
    W = \max(S, 0) \text{ with } W_{ii} = 0, \qquad
    D = \operatorname{diag}(W \mathbf{1}),

    A_{\text{row}} = D^{-1} W + I, \qquad
    A_{\text{column}} = W D^{-1} + I.

For unit-norm rows and non-negative similarities :math:`W = S - I`, the
paper's :math:`D^{-1}(S - I) + I`. Negative similarities are clamped to 0 and a
row (column) of zero degree keeps only its self-loop, so :math:`A` never holds
NaN or inf. ``"row"`` is the design card's row normalisation; ``"column"`` is
what the original code computes (``adj @ diag(1 / colsum)``), for exact
reproduction; for a symmetric :math:`W` one is the transpose of the other.

:class:`CosineAdjacency` never needs more than one :math:`N \times N` matrix,
and usually none: when no similarity is negative (always the case for
non-negative features such as post-ReLU CNN embeddings) the clamp is a no-op
and the product with :math:`A` factorises exactly,

.. math::
    A_{\text{row}}\, \mathbf{y} = D^{-1}\big(V (V^\top \mathbf{y}) -
    \mathbf{s} \odot \mathbf{y}\big) + \mathbf{y}, \qquad
    s_i = \lVert \mathbf{v}_i \rVert^2 \in \{0, 1\},

which costs :math:`O(N d)` per column of :math:`\mathbf{y}` instead of
:math:`O(N^2)`. Otherwise the matrix is materialised once, in row blocks, on
the features' device.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from ..errors import InvalidParameterError
from ..nn import column_major, rows_per_block
from ..progress import progress_bar
from ..validation import check_choice
from .base import NORMALIZATIONS, PoolAdjacency

def l2_normalize(x: Tensor) -> Tensor:
    r"""Rows divided by their L2 norm; an all-zero row stays zero.

    .. math::
        \mathbf{v}_i = \mathbf{x}_i / \lVert \mathbf{x}_i \rVert_2
    """
    norm = torch.linalg.vector_norm(x, dim=1, keepdim=True)
    return x / torch.where(norm > 0, norm, torch.ones_like(norm))


class CosineAdjacency(PoolAdjacency):
    r"""The normalised cosine adjacency :math:`A` of a pool, as an operator.

    ``adj @ y`` computes :math:`A \mathbf{y}` for ``y`` of shape :math:`(N,)`
    or :math:`(N, k)` with autograd support; :meth:`to_dense` returns the
    :math:`N \times N` matrix. See the module docstring for the math.

    Args:
        features (torch.Tensor): Pool features :math:`(N, d)`; rows are
            L2-normalised here.
        normalization (str): ``"row"`` (:math:`D^{-1}W + I`) or
            ``"column"`` (:math:`W D^{-1} + I`, the original code's).
            (default: :obj:`"row"`)
        materialize (bool, optional): Force (``True``) or forbid (``False``)
            the dense :math:`N \times N` matrix. ``None`` materialises only
            when some similarity is negative, where the factorisation would
            be wrong. (default: :obj:`None`)

    Shapes:
        - **features:** :math:`(N, d)`
        - **adj @ y:** :math:`(N,)` or :math:`(N, k)` in, same shape out
    """

    def __init__(self, features: Tensor, normalization: str = "row",
                 materialize: Optional[bool] = None):
        check_choice(normalization, "normalization", NORMALIZATIONS, "CosineAdjacency")
        self.normalization = normalization
        # column-major: the factored product's V^T y and V c are its main cost
        self.vectors = column_major(l2_normalize(features.float()))
        self.num_nodes = self.vectors.size(0)
        self.self_similarity = (self.vectors * self.vectors).sum(dim=1)
        nonnegative = bool((self.vectors >= 0).all())
        if materialize is False and not nonnegative:
            raise InvalidParameterError(
                "materialize", "True or None for features with negative entries "
                "(the factorised form is exact only without negative similarities)",
                materialize, "CosineAdjacency")
        self.is_factored = nonnegative if materialize is None else not materialize
        if self.is_factored:
            self.degree = self._factored_degree()
            self.dense: Optional[Tensor] = None
        else:
            self.dense, self.degree = self._materialize()
        self.inv_degree = torch.where(self.degree > 0, 1.0 / self.degree,
                                      torch.zeros_like(self.degree))

    def _factored_degree(self) -> Tensor:
        r"""Degrees :math:`V (V^\top \mathbf{1}) - \mathbf{s}`, in float64 so that
        an item orthogonal to all others gets exactly 0, not rounding noise."""
        v = self.vectors.double()
        total = v @ v.sum(dim=0)
        degree = total - self.self_similarity.double()
        degree = torch.where(degree > 1e-9 * total.clamp_min(1.0), degree,
                             torch.zeros_like(degree))
        return degree.float()

    def _materialize(self) -> tuple[Tensor, Tensor]:
        r"""Build :math:`A` in place, one row block at a time: the peak is the
        :math:`N \times N` result plus one block."""
        n, v = self.num_nodes, self.vectors
        adj = torch.empty(n, n, device=v.device, dtype=v.dtype)
        step = rows_per_block(n)
        for start in progress_bar(range(0, n, step), "dense graph"):
            rows = slice(start, min(start + step, n))
            block = adj[rows]
            torch.matmul(v[rows], v.T, out=block)
            block.clamp_(min=0)
            block.diagonal(offset=start).zero_()
        degree = adj.sum(dim=1)
        inv = torch.where(degree > 0, 1.0 / degree, torch.zeros_like(degree))
        for start in range(0, n, step):
            rows = slice(start, min(start + step, n))
            if self.normalization == "row":
                adj[rows] *= inv[rows, None]
            else:
                adj[rows] *= inv[None, :]
        adj.diagonal().add_(1.0)
        return adj, degree

    def _product(self, y: Tensor) -> Tensor:
        if self.dense is not None:
            return self.dense @ y
        v, s, inv = self.vectors, self.self_similarity[:, None], self.inv_degree[:, None]
        if self.normalization == "row":
            return inv * (v @ (v.T @ y) - s * y) + y
        z = inv * y
        return v @ (v.T @ z) - s * z + y

    def to_dense(self) -> Tensor:
        r"""The :math:`N \times N` matrix :math:`A` (built if it was factored)."""
        if self.dense is not None:
            return self.dense
        eye = torch.eye(self.num_nodes, device=self.device)
        return self @ eye

    def __repr__(self) -> str:
        form = "factored" if self.is_factored else "dense"
        return (f"{self.__class__.__name__}(num_nodes={self.num_nodes}, "
                f"normalization='{self.normalization}', form='{form}')")


def cosine_adjacency(features: Tensor, normalization: str = "row") -> Tensor:
    r"""The dense :math:`N \times N` normalised cosine adjacency of ``features``.

    A convenience over :class:`CosineAdjacency` for inspection and small pools;
    :func:`gcnal.select` uses the operator, which usually never builds it.
    """
    return CosineAdjacency(features, normalization).to_dense()
