"""Functional pieces shared by the samplers."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor


def dropout(x: Tensor, p: float, training: bool,
            generator: Optional[torch.Generator] = None) -> Tensor:
    r"""Inverted dropout drawn from ``generator`` (not the global RNG):
    :math:`\mathbf{x} \odot \mathbf{m} / (1 - p)` with
    :math:`m_{ij} \sim \operatorname{Bernoulli}(1 - p)`; the identity when not
    training or :math:`p = 0`."""
    if not training or p == 0.0:
        return x
    keep = torch.empty_like(x).bernoulli_(1.0 - p, generator=generator)
    return x * keep / (1.0 - p)
