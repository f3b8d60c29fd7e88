"""The two-layer GCN sampler of Sequential GCN (UncertainGCN, CoreGCN)."""
from __future__ import annotations

from typing import Any, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..nn import Workspace, dropout, relu_dropout_linear
from .pool_conv import PoolConv


class GCNSampler(nn.Module):
    r"""The sampler of "Sequential Graph Convolutional Network for Active
    Learning" (https://arxiv.org/abs/2006.10219): two graph convolutions that
    classify pool nodes as labelled (1) or unlabelled (0),

    .. math::
        \mathbf{H} = \operatorname{ReLU}(A \mathbf{X} \mathbf{\Theta}_1 + \mathbf{b}_1),
        \qquad
        \mathbf{z} = A \operatorname{dropout}(\mathbf{H}) \mathbf{\Theta}_2 + \mathbf{b}_2,

    with score :math:`\sigma(\mathbf{z})`. :meth:`embed` returns
    :math:`\mathbf{H}`, the first layer's output that CoreGCN runs k-center
    greedy on.

    Args:
        in_channels (int): Feature size :math:`d` of each pool item.
        hidden_channels (int): Size of :math:`\mathbf{H}`. (default: :obj:`128`)
        dropout (float): Dropout probability on :math:`\mathbf{H}` while
            training. (default: :obj:`0.3`)
        cached (bool): Cache :math:`A\mathbf{X}` across calls (transductive
            training on a fixed pool), and run the hidden layer fused with
            the second layer's weight
            (:func:`~gcnal.nn.relu_dropout_linear`).
            (default: :obj:`False`)
        compute_dtype (torch.dtype, optional): dtype of the cached
            :math:`A\mathbf{X}` and of :math:`(A\mathbf{X})\mathbf{\Theta}_1`
            (``torch.bfloat16`` for speed, see :class:`PoolConv`).
            (default: :obj:`None`, float32)

    Shapes:
        - **input:** node features :math:`(N, d)`, adjacency :math:`(N, N)`
        - **output:** logits :math:`(N,)`; :meth:`embed`: :math:`(N, h)`
    """

    def __init__(self, in_channels: int, hidden_channels: int = 128, dropout: float = 0.3,
                 cached: bool = False, compute_dtype: Optional[torch.dtype] = None):
        super().__init__()
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.dropout = dropout
        self.cached = cached
        self.compute_dtype = compute_dtype
        self.conv1 = PoolConv(in_channels, hidden_channels, cached=cached,
                              compute_dtype=compute_dtype)
        self.conv2 = PoolConv(hidden_channels, 1)
        self.reset_parameters()

    def reset_parameters(self, generator: Optional[torch.Generator] = None) -> None:
        self.conv1.reset_parameters(generator)
        self.conv2.reset_parameters(generator)

    def embed(self, x: Tensor, adj: Any) -> Tensor:
        return F.relu(self.conv1(x, adj))

    def forward(self, x: Tensor, adj: Any, generator: Optional[torch.Generator] = None,
                workspace: Optional[Workspace] = None) -> Tensor:
        if self.cached:  # the hidden layer and the second layer's weight, fused
            y = self._hidden_times_weight(self.conv1.propagated(x, adj), generator, workspace)
            return (adj @ y).squeeze(-1) + self.conv2.bias
        h = dropout(self.embed(x, adj), self.dropout, self.training, generator)
        return self.conv2(h, adj).squeeze(-1)

    def forward_rows(self, x: Tensor, adj: Any, rows: Tensor,
                     generator: Optional[torch.Generator] = None,
                     workspace: Optional[Workspace] = None) -> Tensor:
        r"""Exact logits of the nodes ``rows`` only, for mini-batch training on
        a sparse graph (:meth:`~gcnal.graph.KNNAdjacency.rows`): with
        :math:`\mathcal{N}(B)` the batch's 1-hop neighbourhood,

        .. math::
            \mathbf{H}_{\mathcal{N}(B)} = \operatorname{ReLU}\big((A\mathbf{X})_{\mathcal{N}(B)}
            \mathbf{\Theta}_1 + \mathbf{b}_1\big), \qquad
            \mathbf{z}_B = A_{B,\mathcal{N}(B)} \operatorname{dropout}
            (\mathbf{H}_{\mathcal{N}(B)}) \mathbf{\Theta}_2 + \mathbf{b}_2,

        with :math:`A\mathbf{X}` cached (``cached=True``). Costs
        :math:`O(|\mathcal{N}(B)|\, d h)`, not :math:`O(N d h)`. For ``rows`` =
        every node in order it computes what :meth:`forward` does.
        """
        columns, block = adj.rows(rows)
        y = self._hidden_times_weight(self.conv1.propagated(x, adj)[columns], generator,
                                      workspace)
        return (block @ y).squeeze(-1) + self.conv2.bias

    def _hidden_times_weight(self, ax: Tensor, generator: Optional[torch.Generator],
                             workspace: Optional[Workspace]) -> Tensor:
        r""":math:`\operatorname{dropout}(\mathbf{H})\mathbf{\Theta}_2` from the cached
        :math:`A\mathbf{X}`, by :func:`~gcnal.nn.relu_dropout_linear`
        (one pass over :math:`\mathbf{H}` in cache-sized chunks; its buffers
        reused from step to step with a training loop's ``workspace``)."""
        return relu_dropout_linear(ax, self.conv1.weight, self.conv1.bias, self.conv2.weight,
                                   self.dropout, self.training, generator, workspace)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, "
                f"hidden_channels={self.hidden_channels}, dropout={self.dropout})")
