r"""Choosing the pool graph: dense cosine or kNN, and ``"auto"``.

``graph="auto"`` takes the exact dense graph while it is cheap and the kNN
graph beyond:

1. dense, factored, when no feature is negative: exact and :math:`O(Nd)`
   memory at any :math:`N` (see :mod:`gcnal.graph.cosine`);
2. dense, materialised, while the :math:`N \times N` float32 matrix fits in
   ``dense_memory`` bytes (1 GiB by default: :math:`N \le 16{,}384`);
3. kNN (:mod:`gcnal.graph.knn`) otherwise: :math:`O(Nk)` memory.

The choice is returned as a sentence for :attr:`gcnal.Selection.info`.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Tuple

import torch
from torch import Tensor

from ..errors import InvalidParameterError
from ..progress import log_stage
from ..validation import (as_feature_tensor, as_mask_tensor, check_choice, check_int,
                          check_real)
from .base import PoolAdjacency
from .cosine import CosineAdjacency
from .knn import KNNAdjacency
from .search import KNN_BACKENDS

if TYPE_CHECKING:
    import networkx as nx
    from torch_geometric.data import Data

log = logging.getLogger(__name__)

GRAPHS = ("auto", "dense", "knn")

#: Largest materialised dense adjacency ``"auto"`` builds, in bytes.
DENSE_MEMORY = 1 << 30


def check_graph_arguments(graph: str, k: int, knn_backend: str, owner: str) -> None:
    """Raise :class:`~gcnal.errors.InvalidParameterError` naming ``owner``
    unless ``graph`` and ``knn_backend`` are known and ``k`` is a positive
    int (checked for every graph form, so a bad ``k`` never passes
    unnoticed because the dense graph was chosen)."""
    check_choice(graph, "graph", GRAPHS, owner)
    check_choice(knn_backend, "knn_backend", KNN_BACKENDS, owner)
    check_int(k, "k", owner, detail="neighbours per item of the kNN graph")


def build_adjacency(features: Tensor, graph: str = "auto", normalization: str = "row",
                    k: int = 15, dense_memory: int = DENSE_MEMORY,
                    knn_backend: str = "torch") -> Tuple[PoolAdjacency, str]:
    r"""The pool graph of ``features`` and a description of the choice.

    Args:
        features (torch.Tensor): :math:`(N, d)` pool features.
        graph (str): ``"auto"``, ``"dense"`` or ``"knn"``. (default: :obj:`"auto"`)
        normalization (str): ``"row"`` or ``"column"``. (default: :obj:`"row"`)
        k (int): Neighbours per item for the kNN graph. (default: :obj:`15`)
        dense_memory (int): Byte budget of a materialised dense graph under
            ``"auto"``. (default: 1 GiB)
        knn_backend (str): How the kNN graph is searched: ``"torch"`` or
            ``"faiss"`` (exact), ``"faiss-approx"``, ``"ivf"`` or ``"ivf-bf16"``
            (inverted lists), see
            :func:`~gcnal.graph.knn_search`. (default: :obj:`"torch"`)

    The choice and the time it took are logged at INFO.
    """
    check_graph_arguments(graph, k, knn_backend, "build_adjacency")
    with log_stage(log, "graph", features.device) as stage:
        adj, description = _build(features, graph, normalization, k, dense_memory, knn_backend)
        stage["detail"] = description
    return adj, description


def _build(features: Tensor, graph: str, normalization: str, k: int, dense_memory: int,
           knn_backend: str) -> Tuple[PoolAdjacency, str]:
    """:func:`build_adjacency` after its checks."""
    n = features.size(0)
    if graph == "auto":
        nonnegative = bool((features >= 0).all())
        graph = "dense" if nonnegative or n * n * 4 <= dense_memory else "knn"
    if graph == "knn":
        k_eff = min(k, n - 1)
        if k_eff < 1:
            return CosineAdjacency(features, normalization), "dense (a single item)"
        adj = KNNAdjacency(features, k_eff, normalization, knn_backend)
        return adj, f"knn (k={k_eff}, {adj.num_edges} edges, {knn_backend} search)"
    adj = CosineAdjacency(features, normalization)
    form = "factored, O(N d)" if adj.is_factored else f"materialized {n}x{n}"
    return adj, f"dense ({form})"


def pool_graph(features, labelled_mask=None, normalization: str = "row", graph: str = "auto",
               k: int = 15, knn_backend: str = "torch") -> Data:
    r"""The pool as a PyTorch Geometric :class:`~torch_geometric.data.Data`.

    Args:
        features (numpy.ndarray or torch.Tensor): Pool features :math:`(N, d)`.
        labelled_mask (numpy.ndarray or torch.Tensor, optional): :math:`(N,)`
            booleans, ``True`` for labelled items. (default: :obj:`None`, all
            unlabelled)
        normalization (str): ``"row"`` or ``"column"``. (default: :obj:`"row"`)
        graph (str): ``"auto"`` (as :func:`gcnal.select`: see
            :func:`build_adjacency`), ``"dense"`` or ``"knn"``.
            (default: :obj:`"auto"`)
        k (int): Neighbours per item of the kNN graph. (default: :obj:`15`)
        knn_backend (str): ``"torch"``, ``"faiss"``, ``"faiss-approx"``,
            ``"ivf"`` or ``"ivf-bf16"``. (default: :obj:`"torch"`)

    Returns:
        ``Data(x, labelled_mask)`` with ``x`` the L2-normalised features and,
        for a dense graph, ``adj``, the :math:`N \times N` matrix :math:`A`;
        for a kNN graph, ``edge_index`` and ``edge_weight``, :math:`A`'s
        off-diagonal entries (self-loops of weight 1 implicit). On the
        features' device.
    """
    from torch_geometric.data import Data

    x = as_feature_tensor(features, owner="pool_graph")
    check_graph_arguments(graph, k, knn_backend, "pool_graph")
    if labelled_mask is None:
        mask = torch.zeros(x.size(0), dtype=torch.bool, device=x.device)
    else:
        mask = as_mask_tensor(labelled_mask, x.size(0), owner="pool_graph").to(x.device)
    adj, _ = build_adjacency(x, graph, normalization, k, knn_backend=knn_backend)
    if isinstance(adj, KNNAdjacency):
        return Data(x=adj.vectors, edge_index=adj.edge_index, edge_weight=adj.edge_weight,
                    labelled_mask=mask, num_nodes=x.size(0))
    return Data(x=adj.vectors, adj=adj.to_dense(), labelled_mask=mask, num_nodes=x.size(0))


def to_networkx(data: Data, min_weight: float = 0.0) -> nx.DiGraph:
    r"""A :class:`networkx.DiGraph` of a :func:`pool_graph`: an edge
    :math:`j \to i` with attribute ``weight`` :math:`= A_{ij}` for every entry
    above ``min_weight`` (self-loops included for a dense graph), and node
    attribute ``labelled``."""
    from torch_geometric.data import Data
    from torch_geometric.utils import dense_to_sparse
    from torch_geometric.utils import to_networkx as _pyg_to_networkx

    has_graph = isinstance(data, Data) and "labelled_mask" in data and \
        ("adj" in data or ("edge_index" in data and "edge_weight" in data))
    if not has_graph:
        raise InvalidParameterError(
            "data", "a pool graph from gcnal.pool_graph (a torch_geometric Data with "
                    "labelled_mask and adj, or edge_index and edge_weight)",
            f"{type(data).__name__} without them", "to_networkx")
    check_real(min_weight, "min_weight", float("-inf"), float("inf"), "to_networkx")
    if "adj" in data:
        adj = data.adj
        edge_index, weight = dense_to_sparse(adj * (adj > min_weight))
        edge_index = edge_index.flip(0)
    else:
        keep = data.edge_weight > min_weight
        edge_index, weight = data.edge_index[:, keep], data.edge_weight[keep]
    graph = Data(edge_index=edge_index, weight=weight, num_nodes=data.num_nodes,
                 labelled=data.labelled_mask)
    return _pyg_to_networkx(graph, node_attrs=["labelled"], edge_attrs=["weight"])
