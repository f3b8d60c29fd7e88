r"""Exact rescaling by powers of two, so that no square over- or underflows.

Dividing by :math:`2^e` only changes a floating-point exponent: for values
whose results stay normal numbers it is exact, and every later sum, product,
square root and quotient comes out as the unscaled one times a power of two.
So a selector that works on rescaled points picks exactly what it would pick
on the originals whenever those were well scaled, and still works (entries in
:math:`(-1, 1)`, squared norms below :math:`d`) when they were not: features
of :math:`10^{30}` (whose squares overflow float32) or :math:`10^{-30}` (whose
squares underflow to zero).
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import torch
from torch import Tensor


def power_of_two_scale(points: Tensor, dim: Optional[int] = None) -> Tensor:
    r"""The exponent :math:`e` with :math:`2^{e-1} \le \max |p| < 2^e`
    (over ``dim``, kept as a size-1 dimension, or over every entry), as an
    int32 tensor; :math:`0` where every entry is zero. Clamped so that
    :math:`2^{-e}` is a normal number of ``points``' dtype."""
    magnitude = points.abs().amax(dim=dim, keepdim=True) if dim is not None else points.abs().max()
    exponent = torch.frexp(magnitude).exponent
    info = torch.finfo(points.dtype)
    return exponent.clamp(min=-math.floor(math.log2(info.max)),
                          max=-math.ceil(math.log2(info.tiny)))


def times_power_of_two(points: Tensor, exponent: Tensor) -> Tensor:
    r""":math:`\mathbf{p} \cdot 2^{e}` for an int ``exponent`` that broadcasts
    against ``points`` (``torch.ldexp``'s values): the powers of two are
    built at the exponent's shape, not the broadcast one, then multiplied
    in (``torch.ldexp`` raises 2 to the power once per broadcast entry)."""
    return points * torch.ldexp(torch.ones(exponent.shape, dtype=points.dtype,
                                           device=points.device), exponent)


def divide_by_power_of_two(points: Tensor) -> Tuple[Tensor, float]:
    r"""``(points / 2^e, 2^e)`` for :func:`power_of_two_scale`'s :math:`e`
    over all entries. Entries of the result lie in :math:`(-4, 4)` (in
    :math:`(-1, 1)` unless the largest is within a factor 4 of the dtype's
    maximum); distances scale by :math:`2^{-e}` and squared distances by
    :math:`4^{-e}`, exactly while the originals were well scaled."""
    exponent = power_of_two_scale(points)
    return times_power_of_two(points, -exponent), 2.0 ** int(exponent)


def rows_divided_by_power_of_two(points: Tensor) -> Tensor:
    r"""Each row of the 2-D ``points`` divided by its own :math:`2^{e_i}`
    (:func:`power_of_two_scale` over the row): directions kept exactly,
    magnitudes brought to :math:`[1/2, 1)` (zero rows stay zero)."""
    return times_power_of_two(points, -power_of_two_scale(points, dim=1))
