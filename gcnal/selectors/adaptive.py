r"""Typical items while the learner is weak, diverse low-margin items once it
is competent; the split of each batch decided by the labelled set itself."""
from __future__ import annotations

import math
from typing import Dict, Optional, Tuple, Union

import torch
from torch import Tensor

from ..errors import InvalidParameterError
from .kcenter import min_distance_to
from .probability import top2_gap
from .typical_diverse import cell_radius, percentile_rank
from .typiclust import TYPICALITY_BACKENDS, nearest_similarities, typicality_from

#: Labelled items whose nearest labelled neighbour is looked up for the
#: competence (drawn from the generator beyond it), and how many at a time.
COMPETENCE_SAMPLE = 2048
_QUERY_BLOCK = 256

#: Below this radius the greedy step stops keeping picks apart.
_MIN_RADIUS = 1e-6


def labelled_competence(probs: Tensor, vectors: Tensor, labelled_mask: Tensor,
                        generator: Optional[torch.Generator] = None) -> float:
    r"""How well the labelled set already predicts itself: the lower 95%
    Wilson bound (:func:`wilson_lower_bound`) of its leave-one-out
    1-nearest-neighbour accuracy on the (unit) ``vectors``, with the
    learner's own labels :math:`\hat y_j = \operatorname{arg\,max}_c P_{jc}`
    for the labelled items (a learner fitted on them reproduces their
    labels),

    .. math::
        \hat\kappa = \frac{1}{|Q|} \sum_{j \in Q} \mathbb{1}\big[\hat y_{n(j)} =
        \hat y_j\big], \qquad n(j) = \operatorname*{arg\,min}_{j' \in L
        \setminus \{j\}} \lVert \mathbf{v}_j - \mathbf{v}_{j'} \rVert,

    over :math:`Q = L`, or :data:`COMPETENCE_SAMPLE` labelled items drawn
    from ``generator`` when there are more. :math:`\hat\kappa` estimates the
    accuracy a classifier of the labelled set reaches on the pool: near 0
    while most classes have at most one label (every item's nearest
    labelled neighbour is of another class), near the learner's accuracy
    once every mode of every class holds a few; the bound discounts it when
    :math:`|Q|` is small. A neighbour at a non-finite distance counts as a
    miss; fewer than two labelled items give 0.
    """
    labelled = torch.nonzero(labelled_mask, as_tuple=True)[0]
    if labelled.numel() < 2:
        return 0.0
    queries = torch.arange(labelled.numel(), device=labelled.device)
    if queries.numel() > COMPETENCE_SAMPLE:
        queries = torch.randperm(queries.numel(), generator=generator,
                                 device=labelled.device)[:COMPETENCE_SAMPLE]
    points, classes = vectors[labelled], probs[labelled].argmax(dim=1)
    hits = 0
    for block in queries.split(_QUERY_BLOCK):
        distance = torch.cdist(points[block], points)
        distance[torch.arange(block.numel()), block] = float("inf")  # not itself
        distance = torch.where(torch.isfinite(distance), distance, float("inf"))
        nearest = distance.min(dim=1)
        found = torch.isfinite(nearest.values)
        hits += int((found & (classes[nearest.indices] == classes[block])).sum())
    return wilson_lower_bound(hits / queries.numel(), queries.numel())


def spread_greedy(priority: Tensor, vectors: Tensor, available: Tensor, count: int,
                  radius: float, centres: Optional[Tensor] = None) -> Tensor:
    r"""``count`` items of ``available`` (a boolean mask), greedily by highest
    ``priority`` among those farther than ``radius`` from every centre and
    every earlier pick,

    .. math::
        x^* = \operatorname*{arg\,max}_{i \in A,\ \neg(\delta_i \le r)} p_i,
        \qquad \delta_i = \min_{j \in C \cup P} \lVert \mathbf{v}_i -
        \mathbf{v}_j \rVert,

    halving :math:`r` when no available item is left outside the balls (below
    ``1e-6`` the radius is dropped). The picks are drawn from ``available``
    minus the earlier picks by index, so they are unique and available
    whatever the distances: a non-finite :math:`\delta_i` counts as far, a
    non-finite priority as the lowest.

    Args:
        priority (torch.Tensor): :math:`(N,)` values, higher first.
        vectors (torch.Tensor): :math:`(N, d)` unit vectors.
        available (torch.Tensor): :math:`(N,)` booleans, at least ``count``.
        radius (float): The starting :math:`r`.
        centres (torch.Tensor, optional): :math:`(N,)` booleans; their balls
            are excluded from the start. (default: none)

    Returns:
        :math:`(\text{count},)` int64 indices in pick order.
    """
    left = available.clone()
    priority = torch.where(torch.isfinite(priority), priority, -float("inf"))
    delta = torch.full((vectors.size(0),), float("inf"), device=vectors.device)
    if centres is not None:
        delta = min_distance_to(vectors, vectors[centres]).sqrt()
    radius = radius if math.isfinite(radius) and radius > _MIN_RADIUS else 0.0
    picks = torch.empty(count, dtype=torch.long, device=vectors.device)
    for step in range(count):
        while True:
            outside = left & ~(delta <= radius) if radius > 0 else left
            candidates = torch.nonzero(outside, as_tuple=True)[0]
            if candidates.numel() or radius == 0:
                break
            radius = radius / 2 if radius / 2 > _MIN_RADIUS else 0.0
        pick = candidates[torch.argmax(priority[candidates])]
        picks[step] = pick
        left[pick] = False
        # unit vectors: |v_i - v_p|^2 = 2 - 2 v_i . v_p
        torch.minimum(delta, (2.0 - 2.0 * (vectors @ vectors[pick])).clamp_(min=0).sqrt_(),
                      out=delta)
    return picks


def wilson_lower_bound(accuracy: float, trials: int, z: float = 1.96) -> float:
    r"""The lower end of the Wilson score interval of an ``accuracy`` measured
    on ``trials`` items (95% for :math:`z = 1.96`),

    .. math::
        \underline{\kappa} = \frac{\hat\kappa + \frac{z^2}{2n} - z \sqrt{\frac{\hat\kappa
        (1 - \hat\kappa)}{n} + \frac{z^2}{4n^2}}}{1 + \frac{z^2}{n}},

    so that a competence read off a handful of labels counts for little
    (:math:`\hat\kappa = 1` on 12 items gives 0.76); 0 for no trial."""
    if trials <= 0:
        return 0.0
    centre = accuracy + z * z / (2 * trials)
    spread = z * math.sqrt(accuracy * (1 - accuracy) / trials + z * z / (4 * trials * trials))
    return max(0.0, (centre - spread) / (1 + z * z / trials))


def exploit_count(competence: float, budget: int) -> int:
    r"""Picks of the batch spent on the learner's margin,
    :math:`b_u = \lfloor \kappa^2 b + \tfrac12 \rfloor`; the other
    :math:`b - b_u` explore."""
    return min(budget, int(math.floor(competence * competence * budget + 0.5)))


def diverse_margin(gap: Tensor, vectors: Tensor, available: Tensor, count: int,
                   candidate_factor: int,
                   generator: Optional[torch.Generator] = None) -> Tensor:
    r"""Cluster-Margin-style exploitation (Citovsky et al., NeurIPS 2021): the
    :math:`m \cdot \text{count}` available items of smallest top-2 ``gap``
    are the candidates :math:`M` (ties to the lowest index); among them,
    :func:`spread_greedy` takes the smallest gaps at least
    :math:`r_M` apart, :math:`r_M` = :func:`cell_radius` of :math:`M` for
    ``count`` cells (a ball holding about :math:`m` candidates), so one
    batch does not spend itself on one stretch of one decision boundary.
    With :math:`m = 1` this is margin sampling."""
    if count == 0:
        return torch.empty(0, dtype=torch.long, device=vectors.device)
    pool = torch.nonzero(available, as_tuple=True)[0]
    order = torch.sort(gap[pool], stable=True).indices  # NaN gaps sort last
    candidates = pool[order[:min(pool.numel(), candidate_factor * count)]]
    in_candidates = torch.zeros_like(available)
    in_candidates[candidates] = True
    radius = cell_radius(vectors[candidates], count, generator) if candidates.numel() > 1 else 0.0
    return spread_greedy(-gap, vectors, in_candidates, count, radius)


def check_adaptive_options(k, candidate_factor, competence, knn_backend, owner: str) -> None:
    if knn_backend not in TYPICALITY_BACKENDS:
        raise InvalidParameterError("knn_backend", f"one of {list(TYPICALITY_BACKENDS)}",
                                    repr(knn_backend), owner)
    for name, value in (("k", k), ("candidate_factor", candidate_factor)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidParameterError(name, "an int >= 1", repr(value), owner)
    if competence != "auto" and (isinstance(competence, bool)
                                 or not isinstance(competence, (int, float))
                                 or not 0.0 <= competence <= 1.0):
        raise InvalidParameterError("competence", "'auto' or a float in [0, 1]",
                                    repr(competence), owner)


def explore_exploit(probs: Optional[Tensor], vectors: Tensor, labelled_mask: Tensor,
                    budget: int, explore_score: Tensor, *,
                    competence: Union[str, float] = "auto",
                    candidate_factor: int = 10,
                    generator: Optional[torch.Generator] = None,
                    nearest: Optional[Tensor] = None
                    ) -> Tuple[Tensor, Dict[str, Tensor]]:
    r"""The batch of :func:`typical_margin`, with its exploration ranked by
    ``explore_score`` (higher first; typicality there, typicality times the
    GCN's novelty in :func:`~gcnal.selectors.gcn_typical_margin`).
    ``vectors`` are unit rows; ``nearest``, the typicality search's nearest
    similarities, spares :func:`cell_radius` a search of its own where they
    hold what it reads. Returns ``(picks, pick_scores)``."""
    unlabelled = ~labelled_mask
    if probs is None:
        kappa = 0.0
    elif competence == "auto":
        kappa = labelled_competence(probs, vectors, labelled_mask, generator)
    else:
        kappa = float(competence)
    exploit = exploit_count(kappa, budget) if probs is not None else 0
    gap = top2_gap(probs.float()) if probs is not None else None
    first = diverse_margin(gap, vectors, unlabelled, exploit, candidate_factor, generator) \
        if exploit else torch.empty(0, dtype=torch.long, device=vectors.device)
    taken = labelled_mask.clone()
    taken[first] = True
    priority = torch.full((vectors.size(0),), -1.0, device=vectors.device)
    explore_score = torch.where(torch.isfinite(explore_score), explore_score, -float("inf"))
    explore = percentile_rank(explore_score[unlabelled])
    if gap is not None and kappa > 0:
        explore = explore.pow(1.0 - kappa) * percentile_rank(-gap[unlabelled]).pow(kappa)
    priority[unlabelled] = explore
    radius = cell_radius(vectors, int(labelled_mask.sum()) + budget, generator, nearest)
    second = spread_greedy(priority, vectors, ~taken, budget - exploit, radius, centres=taken)
    picks = torch.cat([first, second])
    pick_scores = {"explore": (torch.arange(budget, device=picks.device) >= exploit).float(),
                   "competence": torch.full((budget,), kappa, device=picks.device)}
    if gap is not None:
        pick_scores["margin"] = gap[picks]
    return picks, pick_scores


def typical_margin(scores: Optional[Tensor], embeddings: Tensor, labelled_mask: Tensor,
                   budget: int, *, generator: Optional[torch.Generator] = None, k: int = 20,
                   candidate_factor: int = 10, competence: Union[str, float] = "auto",
                   knn_backend: str = "torch") -> Tuple[Tensor, Dict[str, Tensor]]:
    r"""Explore with typicality while the labelled set is thin, exploit the
    learner's margin (kept diverse) once the labelled set is competent.

    On the L2-normalised ``embeddings`` :math:`\mathbf{v}_i`, with the
    learner's :math:`(N, C)` probabilities :math:`P` as ``scores``:

    1. **Competence.** :math:`\kappa \in [0, 1]`, the lower 95% bound of
       the labelled set's leave-one-out 1-NN accuracy under the learner's
       own labels (:func:`labelled_competence`); :math:`\kappa = 0` without
       ``scores``. It is measured each round, not set: on the dev studies
       about 0 at one label per class, 0.3-0.5 at three to nine, and a
       little under the learner's test accuracy from ten labels per class on.
    2. **Split** (:func:`exploit_count`). :math:`b_u = \lfloor \kappa^2 b +
       \frac12 \rfloor` picks exploit, :math:`b - b_u` explore. The square
       keeps the batch exploring while the labelled set predicts half of
       itself (margin sampling is no better than Random there; on the dev
       studies :math:`\kappa b` spent too much of the batch on it) and gives
       most of it to the margin once :math:`\kappa` nears 1.
    3. **Exploit** (:func:`diverse_margin`): among the :math:`m b_u` items
       of smallest margin :math:`g_i = P_{i,(1)} - P_{i,(2)}`
       (:math:`m` = ``candidate_factor``), the smallest margins kept a
       candidate-cell radius apart (Cluster-Margin's idea, on a radius
       instead of clusters).
    4. **Explore** (:func:`spread_greedy`): the remaining items by

       .. math::
           e_i = \operatorname{pct}(t_i)^{1 - \kappa}\,
           \operatorname{pct}(-g_i)^{\kappa},

       typicality :math:`t_i` (:func:`~gcnal.selectors.typicality`) tilted
       towards the margin as the labelled set grows competent
       (percentile ranks over the unlabelled items), none within :math:`r`
       of a labelled item, of another exploring pick or of an exploiting
       one, :math:`r` = :func:`~gcnal.selectors.cell_radius` for
       :math:`|L| + b` cells (:func:`~gcnal.selectors.typical_diverse`'s
       rule with weight :math:`\kappa`); the radius halves when the pool has
       no room left.

    Without ``scores`` (feature-only pools, regression) it is step 4 alone:
    typicality with coverage. Every pick is unique and unlabelled, whatever
    the distances (non-finite ones count as far).

    Args:
        k (int): Neighbours for the typicality. (default: :obj:`20`)
        candidate_factor (int): Margin candidates per exploiting pick
            (:math:`m`). (default: :obj:`10`)
        competence (float or str): The competence in [0, 1] that sets the
            split and the tilt, or ``"auto"`` to measure it.
            (default: :obj:`"auto"`)
        knn_backend (str): :func:`~gcnal.selectors.typicality`'s backend
            (``"auto"`` or one of :func:`~gcnal.graph.knn_search`'s).
            (default: :obj:`"torch"`)

    Returns:
        ``(picks, pick_scores)``: :math:`(\text{budget},)` int64 indices,
        exploiting picks first, and per pick ``"typicality"``, ``"explore"``
        (1 for an exploring pick), ``"competence"`` (:math:`\kappa`) and,
        with ``scores``, ``"margin"``.
    """
    from ..graph import l2_normalize

    check_adaptive_options(k, candidate_factor, competence, knn_backend, "typical_margin")
    vectors = l2_normalize(embeddings.float())
    nearest = nearest_similarities(vectors, k, knn_backend, normalized=True)
    typical = typicality_from(nearest)
    picks, pick_scores = explore_exploit(scores, vectors, labelled_mask, budget, typical,
                                         competence=competence, candidate_factor=candidate_factor,
                                         generator=generator, nearest=nearest)
    return picks, {"typicality": typical[picks], **pick_scores}
