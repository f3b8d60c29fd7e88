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


def check_hyper_parameters(owner: str, dropout: float, **positive_ints: int) -> None:
    """Raise :class:`~gcnal.errors.InvalidParameterError` naming ``owner``
    unless every keyword is a positive int and ``dropout`` is in ``[0, 1)``."""
    for name, value in positive_ints.items():
        check_positive_int(value, name, owner)
    check_real(dropout, "dropout", 0.0, 1.0, owner, high_open=True)


def reset_linear_and_layer_norm(module: nn.Module,
                                generator: Optional[torch.Generator] = None) -> None:
    r"""Re-initialise every :class:`~torch.nn.Linear` inside ``module`` (in
    registration order) uniform in :math:`\pm 1/\sqrt{F_{in}}` (PyTorch's
    default bound) from ``generator``, and every
    :class:`~torch.nn.LayerNorm` to the identity."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Linear):
                bound = 1.0 / math.sqrt(m.in_features)
                m.weight.uniform_(-bound, bound, generator=generator)
                if m.bias is not None:
                    m.bias.uniform_(-bound, bound, generator=generator)
            elif isinstance(m, nn.LayerNorm):
                m.reset_parameters()
