r"""Cluster-Margin (Citovsky et al., NeurIPS 2021): the lowest-margin
candidates, spread over the pool's clusters by round robin."""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor

from ..errors import InvalidParameterError
from ..validation import check_positive_int, check_real
from .hac import sampled_hac_labels
from .probability import top2_gap
from .ranking import rank_unlabelled


def round_robin(candidates: Tensor, clusters: Tensor, budget: int,
                generator: Optional[torch.Generator] = None) -> Tensor:
    r"""Cluster-Margin's round robin: the clusters of the ``candidates`` are
    visited in ascending order of how many candidates they hold (ties: the
    cluster whose first candidate comes earlier in ``candidates``), one
    candidate drawn uniformly from each cluster that still has one, round
    after round, until ``budget`` picks.

    Args:
        candidates (torch.Tensor): :math:`(M,)` distinct item indices, in
            priority order (the lowest margin first).
        clusters (torch.Tensor): :math:`(M,)` the cluster id of each.
        budget (int): At most :math:`M`.
        generator (torch.Generator, optional): Source of the draws.

    Returns:
        :math:`(\text{budget},)` positions into ``candidates``, in pick order.
    """
    m = candidates.numel()
    device = candidates.device
    ids, inverse, counts = torch.unique(clusters, return_inverse=True, return_counts=True)
    first = torch.full((ids.numel(),), m, dtype=torch.long, device=device)
    first.scatter_reduce_(0, inverse, torch.arange(m, device=device), reduce="amin")
    # visiting order of the clusters: fewest candidates first, then earliest candidate
    by_first = torch.argsort(first)
    visit = by_first[torch.sort(counts[by_first], stable=True).indices]
    cluster_rank = torch.empty_like(visit)
    cluster_rank[visit] = torch.arange(visit.numel(), device=device)
    # a uniformly random order inside each cluster gives each candidate its round
    shuffled = torch.randperm(m, generator=generator, device=device)
    grouped = shuffled[torch.sort(inverse[shuffled], stable=True).indices]
    starts = torch.cumsum(counts, dim=0) - counts
    rounds = torch.empty(m, dtype=torch.long, device=device)
    rounds[grouped] = torch.arange(m, device=device) - starts[inverse[grouped]]
    order = torch.argsort(rounds * visit.numel() + cluster_rank[inverse])
    return order[:budget]


def cluster_margin(scores: Tensor, embeddings: Tensor, labelled_mask: Tensor, budget: int, *,
                   generator: Optional[torch.Generator] = None,
                   margin_candidates: float = 10.0, num_clusters: Optional[int] = None,
                   distance_threshold: Optional[float] = None, hac_sample: int = 5000):
    r"""Cluster-Margin, "Batch Active Learning at Scale" (Citovsky et al.,
    NeurIPS 2021, https://arxiv.org/abs/2107.14263).

    ``scores`` are the learner's probabilities (``probs=``), ``embeddings``
    the features the pool is clustered on (the raw features for the
    ``cluster_margin`` preset). The pool is clustered once by average-linkage
    HAC (:func:`~gcnal.selectors.hac.sampled_hac_labels`), cut at
    ``distance_threshold`` as in the paper or into ``num_clusters``
    clusters. The :math:`k_m = \lceil \text{margin\_candidates} \cdot b
    \rceil` unlabelled items of smallest margin
    :math:`P_{i,(1)} - P_{i,(2)}` are the candidates, and :func:`round_robin`
    takes :math:`b` of them over their clusters, the cluster with the fewest
    candidates first, one uniformly random candidate per cluster and round.
    With one candidate per cluster this is margin sampling's top
    :math:`k_m` drawn at random; with one cluster, the same; diversity comes
    from clusters holding several candidates.

    The paper runs HAC over the whole pool (a distributed implementation
    for its 10M images); here HAC is exact up to ``hac_sample`` items and,
    above, runs on a uniform sample of that size, every other item joining
    the cluster whose sampled members' mean is nearest.

    Args:
        margin_candidates (float): :math:`k_m / b`, at least 1 (capped at
            the number of unlabelled items). (default: :obj:`10.0`)
        num_clusters (int, optional): Cut the dendrogram into this many
            clusters. (default: :obj:`None`: the budget, when no
            ``distance_threshold`` is given, so that one round can fill
            the batch)
        distance_threshold (float, optional): Cut it at this average-linkage
            distance (the paper's :math:`\epsilon`, in the features' units)
            instead.
        hac_sample (int): Most items clustered exactly. (default: :obj:`5000`)

    Returns:
        ``(picks, pick_scores)``: :math:`(\text{budget},)` int64 indices,
        unique and unlabelled, in pick order; ``pick_scores`` holds each
        pick's ``"margin"`` and ``"cluster"`` id.
    """
    owner = "cluster_margin"
    margin_candidates = check_real(margin_candidates, "margin_candidates", 1.0, float("inf"),
                                   owner, high_open=True)
    num_clusters = check_positive_int(num_clusters, "num_clusters", owner, allow_none=True)
    hac_sample = check_positive_int(hac_sample, "hac_sample", owner)
    if distance_threshold is not None:
        if num_clusters is not None:
            raise InvalidParameterError("distance_threshold", "None when num_clusters is given",
                                        repr(distance_threshold), owner)
        distance_threshold = check_real(distance_threshold, "distance_threshold", 0.0,
                                        float("inf"), owner, high_open=True)
    elif num_clusters is None:
        num_clusters = budget
    margins = top2_gap(scores.float())
    num_unlabelled = int((~labelled_mask).sum())
    k_m = min(num_unlabelled, max(budget, math.ceil(margin_candidates * budget)))
    candidates = rank_unlabelled(margins, labelled_mask, k_m)
    labels = sampled_hac_labels(embeddings, num_clusters=num_clusters,
                                distance_threshold=distance_threshold, sample=hac_sample,
                                generator=generator).to(candidates.device)
    picks = candidates[round_robin(candidates, labels[candidates], budget, generator)]
    return picks, {"margin": margins[picks], "cluster": labels[picks]}
