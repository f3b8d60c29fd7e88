"""A graph-attention sampler on the pool graph's edges."""
from __future__ import annotations

import math
from typing import Any, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import InvalidParameterError
from ..nn import dropout
from ..validation import check_hyper_parameters, check_int


def pool_edge_index(adj: Any, k: int = 10) -> Tensor:
    r"""The edges of a pool graph in PyG's convention, :math:`(2, E)` int64,
    no self-loops.

    A sparse graph (anything with an ``edge_index``, e.g.
    :class:`~gcnal.graph.KNNAdjacency`) gives its own edges. A dense
    :class:`~gcnal.graph.CosineAdjacency` has none, so its strongest edges are
    taken: each node's :math:`k` most cosine-similar other nodes
    (:func:`~gcnal.graph.knn_search` on ``adj.vectors``, memory :math:`O(Nk)`),
    made undirected,

    .. math::
        \mathcal{E} = \{(j, i), (i, j) : j \in \mathcal{N}_k(i)\}.

    Args:
        adj: A pool adjacency with ``edge_index`` or ``vectors``.
        k (int): Neighbours per node for a dense graph, capped at
            :math:`N - 1`. (default: :obj:`10`)
    """
    edge_index = getattr(adj, "edge_index", None)
    if edge_index is not None:
        return edge_index
    vectors = getattr(adj, "vectors", None)
    if vectors is None:
        raise InvalidParameterError("adj", "a pool graph with 'edge_index' or 'vectors' "
                                    "(KNNAdjacency or CosineAdjacency)", type(adj).__name__,
                                    "pool_edge_index")
    check_int(k, "k", "pool_edge_index")
    from torch_geometric.utils import to_undirected

    from ..graph import knn_search

    n = vectors.size(0)
    k = min(k, n - 1)
    if k < 1:
        return torch.empty(2, 0, dtype=torch.long, device=vectors.device)
    index, _ = knn_search(vectors, k, normalized=True)
    target = torch.arange(n, device=vectors.device).repeat_interleave(k)
    return to_undirected(torch.stack([index.reshape(-1), target]), num_nodes=n)


def _glorot_(tensor: Tensor, generator: Optional[torch.Generator]) -> None:
    a = math.sqrt(6.0 / (tensor.size(-2) + tensor.size(-1)))
    tensor.uniform_(-a, a, generator=generator)


class GATSampler(nn.Module):
    r"""A two-layer graph attention network (Veličković et al., ICLR 2018,
    https://arxiv.org/abs/1710.10903) in the place of Sequential GCN's
    sampler (https://arxiv.org/abs/2006.10219): it learns to tell labelled
    (1) from unlabelled (0) pool nodes, attending over each node's graph
    neighbours instead of averaging them with fixed weights,

    .. math::
        \alpha_{ij} = \operatorname{softmax}_{j \in \mathcal{N}(i) \cup \{i\}}
        \big(\operatorname{LeakyReLU}(\mathbf{a}^\top
        [\mathbf{\Theta}\mathbf{x}_i \,\Vert\, \mathbf{\Theta}\mathbf{x}_j])\big),

        \mathbf{H} = \operatorname{ELU}\Big(\big\Vert_{m=1}^{M}
        \sum_j \alpha^{(m)}_{ij} \mathbf{\Theta}^{(m)} \mathbf{x}_j\Big),
        \qquad
        z_i = \sum_j \alpha'_{ij} \mathbf{\theta}'^\top \mathbf{h}_j + b',

    with score :math:`\sigma(z_i)`, one PyG
    :class:`~torch_geometric.nn.conv.GATConv` per layer. The edges are
    :func:`pool_edge_index`'s: the kNN graph's own, or the :math:`k`
    strongest per node of a dense graph. :meth:`embed` returns
    :math:`\mathbf{H}` (CoreGAT runs k-center greedy on it).

    Dropout (on the input features and on :math:`\mathbf{H}`) is drawn from
    the ``generator`` passed to :meth:`forward`, never the global RNG; the
    attention coefficients are not dropped (PyG's attention dropout draws
    from the global RNG).

    Args:
        in_channels (int): Feature size :math:`d` of each pool item.
        hidden_channels (int): Size of :math:`\mathbf{H}`, split over the
            heads: each head has :math:`\lceil h / M \rceil` channels, so
            :math:`\mathbf{H}` has :math:`M \lceil h / M \rceil` columns
            (:math:`h` when divisible). (default: :obj:`128`)
        dropout (float): Dropout probability while training.
            (default: :obj:`0.3`)
        heads (int): Attention heads :math:`M` of the first layer.
            (default: :obj:`4`)
        k (int): Neighbours per node taken from a dense graph.
            (default: :obj:`10`)
        cached (bool): Cache the edges across calls (transductive training on
            a fixed pool). (default: :obj:`False`)

    Shapes:
        - **input:** node features :math:`(N, d)`, a pool adjacency
        - **output:** logits :math:`(N,)`; :meth:`embed`:
          :math:`(N, M \lceil h / M \rceil)`
    """

    def __init__(self, in_channels: int, hidden_channels: int = 128, dropout: float = 0.3,
                 heads: int = 4, k: int = 10, cached: bool = False):
        from torch_geometric.nn import GATConv  # loaded with the first PyG layer

        super().__init__()
        check_hyper_parameters("GATSampler", dropout, in_channels=in_channels,
                               hidden_channels=hidden_channels, heads=heads, k=k)
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.dropout = dropout
        self.heads = heads
        self.k = k
        self.cached = cached
        head_channels = -(-hidden_channels // heads)
        self.conv1 = GATConv(in_channels, head_channels, heads=heads, concat=True)
        self.conv2 = GATConv(heads * head_channels, 1, heads=1)
        self._cached_edges: Optional[Tensor] = None
        self.reset_parameters()

    def reset_parameters(self, generator: Optional[torch.Generator] = None) -> None:
        r"""Glorot-uniform weights and zero biases (as
        :meth:`GATConv.reset_parameters`), drawn from ``generator``."""
        with torch.no_grad():
            for name, param in self.named_parameters():
                if name.endswith("bias"):
                    param.zero_()
                else:
                    _glorot_(param, generator)
        self._cached_edges = None

    def edges(self, adj: Any) -> Tensor:
        r"""The edges used on ``adj`` (:func:`pool_edge_index`), cached when
        ``cached=True``."""
        if self.cached and self._cached_edges is not None:
            return self._cached_edges
        edge_index = pool_edge_index(adj, self.k)
        if self.cached:
            self._cached_edges = edge_index
        return edge_index

    def _embed(self, x: Tensor, edge_index: Tensor,
               generator: Optional[torch.Generator]) -> Tensor:
        x = dropout(x, self.dropout, self.training, generator)
        return F.elu(self.conv1(x, edge_index))

    def embed(self, x: Tensor, adj: Any, generator: Optional[torch.Generator] = None) -> Tensor:
        return self._embed(x, self.edges(adj), generator)

    def forward(self, x: Tensor, adj: Any, generator: Optional[torch.Generator] = None) -> Tensor:
        edge_index = self.edges(adj)
        h = dropout(self._embed(x, edge_index, generator), self.dropout, self.training,
                    generator)
        return self.conv2(h, edge_index).squeeze(-1)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, "
                f"hidden_channels={self.hidden_channels}, heads={self.heads}, "
                f"dropout={self.dropout}, k={self.k})")
