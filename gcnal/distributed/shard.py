r"""One rank's shard of the pool, checked on every rank before any work.

Shards are contiguous in rank order: rank :math:`r`'s item :math:`i` has the
global index :math:`o_r + i`, :math:`o_r = \sum_{q < r} n_q`, so the
concatenated pool is the shards one after the other.

:func:`prepare` checks the local inputs, then one ``all_gather`` of a few
integers per rank (:data:`HEADER` fields) tells every rank whether any rank
failed (then every rank raises: the failing one its own error, the others
:class:`~gcnal.errors.PeerFailedError`), whether the call agrees across ranks
(budget, method and options, seed, feature and class dimensions) and every
shard's size.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional

import torch
from torch import Tensor

from ..errors import InvalidParameterError, PeerFailedError
from ..seeding import make_generator
from ..signals import check_signals
from ..validation import _as_tensor, as_feature_tensor, as_mask_tensor, check_budget, check_int
from .comm import Communicator

OWNER = "gcnal.distributed.select"

#: What each rank tells the others when the call starts.
HEADER = ("failed", "items", "unlabelled", "dimension", "classes", "budget", "call",
          "seed_given", "seed_low", "seed_high")


@dataclass
class Shard:
    """This rank's checked inputs and what it knows of the others."""

    comm: Communicator
    x: Tensor
    labelled: Tensor
    signals: Dict[str, Tensor]
    budget: int
    seed: int
    plan: Any
    counts: List[int]
    unlabelled_counts: List[int]
    #: The sampler's training loss per epoch (GNN methods).
    losses: List[float] = field(default_factory=list)

    @property
    def offset(self) -> int:
        """Global index of this shard's first item."""
        return sum(self.counts[:self.comm.rank])

    @property
    def num_items(self) -> int:
        return sum(self.counts)

    @property
    def num_labelled(self) -> int:
        """Labelled items of the whole pool."""
        return self.num_items - sum(self.unlabelled_counts)

    def global_index(self) -> Tensor:
        """Global index of every local item."""
        return torch.arange(self.offset, self.offset + self.x.size(0), device=self.x.device)

    def generator(self) -> torch.Generator:
        """A generator seeded alike on every rank."""
        return make_generator(self.seed, self.x.device)


def as_shard_features(features) -> Tensor:
    """``features`` as :func:`~gcnal.validation.as_feature_tensor` checks
    them, except that a shard may hold no item (shape ``(0, d)``)."""
    x = _as_tensor(features, "features", "a 2-D array of real numbers (n items, d features)",
                   OWNER)
    if x.dim() == 2 and x.size(0) == 0 and x.size(1) > 0 and not x.is_complex() \
            and x.dtype != torch.bool:
        return x.float()
    return as_feature_tensor(x, OWNER)


def _seed_value(seed) -> int:
    """The int seed every rank proposes (rank 0's is used when ``None``)."""
    if isinstance(seed, torch.Generator):
        return int(torch.randint(2**62, (1,), generator=seed))
    if seed is None:
        return torch.Generator().seed()
    make_generator(seed, torch.device("cpu"))  # raises on a bad seed
    return int(seed)


def _call_digest(method: str, options: Optional[Mapping[str, Any]]) -> int:
    """A 31-bit digest of the method and its options, compared across ranks."""
    text = repr((method, sorted((options or {}).items())))
    return zlib.crc32(text.encode()) & 0x7FFFFFFF


def prepare(comm: Communicator, features, labelled_mask, budget, method: str,
            signals: Mapping[str, Any], options: Optional[Mapping[str, Any]], seed,
            plan: Callable[[], Any]) -> Shard:
    """This rank's :class:`Shard`, after every rank has checked its own inputs
    and the call agrees across ranks; ``plan()`` checks the method and its
    options locally and its result is kept as :attr:`Shard.plan`. A seed
    given as ``None`` on every rank is rank 0's fresh one."""
    header = torch.zeros(len(HEADER), dtype=torch.int64)
    error = None
    try:
        x = as_shard_features(features)
        labelled = as_mask_tensor(labelled_mask, x.size(0), OWNER)
        checked = check_signals(signals, x.size(0), OWNER)
        check_int(budget, "budget", OWNER, low=1)
        planned = plan()
        seed_value = _seed_value(seed)
        probs = checked.get("probs")
        header.copy_(torch.tensor([0, x.size(0), int((~labelled).sum()), x.size(1),
                                   -1 if probs is None else probs.size(1), budget,
                                   _call_digest(method, options), int(seed is not None),
                                   seed_value & 0xFFFFFFFF, seed_value >> 32]))
    except Exception as err:  # every rank must hear of it, whatever it is
        error = err
        header[0] = 1
    table = comm.all_gather(header)
    flags = table[:, 0]
    if error is not None:
        raise error
    if bool(flags.any()):
        raise PeerFailedError(torch.nonzero(flags).flatten().tolist(), "input checks")
    seeds_given = bool(table[:, 7].all())
    for column, parameter, shown in ((3, "features", "feature dimensions"),
                                     (4, "probs", "class counts (-1: not given)"),
                                     (5, "budget", "budgets"), (6, "method", None),
                                     (7, "seed", None), (8, "seed", None), (9, "seed", None)):
        values = table[:, column].tolist()
        if len(set(values)) > 1 and (column < 8 or seeds_given):
            raise InvalidParameterError(
                parameter, "the same on every rank" + (" (with the same options)"
                                                       if column == 6 else ""),
                f"{shown} {values}" if shown else "values that differ across ranks", OWNER)
    unlabelled_counts = table[:, 2].tolist()
    budget = check_budget(budget, sum(unlabelled_counts), OWNER)
    return Shard(comm, x, labelled, checked, budget,
                 int(table[0, 8]) | (int(table[0, 9]) << 32), planned, table[:, 1].tolist(),
                 unlabelled_counts)
