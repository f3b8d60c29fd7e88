"""Rescaling points so that no square overflows."""
from __future__ import annotations

from typing import Tuple

from torch import Tensor


def divide_by_max_abs(points: Tensor) -> Tuple[Tensor, Tensor]:
    r"""``(points / s, s)`` with :math:`s = \max_{ij} |p_{ij}|` (1 for
    all-zero or empty points): every entry in :math:`[-1, 1]`, so squared
    norms stay below :math:`d` in any float dtype. Distances scale by
    :math:`s` and squared distances by :math:`s^2`; nearest-neighbour,
    farthest-point and :math:`D^2`-proportional choices do not change."""
    scale = points.abs().max() if points.numel() else points.new_zeros(())
    if bool(scale > 0):
        return points / scale, scale
    return points, scale.new_ones(())
