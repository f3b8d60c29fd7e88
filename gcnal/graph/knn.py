r"""The sparse pool graph: each item's :math:`k` most cosine-similar items.

A dense cosine graph over a pool of :math:`N` items needs :math:`N^2` memory
when some similarities are negative (signed features). The kNN graph keeps,
for every item, its :math:`k` most similar other items, found by blocked
matmul + top-k (memory :math:`O(Nk)` plus one block, on the features'
device), made symmetric (an edge when either end has the other among its
:math:`k` nearest), with negative similarities dropped, and normalised like
the dense graph:

.. math::
    W_{ij} = \max(\mathbf{v}_i^\top \mathbf{v}_j, 0)\ \text{ for } j \in
    \mathcal{N}_k(i) \cup \{j : i \in \mathcal{N}_k(j)\}, \qquad
    A_{\text{row}} = D^{-1} W + I, \qquad A_{\text{column}} = W D^{-1} + I.
"""
from __future__ import annotations

import warnings
from typing import Tuple

import torch
from torch import Tensor

from ..validation import check_choice
from .base import NORMALIZATIONS, PoolAdjacency
from .cosine import l2_normalize
from .search import knn_search


class _SparseMatmul(torch.autograd.Function):
    """``A @ y`` for a sparse CSR ``A`` whose transpose is kept too, so the
    backward pass is one more CSR product, never a transpose or a sort."""

    @staticmethod
    def forward(ctx, matrix: Tensor, matrix_t: Tensor, y: Tensor) -> Tensor:
        ctx.matrix_t = matrix_t
        return matrix @ y

    @staticmethod
    def backward(ctx, grad: Tensor):
        return None, None, ctx.matrix_t @ grad


class RowBlock:
    r"""The rows :math:`B` of a sparse pool adjacency restricted to the
    columns they touch, :math:`A_{B, \mathcal{N}(B)}` with
    :math:`\mathcal{N}(B) = B \cup \{j : A_{ij} \ne 0, i \in B\}`, as an
    operator: ``block @ y`` for ``y`` of shape :math:`(|\mathcal{N}(B)|, c)`
    (rows in the order of :attr:`KNNAdjacency.rows`'s ``columns``) is
    :math:`A_{B,\mathcal{N}(B)}\,\mathbf{y}`, differentiable in ``y``.
    Self-loops are explicit entries of weight 1.
    """

    def __init__(self, row: Tensor, col: Tensor, weight: Tensor, num_rows: int):
        self.row, self.col, self.weight, self.num_rows = row, col, weight, num_rows

    def __matmul__(self, y: Tensor) -> Tensor:
        out = y.new_zeros(self.num_rows, y.size(1))
        return out.index_add(0, self.row, self.weight[:, None] * y[self.col])


class KNNAdjacency(PoolAdjacency):
    r"""The normalised symmetric kNN cosine adjacency of a pool, as an operator.

    ``adj @ y`` computes :math:`A\mathbf{y}` (autograd through ``y``);
    ``edge_index``/``edge_weight`` give :math:`A`'s off-diagonal entries in PyG's
    convention (row 0 the source :math:`j`, row 1 the target :math:`i` of
    :math:`A_{ij}`; the self-loop of weight 1 is implicit).

    Args:
        features (torch.Tensor): Pool features :math:`(N, d)`.
        k (int): Neighbours per item before symmetrisation. (default: :obj:`15`)
        normalization (str): ``"row"`` or ``"column"``. (default: :obj:`"row"`)
        backend (str): The :func:`knn_search` backend, ``"torch"``, ``"faiss"``,
            ``"faiss-approx"``, ``"ivf"`` or ``"ivf-bf16"``. (default: :obj:`"torch"`)
    """

    def __init__(self, features: Tensor, k: int = 15, normalization: str = "row",
                 backend: str = "torch"):
        from torch_geometric.utils import coalesce  # loaded with the first kNN graph

        check_choice(normalization, "normalization", NORMALIZATIONS, "KNNAdjacency")
        self.k = k
        self.normalization = normalization
        self.backend = backend
        self.vectors = l2_normalize(features.float())
        self.num_nodes = n = self.vectors.size(0)
        index, similarity = knn_search(self.vectors, k, backend, normalized=True)
        rows = torch.arange(n, device=index.device).repeat_interleave(k)
        cols, weight = index.reshape(-1), similarity.reshape(-1).clamp_min(0)
        keep = weight > 0
        rows, cols, weight = rows[keep], cols[keep], weight[keep]
        pairs = torch.stack([torch.cat([rows, cols]), torch.cat([cols, rows])])
        pairs, weight = coalesce(pairs, torch.cat([weight, weight]), n, reduce="max")
        target, source = pairs
        self.degree = torch.zeros(n, device=weight.device).index_add_(0, target, weight)
        inv = torch.where(self.degree > 0, 1.0 / self.degree, torch.zeros_like(self.degree))
        # A's normalisation by one end of each pair, A^T's by the other
        norm, norm_t = (inv[target], inv[source]) if normalization == "row" \
            else (inv[source], inv[target])
        self.edge_index = torch.stack([source, target])
        self.edge_weight = weight * norm
        # coalesce sorted the pairs by target, then source: they are A's CSR
        # rows as they stand. Both directions of every pair are there with the
        # same (maximum) weight, so A^T has the same rows and columns, with
        # the other end's normalisation: no second sort
        # the way to the sparse kernels that does not convert the indices at
        # every product: 32-bit indices while they fit
        index_dtype = torch.int32 if weight.numel() < 2 ** 31 else torch.long
        crow = torch.zeros(n + 1, dtype=index_dtype, device=weight.device)
        crow[1:] = torch.bincount(target, minlength=n).cumsum(0)
        col = source.to(index_dtype)
        with warnings.catch_warnings():  # "sparse CSR support is in beta"
            warnings.simplefilter("ignore", UserWarning)
            self._matrix = torch.sparse_csr_tensor(crow, col, self.edge_weight, (n, n))
            self._matrix_t = torch.sparse_csr_tensor(crow, col, weight * norm_t, (n, n))

    @property
    def num_edges(self) -> int:
        return self.edge_weight.numel()

    def rows(self, index: Tensor) -> Tuple[Tensor, RowBlock]:
        r"""The rows ``index`` of :math:`A` for mini-batch message passing:
        ``(columns, block)`` with ``columns`` the sorted pool indices
        :math:`\mathcal{N}(B)` those rows touch (the rows themselves
        included, for the self-loops) and ``block`` the :class:`RowBlock`
        :math:`A_{B, \mathcal{N}(B)}`, read from the CSR rows in
        :math:`O(|B| k)`. For ``index`` = all rows, ``columns`` is every item
        in order and ``block @ y`` equals ``adj @ y``.
        """
        crow, col = self._matrix.crow_indices(), self._matrix.col_indices()
        start = crow[index].long()
        counts = crow[index + 1].long() - start
        batch = torch.arange(index.numel(), device=index.device)
        row = batch.repeat_interleave(counts)
        offsets = torch.cumsum(counts, 0) - counts
        position = (start - offsets).repeat_interleave(counts) + \
            torch.arange(row.numel(), device=index.device)
        columns, local = torch.unique(torch.cat([col[position].long(), index]),
                                      return_inverse=True)
        weight = torch.cat([self._matrix.values()[position],
                            torch.ones(index.numel(), device=index.device)])
        return columns, RowBlock(torch.cat([row, batch]), local, weight, index.numel())

    def _product(self, y: Tensor) -> Tensor:
        return _SparseMatmul.apply(self._matrix, self._matrix_t, y) + y

    def to_dense(self) -> Tensor:
        r"""The :math:`N \times N` matrix :math:`A` (for inspection of small pools)."""
        return self._matrix.to_dense() + torch.eye(self.num_nodes, device=self.device)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_nodes={self.num_nodes}, k={self.k}, "
                f"num_edges={self.num_edges}, normalization='{self.normalization}')")
