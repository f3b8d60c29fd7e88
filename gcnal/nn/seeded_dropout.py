"""Seeded dropout: masks drawn from a ``torch.Generator``, four decisions per
random int64."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from .workspace import Workspace, take_buffer

#: Random bits per dropout decision: the low 15 bits of each 16-bit lane of
#: a random int64 (whose top bit is always 0).
LANE_BITS = 15


def random_lanes(shape, generator: Optional[torch.Generator], device,
                  workspace: Optional[Workspace] = None) -> Tensor:
    """An int16 tensor of ``shape``: the 16-bit lanes of random int64s, whose
    low :data:`LANE_BITS` bits are uniform."""
    shape = torch.Size(shape)
    n = shape.numel()
    words = take_buffer(workspace, "lanes", (-(-n // 4),), torch.int64, device).random_(
        generator=generator)
    return words.view(torch.int16)[:n].view(shape)


def kept(lanes: Tensor, p: float, out: Optional[Tensor] = None) -> Tensor:
    """The entries of :func:`keep_mask` for the given random lanes; into
    ``out`` when given, which may be a float tensor (0.0 dropped, 1.0 kept)."""
    return torch.ge(lanes & ((1 << LANE_BITS) - 1), round(p * (1 << LANE_BITS)), out=out)


def keep_mask(shape, p: float, generator: Optional[torch.Generator] = None,
              device=None) -> Tensor:
    r"""Boolean mask of the entries :func:`dropout` keeps, drawn from
    ``generator``: :math:`m_{ij} \sim \operatorname{Bernoulli}(1 - \tilde p)`.

    Each random int64 is read as four 16-bit lanes whose low 15 bits are a
    uniform :math:`u \in [0, 2^{15})`; an entry is dropped when
    :math:`u < \operatorname{round}(p \cdot 2^{15})`, so :math:`\tilde p` is
    :math:`p` rounded to a multiple of :math:`2^{-15}` (0.29999 for 0.3).
    One random int64 serves four decisions, where ``bernoulli_`` draws one
    random number per decision.
    """
    return kept(random_lanes(shape, generator, device), p)


def dropout(x: Tensor, p: float, training: bool,
            generator: Optional[torch.Generator] = None) -> Tensor:
    r"""Inverted dropout drawn from ``generator`` (not the global RNG):
    :math:`\mathbf{x} \odot \mathbf{m} / (1 - p)` with :math:`\mathbf{m}`
    the :func:`keep_mask`; the identity when not training or :math:`p = 0`.
    """
    if not training or p == 0.0:
        return x
    return x * keep_mask(x.shape, p, generator, x.device) / (1.0 - p)
