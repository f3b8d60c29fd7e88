"""The pool adjacency as an operator: what every pool graph provides."""
from __future__ import annotations

import torch
from torch import Tensor

from ..errors import InvalidParameterError

#: Normalisations of a pool graph: :math:`D^{-1}W + I` or :math:`W D^{-1} + I`.
NORMALIZATIONS = ("row", "column")


class PoolAdjacency:
    r"""A normalised pool adjacency :math:`A` used as an operator: ``adj @ y``
    computes :math:`A\mathbf{y}` for ``y`` of shape :math:`(N,)` or
    :math:`(N, k)`, with autograd through ``y``. Subclasses set ``vectors``
    (the L2-normalised features) and ``num_nodes``, and implement
    :meth:`_product` for :math:`(N, k)` inputs."""

    vectors: Tensor
    num_nodes: int

    @property
    def device(self) -> torch.device:
        return self.vectors.device

    def _product(self, y: Tensor) -> Tensor:
        raise NotImplementedError

    def __matmul__(self, y: Tensor) -> Tensor:
        if y.size(0) != self.num_nodes:
            raise InvalidParameterError("y", f"a tensor with {self.num_nodes} rows",
                                        f"shape {tuple(y.shape)}",
                                        f"{self.__class__.__name__}.__matmul__")
        if y.dim() == 1:
            return self._product(y.unsqueeze(1)).squeeze(1)
        return self._product(y)
