r"""One greedy pick over the shards: the global argmax and the winning row.

Each rank offers its best candidate as one float64 message
``[value, global index, *extra, *row]``; one ``all_gather`` of
:math:`8 (2 + e + d)` bytes per rank tells every rank the winner (the largest
value, ties to the lowest global index, as ``torch.argmax`` breaks them on
the concatenated pool) and hands every rank its row, which they need to
update their distances: :math:`8 (2 + e + d)(P - 1)` bytes sent per rank
and pick. float32 values and global indices below :math:`2^{53}` are exact
in float64.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import torch
from torch import Tensor

from .comm import Communicator


@dataclass
class Winner:
    """The pick every rank agreed on."""

    rank: int
    index: int
    value: float
    extra: Tensor
    row: Tensor


def offer(comm: Communicator, value: Optional[float], index: int, row: Tensor,
          extra: Sequence[float] = ()) -> Optional[Winner]:
    r"""The global winner among every rank's offer: ``value`` at global
    ``index`` with its ``row`` (:math:`(d,)`, float32) and ``extra`` scalars;
    ``value=None`` offers nothing (every rank must still call). ``None``
    when no rank offered anything."""
    message = torch.zeros(2 + len(extra) + row.numel(), dtype=torch.float64, device=row.device)
    message[0] = float("-inf") if value is None else value
    message[1] = float("inf") if value is None else index
    message[2:2 + len(extra)] = torch.tensor(list(extra), dtype=torch.float64)
    message[2 + len(extra):] = row.to(torch.float64)
    table = comm.all_gather(message)
    if bool(torch.isinf(table[:, 1]).all()):
        return None
    best = table[:, 0].max()
    contenders = torch.nonzero(table[:, 0] == best).flatten()
    rank = int(contenders[torch.argmin(table[contenders, 1])])
    return Winner(rank, int(table[rank, 1]), float(best), table[rank, 2:2 + len(extra)],
                  table[rank, 2 + len(extra):].to(row.dtype))
