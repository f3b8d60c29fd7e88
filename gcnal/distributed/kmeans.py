r"""k-means over a sharded pool: :func:`gcnal.selectors.kmeans.kmeans`'s
seeding and Lloyd rounds, each split into local work and a few messages.

- **k-means++ seeding**, per seed: one ``all_reduce`` of two flags (is the
  :math:`D^2` draw defined on every shard) and one
  :func:`~gcnal.distributed.greedy.offer` of each rank's best key with its
  row, :math:`8 (d + 2)(P - 1)` bytes. Every rank draws the exponential race
  of the whole pool from the shared generator
  (:func:`~gcnal.selectors.kmeans.draw_keys`) and keeps its rows' keys, so
  the seeds are one process's, whatever the sharding (:math:`N` draws per
  seed on every rank: :math:`1/d` of the distance work at one rank).
- **Lloyd rounds**: the cluster sums run along the ranks in order
  (:meth:`~gcnal.distributed.comm.Communicator.chained`: each rank adds its
  rows to the previous rank's totals, :math:`4 K d` bytes sent and
  :math:`4 K d` broadcast), so they are one process's sums, rounded alike,
  and the centroids and labels are one process's; the sizes are
  ``all_reduce``\ d (:math:`16 K (P - 1)/P` bytes) with one flag for "no
  label changed".
"""
from __future__ import annotations

from typing import Tuple

import torch
import torch.distributed as dist
from torch import Tensor

from ..scaling import power_of_two_scale, times_power_of_two
from ..selectors.kmeans import (draw_keys, lower_to_centre_, move_centroids_, nearest_centroid,
                                seed_buffer, seeding_weights, usable, weight_flags)
from .greedy import offer
from .shard import Shard


def sharded_scale(shard: Shard, points: Tensor) -> Tensor:
    r"""The pool's :func:`~gcnal.scaling.power_of_two_scale` exponent, from
    each rank's largest magnitude (one ``all_reduce``)."""
    magnitude = points.abs().max() if points.numel() else points.new_zeros(())
    magnitude = shard.comm.all_reduce(magnitude.view(1), op=dist.ReduceOp.MAX)
    return power_of_two_scale(magnitude)


def kmeans_plus_plus(shard: Shard, points: Tensor, num_clusters: int,
                     generator: torch.Generator) -> Tensor:
    r"""The :math:`(K, d)` k-means++ seeds of the whole pool (each rank's
    ``points`` its rows), the rows :func:`gcnal.selectors.kmeans.kmeans_plus_plus`
    picks on the concatenated pool, the same on every rank."""
    comm, rows, total, offset = shard.comm, points.size(0), shard.num_items, shard.offset
    chosen = torch.zeros(rows, dtype=torch.bool, device=points.device)
    dist_sq = torch.full((rows,), float("inf"), dtype=points.dtype, device=points.device)
    buffer = seed_buffer(points)
    seeds = points.new_empty(num_clusters, points.size(1))
    empty_row = points.new_zeros(points.size(1))
    for c in range(num_clusters):
        weights = seeding_weights(dist_sq, chosen, first=c == 0)
        if c and not usable(comm.all_reduce(weight_flags(weights))):
            weights = (~chosen).to(points.dtype)
        keys = draw_keys(weights, generator, total, offset)
        local = int(torch.argmax(keys)) if rows else None
        winner = offer(comm, None if local is None else float(keys[local]), offset + (local or 0),
                       empty_row if local is None else points[local])
        seeds[c] = winner.row
        if winner.rank == comm.rank:
            chosen[winner.index - offset] = True
        if rows:
            lower_to_centre_(dist_sq, points, winner.row, buffer)
    return seeds


def kmeans(shard: Shard, points: Tensor, num_clusters: int, generator: torch.Generator,
           max_iter: int = 50) -> Tuple[Tensor, Tensor]:
    r""":func:`gcnal.selectors.kmeans.kmeans` of the whole pool:
    ``(centroids, labels)``, the :math:`(K, d)` centroids (the same on every
    rank) and this rank's :math:`(n_r,)` labels."""
    comm = shard.comm
    points = points.float()
    exponent = sharded_scale(shard, points)
    points = times_power_of_two(points, -exponent)
    centroids = kmeans_plus_plus(shard, points, num_clusters, generator)
    labels, _ = nearest_centroid(points, centroids)
    for _ in range(max_iter):
        sums = comm.chained(centroids.new_zeros(centroids.shape),
                            lambda total: total.index_add_(0, labels, points))
        counts = comm.all_reduce(torch.bincount(labels, minlength=num_clusters))
        move_centroids_(centroids, sums, counts)
        new_labels, _ = nearest_centroid(points, centroids)
        changed = comm.all_reduce(torch.tensor([int(not torch.equal(new_labels, labels))]))
        if int(changed[0]) == 0:
            break
        labels = new_labels
    return times_power_of_two(centroids, exponent), labels
