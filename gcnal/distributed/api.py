"""``gcnal.distributed.select``: one selection round over a pool sharded
across the ranks of a ``torch.distributed`` process group."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Union

import numpy as np
import torch
from torch import Tensor

from ..api import DEFAULT_METHOD
from ..signals import read_signal
from .comm import Communicator
from .methods import plan
from .shard import OWNER, prepare

Array = Union[np.ndarray, Tensor]


@dataclass
class ShardedSelection:
    """What :func:`select` returns with ``return_order=True`` (arrays of the
    type of ``indices``: numpy for numpy ``features``, else tensors).

    Attributes:
        indices: This rank's picks as local indices into its shard, in
            global pick order (what :func:`select` returns).
        order: Every pick as a global index into the concatenated pool, in
            pick order; the same on every rank.
        ranks: The rank that holds each pick of ``order``.
        local_order: Each pick of ``order`` as a local index into its
            rank's shard (``order - offsets[ranks]``).
        offsets: Global index of each rank's first item (list of int).
        seconds: This rank's seconds per stage (waits on other ranks
            included).
        cpu_seconds: This process's CPU seconds per stage (its own work).
        bytes_sent: The bytes this rank sent per stage (see
            :mod:`gcnal.distributed.comm` for how they are counted).
        losses: The sampler's training loss per epoch, over the whole pool
            (GNN methods; empty for the others).
    """

    indices: Array
    order: Array
    ranks: Array
    local_order: Array
    offsets: list
    seconds: Dict[str, float] = field(default_factory=dict)
    cpu_seconds: Dict[str, float] = field(default_factory=dict)
    bytes_sent: Dict[str, int] = field(default_factory=dict)
    losses: list = field(default_factory=list)


def select(features, labelled_mask, budget: int, method: str = DEFAULT_METHOD, *,
           group=None, probs=None, options: Optional[Mapping[str, Any]] = None, seed=None,
           return_order: bool = False):
    r"""Pick ``budget`` unlabelled items of a pool sharded across the ranks of
    a process group; every rank calls it with its own shard.

    The pool is the shards concatenated in rank order (rank :math:`r`'s item
    :math:`i` is global item :math:`o_r + i`). The picks do not depend on the
    sharding, and the deterministic methods (``margin``, ``entropy``,
    ``least_confidence``, ``coreset`` with labelled items, and
    ``typical_diverse``, whose kNN search is always the exact one: past
    10,000 items :func:`gcnal.select`'s with ``knn_backend="torch"``) pick
    what :func:`gcnal.select` picks on the concatenated pool with the same
    seed; ``uncertain_gcn`` and ``core_gcn``
    train the GCN sampler across the ranks and follow :func:`gcnal.select`
    up to the order of float sums (loss curves within float tolerance);
    ``random`` draws a uniform sample without replacement from
    counter-based keys (a different draw from :func:`gcnal.select`'s, the
    same at every world size). Only
    :math:`O(b\,d)`-sized messages travel, except where
    docs/distributed.md says (the labelled rows for ``coreset`` and
    ``typical_diverse``, the ring kNN search of ``typical_diverse``).

    Every rank checks its inputs first and tells the others: if any rank's
    inputs are bad, every rank raises (the bad one its
    :class:`~gcnal.errors.InvalidParameterError`, the others
    :class:`~gcnal.errors.PeerFailedError`), and nothing is returned. A rank
    that dies later makes the others raise once the process group notices
    (at the latest after the group's ``timeout``).

    Args:
        features (numpy.ndarray or torch.Tensor): :math:`(n_r, d)` this
            rank's rows; a rank may hold none (:math:`n_r = 0`).
        labelled_mask (numpy.ndarray or torch.Tensor): :math:`(n_r,)`
            booleans, ``True`` for this rank's labelled items.
        budget (int): Picks over the whole pool, the same on every rank, in
            :math:`[1, U]` for :math:`U` unlabelled items over all ranks.
        method (str): One of :data:`SHARDED_METHODS`.
            (default: :obj:`"typical_diverse"`)
        group (ProcessGroup, optional): The ranks the pool is sharded over.
            (default: :obj:`None`, the default group)
        probs (array, optional): :math:`(n_r, C)` this rank's learner
            probabilities (``margin``, ``entropy``, ``least_confidence``
            need them; ``typical_diverse`` uses them when given).
        options (dict, optional): The method's options, as for
            :func:`gcnal.select` (the same on every rank).
        seed (int or torch.Generator, optional): The same on every rank;
            ``None`` on every rank uses rank 0's fresh seed.
        return_order (bool): Return a :class:`ShardedSelection` with the
            global pick order, the owning ranks and per-stage seconds and
            bytes. (default: :obj:`False`)

    Returns:
        This rank's picks as int64 local indices in global pick order (numpy
        for numpy ``features``, else a tensor), or a
        :class:`ShardedSelection`.
    """
    comm = Communicator(group)
    with comm.stage("setup"):
        shard = prepare(comm, features, labelled_mask, budget, method, {"probs": probs},
                        options, seed, lambda: plan(method, options))
    run, chosen = shard.plan
    scores = read_signal(getattr(chosen, "signal", None), shard.signals, shard.x.size(0),
                         getattr(chosen, "signal_required", True), OWNER)
    order = run(shard, scores)
    offsets = torch.tensor([0] + shard.counts).cumsum(0)
    ranks = torch.searchsorted(offsets[1:], order, right=True)
    local_order = order - offsets[ranks]
    indices = local_order[ranks == comm.rank]
    as_output = (lambda t: t.to(shard.x.device)) if isinstance(features, Tensor) else \
        (lambda t: t.numpy())
    if not return_order:
        return as_output(indices)
    return ShardedSelection(as_output(indices), as_output(order), as_output(ranks),
                            as_output(local_order), offsets[:-1].tolist(), dict(comm.seconds),
                            dict(comm.cpu_seconds), dict(comm.bytes_sent), list(shard.losses))
