r"""The collectives a sharded selection uses, on one ``torch.distributed``
process group, with the bytes and seconds of each stage counted.

Bytes are the payload this rank sends under the ring algorithms (what gloo
and NCCL use for large messages), counted here from the tensor sizes, not
measured on the sockets:

- ``all_gather`` of :math:`n` bytes per rank: :math:`n (P - 1)`;
- ``all_reduce`` of :math:`n` bytes: :math:`2 n (P - 1) / P`;
- a point-to-point send of :math:`n` bytes: :math:`n`;
- a broadcast of :math:`n` bytes: :math:`n` (a pipelined chain), counted on
  every rank.

At world size 1 nothing is sent and every collective is the identity.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, List, Optional, Sequence

import torch
import torch.distributed as dist
from torch import Tensor


#: One flat all-gather (its name since torch 2.13; ``all_gather_into_tensor`` before).
_all_gather_single = getattr(dist, "all_gather_single", None) or dist.all_gather_into_tensor


class Communicator:
    r"""One process group's collectives, with per-stage counters.

    Args:
        group (ProcessGroup, optional): The group the pool is sharded over.
            (default: :obj:`None`, the default group)
    """

    def __init__(self, group=None):
        if not (dist.is_available() and dist.is_initialized()):
            raise RuntimeError("gcnal.distributed.select needs an initialised process group: call "
                               "torch.distributed.init_process_group first (torchrun sets the "
                               "environment it reads)")
        self.group = group
        self.rank = dist.get_rank(group)
        self.world_size = dist.get_world_size(group)
        self.bytes_sent: Dict[str, int] = {}
        self.seconds: Dict[str, float] = {}
        self.cpu_seconds: Dict[str, float] = {}
        self._stage = "setup"

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Count the bytes, seconds and this process's CPU seconds of the
        enclosed work under ``name``."""
        previous, self._stage = self._stage, name
        self.bytes_sent.setdefault(name, 0)
        start, cpu_start = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
            self.cpu_seconds[name] = self.cpu_seconds.get(name, 0.0) + \
                time.process_time() - cpu_start
            self._stage = previous

    def _count(self, num_bytes: float) -> None:
        self.bytes_sent[self._stage] = self.bytes_sent.get(self._stage, 0) + int(num_bytes)

    def all_gather(self, tensor: Tensor) -> Tensor:
        """Every rank's ``tensor`` (same shape on every rank), stacked in rank
        order: shape ``(P, *tensor.shape)``."""
        tensor = tensor.contiguous()
        if self.world_size == 1:
            return tensor.unsqueeze(0)
        out = torch.empty(self.world_size * tensor.numel(), dtype=tensor.dtype,
                          device=tensor.device)
        _all_gather_single(out, tensor.flatten(), group=self.group)
        self._count(tensor.numel() * tensor.element_size() * (self.world_size - 1))
        return out.view(self.world_size, *tensor.shape)

    def all_gather_rows(self, rows: Tensor, counts: Optional[Sequence[int]] = None) -> Tensor:
        """Every rank's ``rows`` (any number of rows, same trailing shape)
        concatenated in rank order. ``counts`` (each rank's number of rows)
        saves the round that learns them."""
        if counts is None:
            counts = self.all_gather(torch.tensor([rows.size(0)], dtype=torch.int64))[:, 0].tolist()
        width = max(max(counts), 1)
        padded = rows.new_zeros((width, *rows.shape[1:]))
        padded[:rows.size(0)] = rows
        gathered = self.all_gather(padded)
        return torch.cat([gathered[r, :c] for r, c in enumerate(counts)])

    def all_reduce(self, tensor: Tensor, op=dist.ReduceOp.SUM) -> Tensor:
        """``tensor`` reduced over the ranks by ``op`` (a new tensor)."""
        out = tensor.clone().contiguous()
        if self.world_size > 1:
            dist.all_reduce(out, op=op, group=self.group)
            self._count(2 * out.numel() * out.element_size() * (self.world_size - 1)
                        / self.world_size)
        return out

    def chained(self, tensor: Tensor, extend: Callable[[Tensor], None]) -> Tensor:
        """``tensor`` extended in place by every rank in rank order, each
        continuing from the previous rank's result, then handed to every
        rank: one process's running total when ``extend`` adds this rank's
        rows in order (float sums, rounded as one process rounds them).
        Ranks wait on each other in turn: :math:`P` hops."""
        out = tensor.clone().contiguous()
        if self.world_size > 1 and self.rank > 0:
            dist.recv(out, self._global_rank(self.rank - 1), group=self.group)
        extend(out)
        if self.world_size == 1:
            return out
        if self.rank < self.world_size - 1:
            dist.send(out, self._global_rank(self.rank + 1), group=self.group)
            self._count(out.numel() * out.element_size())
        dist.broadcast(out, self._global_rank(self.world_size - 1), group=self.group)
        self._count(out.numel() * out.element_size())
        return out

    def _global_rank(self, rank: int) -> int:
        """The default group's rank of this group's ``rank``."""
        return dist.get_global_rank(self.group, rank) if self.group is not None else rank

    def ring(self, block: Tensor, incoming_rows: int) -> "RingStep":
        """Send ``block`` to the next rank and receive the previous rank's
        (``incoming_rows`` rows, same trailing shape), without waiting: the
        caller computes on ``block`` meanwhile and then calls
        :meth:`RingStep.wait`."""
        return RingStep(self, block, incoming_rows)


class RingStep:
    """One step of passing blocks around the ring, in flight."""

    def __init__(self, comm: Communicator, block: Tensor, incoming_rows: int):
        block = block.contiguous()
        self.received = block.new_empty((incoming_rows, *block.shape[1:]))
        nxt = comm._global_rank((comm.rank + 1) % comm.world_size)
        prev = comm._global_rank((comm.rank - 1) % comm.world_size)
        ops = [dist.P2POp(dist.isend, block, nxt, comm.group),
               dist.P2POp(dist.irecv, self.received, prev, comm.group)]
        self.requests: List = dist.batch_isend_irecv(ops)
        comm._count(block.numel() * block.element_size())

    def wait(self) -> Tensor:
        """The block received from the previous rank."""
        for request in self.requests:
            request.wait()
        return self.received
