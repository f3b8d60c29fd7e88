r"""TypiClust over a sharded pool: :func:`gcnal.selectors.typiclust`'s picks,
and so the cold start of the sharded ``typical_diverse``.

1. k-means of the L2-normalised rows (:func:`~gcnal.distributed.kmeans.kmeans`:
   per seed one offer of :math:`8 (d + 2)` bytes, per Lloyd round the
   :math:`K (d + 1)` sums and sizes all-reduced);
2. the clusters' sizes and labelled counts, all-reduced once
   (:math:`16 K (P - 1)/P` bytes);
3. per pick, the chosen cluster's remaining members gathered to every rank
   (their global indices and rows, :math:`(8 + 4 d) m_r (P - 1)` bytes for
   the largest rank's :math:`m_r` of them), whose typicality every rank
   computes as one process would: the members in global order, so the
   same values and the same pick.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..graph import l2_normalize
from ..progress import progress_bar
from ..selectors.typiclust import check_typiclust_options, next_cluster, typicality
from .kmeans import kmeans
from .shard import Shard


def typiclust(shard: Shard, scores=None, k: int = 20, max_clusters: int = 500,
              min_cluster_size: int = 5) -> Tensor:
    r"""The global indices of ``shard.budget`` picks of
    :func:`gcnal.selectors.typiclust` on the concatenated pool (its
    :math:`K = \min(|L| + b, \text{max\_clusters}, N)` k-means cells, the
    most typical remaining item of the least-covered, largest one), in pick
    order, the same on every rank. ``scores`` are unused."""
    check_typiclust_options(k, max_clusters, min_cluster_size)
    comm, offset = shard.comm, shard.offset
    vectors = l2_normalize(shard.x.float())
    num_clusters = min(shard.num_labelled + shard.budget, max_clusters, shard.num_items)
    with comm.stage("kmeans"):
        _, labels = kmeans(shard, vectors, num_clusters, shard.generator())
    with comm.stage("cluster sizes"):
        counts = torch.stack([torch.bincount(labels, minlength=num_clusters),
                              torch.bincount(labels[shard.labelled], minlength=num_clusters)])
        sizes, existing = comm.all_reduce(counts)
    remaining = sizes - existing
    taken = shard.labelled.clone()
    picks = torch.empty(shard.budget, dtype=torch.long)
    with comm.stage("picks"):
        for step in progress_bar(range(shard.budget), "TypiClust picks"):
            cluster = next_cluster(sizes, existing, remaining, min_cluster_size)
            local = torch.nonzero((labels == cluster) & ~taken, as_tuple=True)[0]
            share = comm.all_gather(torch.tensor([local.numel()]))[:, 0].tolist()
            members = comm.all_gather_rows(local + offset, share)
            member_typicality = typicality(comm.all_gather_rows(vectors[local], share), k,
                                           normalized=True)
            best = int(members[torch.argmax(member_typicality)])
            picks[step] = best
            if offset <= best < offset + taken.numel():
                taken[best - offset] = True
            existing[cluster] += 1
            remaining[cluster] -= 1
    return picks
