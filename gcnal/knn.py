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

import math
import warnings
from typing import Tuple

import torch
from torch import Tensor
from torch_geometric.utils import coalesce

from .errors import InvalidParameterError, MissingDependencyError
from .graph import NORMALIZATIONS, PoolAdjacency, l2_normalize
from .typing import WITH_FAISS

#: Most similarities held at once while searching (256 MiB of float32): one
#: block of rows x N, reused from block to block (a fresh block per step would
#: cost a page fault per 4 KiB written).
_BLOCK_ELEMENTS = 1 << 26

#: Most rows per block: a few hundred rows keep the similarity product near
#: the BLAS peak on a CPU; more only cost memory.
_BLOCK_ROWS = 512

#: Search backends of :func:`knn_search`.
KNN_BACKENDS = ("torch", "faiss", "faiss-approx")

#: Inverted lists probed per query by ``"faiss-approx"``.
FAISS_NPROBE = 16


def _block_top_k(block: Tensor, k: int) -> Tuple[Tensor, Tensor]:
    r"""Exact row-wise top-:math:`k` of a :math:`b \times N` block, without a
    full top-:math:`k` over :math:`N` columns.

    The first :math:`N - (N \bmod c)` columns are cut into chunks of
    :math:`c \approx \sqrt{N/k}` (a view, no copy); the last
    :math:`N \bmod c` columns form a tail. If :math:`\tau_i` is the
    :math:`k`-th largest chunk maximum of row :math:`i`, those :math:`k`
    chunks hold :math:`k` values :math:`\ge \tau_i`, so every top-:math:`k`
    value outside the tail lies in a chunk whose maximum is :math:`\ge
    \tau_i`: the top-:math:`k` chunks. A top-:math:`k` over their :math:`kc`
    values and the tail is exact and costs :math:`O(N/c + kc)` per row after
    one pass for the chunk maxima, instead of a partial sort over :math:`N`
    (about 2x faster at :math:`N = 10^5`).
    """
    rows, n = block.shape
    chunk = max(1, int(math.sqrt(n / k)))
    num_chunks, tail = divmod(n, chunk)
    if num_chunks <= k:
        top = block.topk(k, dim=1)
        return top.values, top.indices
    body = block[:, :num_chunks * chunk].unflatten(1, (num_chunks, chunk))
    best = body.amax(dim=2).topk(k, dim=1).indices
    columns = (best.unsqueeze(2) * chunk + torch.arange(chunk, device=block.device)).view(rows, -1)
    if tail:
        tail_columns = torch.arange(n - tail, n, device=block.device).expand(rows, tail)
        columns = torch.cat([columns, tail_columns], dim=1)
    top = torch.gather(block, 1, columns).topk(k, dim=1)
    return top.values, torch.gather(columns, 1, top.indices)


def knn_search(features: Tensor, k: int, backend: str = "torch") -> Tuple[Tensor, Tensor]:
    r"""Each row's :math:`k` most cosine-similar other rows.

    Backends:

    - ``"torch"`` (exact): blocked, one block of :math:`b \times N`
      similarities at a time, so memory is :math:`O(Nk + bN)`. Time is the
      :math:`O(N^2 d)` of the similarity products plus a top-:math:`k` that
      reads each similarity about once (see :func:`_block_top_k`).
    - ``"faiss"`` (exact): faiss's ``IndexFlatIP`` on the L2-normalised rows
      (blocked BLAS products and a heap per query; 1.1x the speed of
      ``"torch"`` on one CPU thread at :math:`N = 10^5`, docs/scaling.md).
    - ``"faiss-approx"``: an inverted-file index (``IndexIVFFlat``) with
      :math:`\lceil\sqrt{N}\rceil` k-means lists (faiss's fixed seed, so
      deterministic), probing :data:`FAISS_NPROBE` lists per query: about
      :math:`O(N^{1.5} d \cdot \text{nprobe})` instead of :math:`O(N^2 d)`.
      Approximate: a neighbour in an unprobed list is missed (recall is
      measured in the tests and ``docs/scaling.md``).

    faiss runs on the CPU (tensors on another device are copied there and
    back) with its own OpenMP threads (``faiss.omp_set_num_threads``).
    Self-matches are excluded.

    Returns:
        ``(index, similarity)``, both :math:`(N, k)`, most similar first; where
        the approximate search found fewer than :math:`k` others, index
        ``-1`` and similarity :math:`-\infty`.
    """
    n = features.size(0)
    if not 1 <= k < n:
        raise InvalidParameterError("k", f"an int in [1, {n - 1}] (fewer than the {n} items)",
                                    k, "knn_search")
    if backend not in KNN_BACKENDS:
        raise InvalidParameterError("backend", f"one of {list(KNN_BACKENDS)}", repr(backend),
                                    "knn_search")
    v = l2_normalize(features.float())
    if backend != "torch":
        return _faiss_search(v, k, approximate=backend == "faiss-approx")
    index = torch.empty(n, k, dtype=torch.long, device=v.device)
    similarity = torch.empty(n, k, dtype=v.dtype, device=v.device)
    step = max(1, min(n, _BLOCK_ROWS, _BLOCK_ELEMENTS // n))
    buffer = torch.empty(step, n, dtype=v.dtype, device=v.device)
    for start in range(0, n, step):
        stop = min(start + step, n)
        block = torch.matmul(v[start:stop], v.T, out=buffer[:stop - start])
        block.diagonal(offset=start).fill_(float("-inf"))
        similarity[start:stop], index[start:stop] = _block_top_k(block, k)
    return index, similarity


def _faiss_search(v: Tensor, k: int, approximate: bool) -> Tuple[Tensor, Tensor]:
    r""":func:`knn_search` with faiss on unit rows ``v``: :math:`k + 1`
    neighbours per query, the query itself (wherever ties put it) dropped."""
    if not WITH_FAISS:
        raise MissingDependencyError("faiss-cpu", "faiss",
                                     "knn_backend='faiss' / 'faiss-approx'")
    import faiss

    n, d = v.shape
    data = v.detach().cpu().contiguous().numpy()
    if approximate:
        lists = max(1, math.ceil(math.sqrt(n)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, lists, faiss.METRIC_INNER_PRODUCT)
        index.train(data)
        index.nprobe = min(FAISS_NPROBE, lists)
    else:
        index = faiss.IndexFlatIP(d)
    index.add(data)
    similarity, neighbours = (torch.from_numpy(a) for a in index.search(data, k + 1))
    neighbours = torch.where(neighbours < 0, n, neighbours)  # "not found" sorts last
    similarity = torch.where(neighbours == n, float("-inf"), similarity)
    # stable sort on (found, not found, self): keeps the similarity order and drops the
    # query itself, or the (k+1)-th neighbour when ties hid the query
    rank = (neighbours == n).to(torch.int8) + 2 * (neighbours == torch.arange(n)[:, None])
    order = torch.sort(rank, dim=1, stable=True).indices
    neighbours = torch.gather(neighbours, 1, order)[:, :k]
    similarity = torch.gather(similarity, 1, order)[:, :k]
    neighbours = torch.where(neighbours == n, -1, neighbours)
    return neighbours.to(v.device), similarity.to(v.device)


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
        backend (str): The :func:`knn_search` backend, ``"torch"``, ``"faiss"``
            or ``"faiss-approx"``. (default: :obj:`"torch"`)
    """

    def __init__(self, features: Tensor, k: int = 15, normalization: str = "row",
                 backend: str = "torch"):
        if normalization not in NORMALIZATIONS:
            raise InvalidParameterError("normalization", f"one of {list(NORMALIZATIONS)}",
                                        repr(normalization), "KNNAdjacency")
        self.k = k
        self.normalization = normalization
        self.backend = backend
        self.vectors = l2_normalize(features.float())
        self.num_nodes = n = self.vectors.size(0)
        index, similarity = knn_search(self.vectors, k, backend)
        rows = torch.arange(n, device=index.device).repeat_interleave(k)
        cols, weight = index.reshape(-1), similarity.reshape(-1).clamp_min(0)
        keep = weight > 0
        rows, cols, weight = rows[keep], cols[keep], weight[keep]
        pairs = torch.stack([torch.cat([rows, cols]), torch.cat([cols, rows])])
        pairs, weight = coalesce(pairs, torch.cat([weight, weight]), n, reduce="max")
        target, source = pairs
        self.degree = torch.zeros(n, device=weight.device).index_add_(0, target, weight)
        inv = torch.where(self.degree > 0, 1.0 / self.degree, torch.zeros_like(self.degree))
        norm = inv[target] if normalization == "row" else inv[source]
        self.edge_index = torch.stack([source, target])
        self.edge_weight = weight * norm
        entries = torch.sparse_coo_tensor(torch.stack([target, source]), self.edge_weight,
                                          (n, n), check_invariants=False).coalesce()
        with warnings.catch_warnings():  # "sparse CSR support is in beta"
            warnings.simplefilter("ignore", UserWarning)
            self._matrix = entries.to_sparse_csr()
            self._matrix_t = entries.t().coalesce().to_sparse_csr()

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
        start = crow[index]
        counts = crow[index + 1] - start
        batch = torch.arange(index.numel(), device=index.device)
        row = batch.repeat_interleave(counts)
        offsets = torch.cumsum(counts, 0) - counts
        position = (start - offsets).repeat_interleave(counts) + \
            torch.arange(row.numel(), device=index.device)
        columns, local = torch.unique(torch.cat([col[position], index]), return_inverse=True)
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
