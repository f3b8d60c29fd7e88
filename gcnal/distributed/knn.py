r"""Exact k-nearest-neighbour similarities across shards, by passing the
shards around a ring.

In :math:`P` steps every rank sees every shard: at each step it sends the
block it holds to the next rank and receives the previous rank's
(``batch_isend_irecv``, overlapped with the products on the block it holds),
and merges the top-:math:`k` similarities of its own rows against that block
into its running top-:math:`k`. A merge of top-:math:`k` lists is the
top-:math:`k` of their union, so the result is exact: each row's :math:`k`
largest cosine similarities to the other rows of the whole pool, as
:func:`gcnal.graph.knn_search` finds them on the concatenated pool. Traffic:
each rank sends :math:`P - 1` shards, about :math:`4 N d (P - 1) / P` bytes
(float32); time :math:`O(N^2 d / P)` per rank.
"""
from __future__ import annotations

from typing import List

import torch
from torch import Tensor

from ..graph.search import _block_top_k
from ..nn import rows_per_block
from ..progress import progress_bar
from .comm import Communicator

#: Most query rows per block of similarities, as in :func:`gcnal.graph.knn_search`.
_BLOCK_ROWS = 512


def _merge_block(best: Tensor, queries: Tensor, block: Tensor, k: int, own_start: int,
                 buffer: Tensor) -> None:
    r"""Merge each query's top-:math:`k` similarities to ``block`` into
    ``best`` in place; ``own_start >= 0`` when ``block`` is the queries' own
    shard (query :math:`i` is then block row ``own_start + i`` and skips
    itself). The similarities are written into ``buffer`` (flat, reused:
    fresh memory per block would come from the operating system each time)."""
    if block.size(0) == 0 or queries.size(0) == 0:
        return
    sim = torch.matmul(queries, block.T,
                       out=buffer[:queries.size(0) * block.size(0)].view(queries.size(0), -1))
    if own_start >= 0:
        sim.diagonal(offset=own_start).fill_(float("-inf"))
    top = _block_top_k(sim, min(k, block.size(0)))[0]
    best.copy_(torch.cat([best, top], dim=1).topk(k, dim=1).values)


def ring_knn_similarities(comm: Communicator, vectors: Tensor, k: int,
                          counts: List[int]) -> Tensor:
    r"""Each local row's :math:`k` largest cosine similarities to the other
    rows of every shard, most similar first (:math:`-\infty` where the pool
    has fewer than :math:`k` others).

    Args:
        vectors: :math:`(n_r, d)` this rank's L2-normalised rows.
        k: Neighbours per row.
        counts: Every rank's number of rows.
    """
    n = vectors.size(0)
    best = torch.full((n, k), float("-inf"), dtype=vectors.dtype, device=vectors.device)
    step_rows = max(1, min(n, _BLOCK_ROWS, rows_per_block(max(counts))))
    buffer = vectors.new_empty(step_rows * max(counts) if n else 0)
    held, source = vectors, comm.rank
    for hop in progress_bar(range(comm.world_size), "kNN search (ring)"):
        sending = None
        if hop < comm.world_size - 1:  # a block of at least one row: no empty messages
            incoming = max(counts[(source - 1) % comm.world_size], 1)
            outgoing = held if held.size(0) else vectors.new_zeros(1, vectors.size(1))
            sending = comm.ring(outgoing, incoming)
        block = held[:counts[source]]
        for start in range(0, n, step_rows):
            stop = min(start + step_rows, n)
            _merge_block(best[start:stop], vectors[start:stop], block, k,
                         start if source == comm.rank else -1, buffer)
        if sending is not None:
            held, source = sending.wait(), (source - 1) % comm.world_size
    return best
