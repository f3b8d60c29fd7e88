r"""The paired 95% Student-t interval used to compare a method with Random.

For paired differences :math:`d_1, \dots, d_n` (one per seed, the same
initial set and test set on both sides) the interval is

.. math::
    \bar d \pm t_{0.975,\,n-1}\, \frac{s_d}{\sqrt n},
    \qquad s_d^2 = \frac{1}{n-1} \sum_i (d_i - \bar d)^2 .

scipy is not a dependency: :math:`t_{0.975,\nu}` comes from a table for
:math:`\nu \le 30` and from the Cornish-Fisher expansion of the t quantile
in powers of :math:`1/\nu` beyond (error below :math:`10^{-5}` there).
"""
from __future__ import annotations

import math
from statistics import NormalDist
from typing import NamedTuple, Sequence

#: Two-sided 95% critical values t_{0.975, df} for df = 1 .. 30.
T_975 = (12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004,
         2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905,
         2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
         2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272)


def t_critical_95(df: int) -> float:
    r""":math:`t_{0.975,\,df}`, the two-sided 95% Student-t critical value
    (NaN for ``df < 1``)."""
    if df < 1:
        return float("nan")
    if df <= len(T_975):
        return T_975[df - 1]
    z = NormalDist().inv_cdf(0.975)
    return (z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3))


class Interval(NamedTuple):
    """A mean with its 95% t-interval over ``n`` values (``low == high ==
    NaN`` for ``n < 2``)."""

    mean: float
    low: float
    high: float
    n: int


def t_interval(values: Sequence[float]) -> Interval:
    """The mean of ``values`` and its two-sided 95% Student-t interval."""
    n = len(values)
    if n == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    mean = math.fsum(values) / n
    if n == 1:
        return Interval(mean, float("nan"), float("nan"), 1)
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = t_critical_95(n - 1) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


def paired_interval(values: Sequence[float], baseline: Sequence[float]) -> Interval:
    """:func:`t_interval` of the paired differences ``values[i] - baseline[i]``."""
    if len(values) != len(baseline):
        raise ValueError("paired values need the same length")  # internal: callers pair by seed
    return t_interval([v - b for v, b in zip(values, baseline)])
