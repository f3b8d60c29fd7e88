r"""Counter-based random keys: a uniform 63-bit key per (seed, global index).

A key depends on the seed and the item's global index only, so any rank
computes the keys of its own items without drawing from a shared stream, and
the items with the smallest keys are a uniform sample without replacement of
the pool whatever the sharding. The mix is SplitMix64 (Steele, Lea and
Flood, OOPSLA 2014),

.. math::
    z = s + (i + 1)\,\gamma, \quad
    z \leftarrow (z \oplus (z \gg 30))\,m_1, \quad
    z \leftarrow (z \oplus (z \gg 27))\,m_2, \quad
    z \leftarrow z \oplus (z \gg 31)

modulo :math:`2^{64}` (int64 arithmetic wraps; :math:`\gg` is the logical
shift), with the top bit dropped so keys compare as non-negative int64.
"""
from __future__ import annotations

import torch
from torch import Tensor


def _signed(value: int) -> int:
    """The unsigned 64-bit ``value`` as the int64 with the same bits."""
    return value - (1 << 64) if value >= 1 << 63 else value


_GAMMA = _signed(0x9E3779B97F4A7C15)
_M1 = _signed(0xBF58476D1CE4E5B9)
_M2 = _signed(0x94D049BB133111EB)


def _shift_right(z: Tensor, bits: int) -> Tensor:
    """Logical right shift of int64 ``z`` (torch's ``>>`` is arithmetic)."""
    return (z >> bits) & ((1 << (64 - bits)) - 1)


def random_keys(seed: int, global_index: Tensor) -> Tensor:
    r"""The int64 key in :math:`[0, 2^{63})` of each ``global_index`` under
    ``seed`` (an int in :math:`[0, 2^{64})`)."""
    z = global_index.to(torch.int64).add(1).mul(_GAMMA).add(_signed(seed % (1 << 64)))
    z = (z ^ _shift_right(z, 30)).mul(_M1)
    z = (z ^ _shift_right(z, 27)).mul(_M2)
    z = z ^ _shift_right(z, 31)
    return z & ((1 << 63) - 1)
