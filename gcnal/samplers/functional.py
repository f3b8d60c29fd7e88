"""Functional pieces shared by the samplers."""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor, nn

from ..validation import check_positive_int, check_real

#: Random bits per dropout decision: the low 15 bits of each 16-bit lane of
#: a random int64 (whose top bit is always 0).
_LANE_BITS = 15


def dropout(x: Tensor, p: float, training: bool,
            generator: Optional[torch.Generator] = None) -> Tensor:
    r"""Inverted dropout drawn from ``generator`` (not the global RNG):
    :math:`\mathbf{x} \odot \mathbf{m} / (1 - p)` with
    :math:`m_{ij} \sim \operatorname{Bernoulli}(1 - \tilde p)`; the identity
    when not training or :math:`p = 0`.

    Each random int64 is read as four 16-bit lanes whose low 15 bits are a
    uniform :math:`u \in [0, 2^{15})`; an entry is dropped when
    :math:`u < \operatorname{round}(p \cdot 2^{15})`, so :math:`\tilde p` is
    :math:`p` rounded to a multiple of :math:`2^{-15}` (0.29999 for 0.3).
    One random number per four decisions makes this several times faster than
    ``bernoulli_`` on a CPU, where drawing the masks was the largest cost of
    training the GCN sampler.
    """
    if not training or p == 0.0:
        return x
    n = x.numel()
    words = torch.empty(-(-n // 4), dtype=torch.int64, device=x.device).random_(generator=generator)
    lanes = words.view(torch.int16)[:n].view_as(x)
    keep = (lanes & ((1 << _LANE_BITS) - 1)) >= round(p * (1 << _LANE_BITS))
    return x * keep / (1.0 - p)


@torch.no_grad()
def reset_uniform_(module: nn.Module, generator: Optional[torch.Generator] = None) -> None:
    r"""Re-initialise every linear and convolution layer of ``module`` from
    ``generator`` (not the global RNG): weights and biases uniform in
    :math:`\pm 1/\sqrt{F_{in}}`, PyTorch's default bound, with
    :math:`F_{in}` the size of one output unit's weight slice
    (``weight[0].numel()``: in features, or in channels times the kernel
    area). Layer and batch norms go back to the identity (batch norms
    also to running mean 0, variance 1)."""
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, (nn.Linear, nn.modules.conv._ConvNd)):
                bound = 1.0 / math.sqrt(layer.weight[0].numel())
                layer.weight.uniform_(-bound, bound, generator=generator)
                if layer.bias is not None:
                    layer.bias.uniform_(-bound, bound, generator=generator)
            elif isinstance(layer, (nn.LayerNorm, nn.modules.batchnorm._NormBase)):
                layer.reset_parameters()


def check_hyper_parameters(owner: str, dropout: float, **positive_ints: int) -> None:
    """Raise :class:`~gcnal.errors.InvalidParameterError` naming ``owner``
    unless every keyword is a positive int and ``dropout`` is in ``[0, 1)``."""
    for name, value in positive_ints.items():
        check_positive_int(value, name, owner)
    check_real(dropout, "dropout", 0.0, 1.0, owner, high_open=True)
