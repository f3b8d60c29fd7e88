"""Buffers that a training loop reuses from step to step."""
from __future__ import annotations

from typing import Dict, Optional

import torch
from torch import Tensor


class Workspace:
    r"""Buffers that a training loop reuses from step to step.

    On a CPU every fresh tensor of more than 32 MiB is new memory from the
    operating system (glibc maps it, and unmaps it when it is freed), so
    writing it costs a page fault per page, a cost of the same order as the
    epoch's :math:`N \times d \times h` products at large :math:`N`
    (``python -m benchmarks.scale epoch-ab``). A buffer is taken out with
    :meth:`take` (so it is never handed out twice) and given back with
    :meth:`give_back` once its contents are no longer needed; a taken tensor
    is the first elements of the free buffer of that name when it is large
    enough (else a new buffer replaces it), so mini-batches of varying size
    share one. Owned by one training loop
    (:func:`~gcnal.samplers.training.train_sampler` passes one to the
    sampler's ``forward``) and freed with it.
    """

    def __init__(self):
        self._free: Dict[str, Tensor] = {}
        self._lent: Dict[str, Tensor] = {}

    def take(self, name: str, shape, dtype: torch.dtype, device) -> Tensor:
        """A tensor of ``shape`` (uninitialised) in the buffer ``name``: the
        free one if it is large enough, else a new one that replaces it."""
        shape = torch.Size(shape)
        buffer = self._free.pop(name, None)
        if buffer is None or buffer.dtype != dtype or buffer.device != torch.device(device) \
                or buffer.numel() < shape.numel():
            buffer = torch.empty(shape.numel(), dtype=dtype, device=device)
        self._lent[name] = buffer
        return buffer[:shape.numel()].view(shape)

    def give_back(self, name: str) -> None:
        """Free the buffer ``name`` for the next :meth:`take`."""
        self._free[name] = self._lent.pop(name)


def take_buffer(workspace: Optional[Workspace], name: str, shape, dtype: torch.dtype, device) -> Tensor:
    """A tensor of ``shape`` from ``workspace``'s buffer ``name``, or a fresh
    one without a workspace."""
    if workspace is None:
        return torch.empty(shape, dtype=dtype, device=device)
    return workspace.take(name, shape, dtype, device)
