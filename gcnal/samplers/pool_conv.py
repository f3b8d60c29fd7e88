"""A graph convolution over a pool adjacency given as any ``adj @ y`` operator."""
from __future__ import annotations

import math
from typing import Any, Optional

import torch
from torch import Tensor, nn

from ..errors import InvalidParameterError


class PoolConv(nn.Module):
    r"""The graph convolution of Kipf & Welling (https://arxiv.org/abs/1609.02907)
    as the Sequential GCN sampler uses it, on a pre-normalised adjacency:

    .. math::
        \mathbf{X}' = A \mathbf{X} \mathbf{\Theta} + \mathbf{b}

    :math:`A` is anything that supports ``adj @ y``: a dense or sparse tensor,
    or a :class:`~gcnal.graph.CosineAdjacency`. The product is taken in the
    cheaper order, :math:`(A\mathbf{X})\mathbf{\Theta}` when
    :math:`F_{in} \le F_{out}`, else :math:`A(\mathbf{X}\mathbf{\Theta})`.
    With ``cached=True`` (like PyG's :class:`~torch_geometric.nn.conv.SGConv`)
    :math:`A\mathbf{X}` is computed on the first call and reused, so a
    transductive training loop pays one dense product per step instead of an
    adjacency product; only valid while ``x`` and ``adj`` stay the same.

    Weights start uniform in :math:`\pm 1/\sqrt{F_{out}}`, as in the original
    code (pygcn's ``GraphConvolution``).

    Args:
        in_channels (int): Size :math:`F_{in}` of each input feature.
        out_channels (int): Size :math:`F_{out}` of each output feature.
        bias (bool): Learn an additive bias. (default: :obj:`True`)
        cached (bool): Cache :math:`A\mathbf{X}`. (default: :obj:`False`)
        compute_dtype (torch.dtype, optional): With ``cached=True``, hold
            :math:`A\mathbf{X}` in this dtype and take
            :math:`(A\mathbf{X})\mathbf{\Theta}` and its weight gradient in it
            (``torch.bfloat16``, for CPUs with AVX512-BF16 or AMX; products
            accumulate in float32, results are rounded to bfloat16 and
            returned as float32). Not exact: changes picks slightly (time and
            picks: ``python -m benchmarks.select_speed --bf16``).
            (default: :obj:`None`, float32)

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F_{in})`,
          adjacency :math:`(|\mathcal{V}|, |\mathcal{V}|)`
        - **output:** node features :math:`(|\mathcal{V}|, F_{out})`
    """

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True,
                 cached: bool = False, compute_dtype: Optional[torch.dtype] = None):
        super().__init__()
        if compute_dtype is not None and not cached:
            raise InvalidParameterError("compute_dtype", "None unless cached=True",
                                        compute_dtype, self.__class__.__name__)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.cached = cached
        self.compute_dtype = compute_dtype
        self.weight = nn.Parameter(torch.empty(in_channels, out_channels))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self._cached_ax: Optional[Tensor] = None
        self.reset_parameters()

    def reset_parameters(self, generator: Optional[torch.Generator] = None) -> None:
        bound = 1.0 / math.sqrt(self.out_channels)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound, generator=generator)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound, generator=generator)
        self._cached_ax = None

    def propagated(self, x: Tensor, adj: Any) -> Tensor:
        r"""The cached :math:`A\mathbf{X}` (in ``compute_dtype``), computed on
        first use. Requires ``cached=True``."""
        if not self.cached:
            raise InvalidParameterError("cached", "True to read the cached A X",
                                        self.cached, self.__class__.__name__)
        if self._cached_ax is None:
            ax = (adj @ x).detach()
            self._cached_ax = ax if self.compute_dtype is None else ax.to(self.compute_dtype)
        return self._cached_ax

    def _times_weight(self, ax: Tensor) -> Tensor:
        if self.compute_dtype is None:
            return ax @ self.weight
        return (ax @ self.weight.to(self.compute_dtype)).float()

    def forward(self, x: Tensor, adj: Any) -> Tensor:
        if self.cached:
            out = self._times_weight(self.propagated(x, adj))
        elif self.in_channels <= self.out_channels:
            out = (adj @ x) @ self.weight
        else:
            out = adj @ (x @ self.weight)
        return out if self.bias is None else out + self.bias

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.out_channels})"
