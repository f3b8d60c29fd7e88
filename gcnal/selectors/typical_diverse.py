r"""Typical, diverse and (when the learner says) uncertain: gcnal's
recommended selector."""
from __future__ import annotations

import logging
import math
from typing import Callable, Dict, Iterator, List, Optional, Tuple, Union

import torch
from torch import Tensor

from ..errors import InvalidParameterError
from ..progress import progress_bar
from ..validation import check_choice, check_int, check_real
from .kcenter import min_distance_to
from .probability import top2_gap
from .ranking import PicksAndScores
from .typiclust import TYPICALITY_BACKENDS, nearest_similarities, typicality_from, typiclust

log = logging.getLogger(__name__)

#: Pool items whose neighbourhood radius is measured to set the default radius,
#: and how many of them at a time (a block holds ``block x N`` distances).
RADIUS_SAMPLE = 512
_RADIUS_BLOCK = 32
#: Items of the score order the greedy scan reads at a time.
_SCAN_ROWS = 256
#: ``uncertainty_weight="auto"`` without the learner's probabilities, where
#: ``cold_start`` is ``True`` or ``False`` (the coverage rule lost to
#: TypiClust on a noisy regression study there).
NOVELTY_WEIGHT = 0.5


def percentile_rank(values: Tensor) -> Tensor:
    r"""Each value's rank among ``values`` scaled to :math:`(0, 1]`,
    :math:`\operatorname{rank}(v_i) / n` (ties broken by position), so scores
    on different scales combine without weights of their own."""
    ranks = torch.empty_like(values, dtype=torch.float32)
    ranks[torch.argsort(values, stable=True)] = torch.arange(
        1, values.numel() + 1, device=values.device, dtype=torch.float32)
    return ranks / values.numel()


def uncertainty_signal(scores: Optional[Tensor], delta: Tensor, any_labelled: bool,
                       weight: float) -> Optional[Tuple[str, Tensor]]:
    r"""What :func:`typical_diverse`'s score is tilted towards, as its column
    name and values whose rank is :math:`\operatorname{pct}(u_i)` (larger =
    more uncertain): ``("uncertainty", -gap)``, the negated top-2 gap of the
    learner's probabilities ``scores``; without them ``("novelty", delta)``,
    each item's distance ``delta`` to the nearest labelled item; ``None`` when
    ``weight`` is 0 or, without ``scores``, no item is labelled (cold start)."""
    if weight <= 0:
        return None
    if scores is not None:
        return "uncertainty", -top2_gap(scores.float())
    return ("novelty", delta) if any_labelled else None


def neighbourhood_radii(nearest: Tensor) -> Tensor:
    r"""Each item's distance :math:`\rho_i` to its :math:`k`-th nearest item,
    from its largest similarities ``nearest`` (largest first,
    :func:`~gcnal.selectors.typiclust.nearest_similarities`): the smallest
    finite one (an approximate search pads with :math:`-\infty` where it
    found fewer), as :func:`unit_distance_`; 0 for a row with none."""
    if nearest.size(1) == 0:
        return torch.zeros(nearest.size(0), device=nearest.device)
    finite = torch.where(torch.isfinite(nearest), nearest, torch.full_like(nearest, math.inf))
    return unit_distance_(finite.amin(dim=1))


def covered_count(radii: Tensor, delta: Tensor) -> int:
    r"""How many items have a labelled item within their neighbourhood,
    :math:`|\{i : \delta_i \le \rho_i\}|` (``delta``: distances to the
    labelled set, ``radii``: :func:`neighbourhood_radii`)."""
    return int((delta <= radii).sum())


def coverage_weight(covered: int, unlabelled: int) -> float:
    r"""``uncertainty_weight="coverage"`` (``"auto"`` with probabilities):
    from an even blend to the uncertainty alone as the labelled set covers
    the pool,

    .. math::
        w = \tfrac12 (1 + c), \qquad
        c = \frac{|\{i \in U : \delta_i \le \rho_i\}|}{|U|},

    :math:`c` the share of the unlabelled items with a labelled item among
    their :math:`k` nearest (:func:`covered_count` over the unlabelled items).
    The more of the pool the labelled set covers, the more the typicality
    ranks items in parts it already covers, and the more the uncertainty
    (without probabilities the novelty, leading the picks to the parts still
    uncovered) should lead. (No weight matters on a cold start without
    probabilities: the novelty is left out.)"""
    return 0.5 * (1.0 + (covered / unlabelled if unlabelled else 0.0))


def resolve_weight(weight: Union[str, float], with_scores: bool,
                   coverage: Callable[[], Tuple[int, int]]) -> float:
    """The :math:`w` that ``uncertainty_weight`` names: ``"auto"`` is
    ``"coverage"`` with the learner's probabilities, else
    :data:`NOVELTY_WEIGHT`; ``"coverage"`` is :func:`coverage_weight` of
    ``coverage()``, the (covered, all) unlabelled item counts, asked for only
    then."""
    if weight == "auto":
        weight = "coverage" if with_scores else NOVELTY_WEIGHT
    return coverage_weight(*coverage()) if weight == "coverage" else float(weight)


def cold_start_reason(cold_start: Union[str, bool], labelled: int, budget: int,
                      with_scores: bool, owner: str = "typical_diverse") -> Optional[str]:
    """Why a :func:`typical_diverse` call picks as TypiClust, or ``None``
    when it blends: with ``cold_start`` ``True`` or ``"auto"``, a budget at
    least the ``labelled`` count; with ``"auto"``, also a call without the
    learner's probabilities (``with_scores`` false); never with ``False``;
    anything else is an error."""
    if not (isinstance(cold_start, bool) or cold_start == "auto"):
        raise InvalidParameterError("cold_start", "True, False or 'auto'", repr(cold_start), owner)
    if cold_start is False:
        return None
    if labelled <= budget:
        return f"the budget ({budget}) is at least the labelled set ({labelled})"
    if cold_start == "auto" and not with_scores:
        return "no probs were given"
    return None


def blend_options_set(uncertainty_weight="auto", radius="auto", knn_backend="auto",
                      **options) -> List[str]:
    """The blend's options that a call set (other than ``"auto"``), as
    ``name=value``: the TypiClust path leaves them unused. ``options``: the
    call's others, which it uses."""
    return [f"{name}={value!r}" for name, value in (("uncertainty_weight", uncertainty_weight),
                                                     ("radius", radius),
                                                     ("knn_backend", knn_backend))
            if value != "auto"]


def warn_unused_blend_options(reason: str, labelled: int, budget: int, **options) -> None:
    """Log the blend's options that a call picking as TypiClust (for
    ``reason``, :func:`cold_start_reason`) set and leaves unused
    (:func:`blend_options_set` of ``options``), and which ``cold_start``
    keeps the blend; nothing when it set none."""
    unused = blend_options_set(**options)
    if unused:
        log.warning("typical_diverse picks as TypiClust (%s), so %s go unused; "
                    "cold_start=%s keeps the blend", reason, ", ".join(unused),
                    "False" if labelled <= budget else "True or False")


def typical_diverse_notes(scores: Optional[Tensor], labelled_mask: Tensor, budget: int, *,
                          cold_start: Union[str, bool] = "auto", **options) -> Dict[str, str]:
    """``Selection.info``'s ``"cold_start"`` entry when a call picks as
    TypiClust (:func:`cold_start_reason`), naming the blend's options it
    left unused (:func:`blend_options_set`); nothing otherwise."""
    reason = cold_start_reason(cold_start, int(labelled_mask.sum()), budget, scores is not None)
    if reason is None:
        return {}
    unused = blend_options_set(**options)
    return {"cold_start": f"TypiClust's picks: {reason}"
                          + (f"; unused: {', '.join(unused)}" if unused else "")}


def blend_ranks(typical: Tensor, uncertain: Tensor, weight: float) -> Tensor:
    r""":math:`s_i = \operatorname{pct}(t_i)^{1 - w}\, \operatorname{pct}(u_i)^{w}`
    from the two percentile ranks."""
    return typical.pow(1.0 - weight) * uncertain.pow(weight)


def cell_radius(vectors: Tensor, cells: int, generator: Optional[torch.Generator],
                nearest: Optional[Tensor] = None) -> float:
    r"""The radius of a ball that holds about :math:`N / \text{cells}` items:
    the median, over up to :data:`RADIUS_SAMPLE` items drawn from
    ``generator``, of the distance to the :math:`m = \lceil N / \text{cells}
    \rceil`-th nearest item. ``cells`` such balls around well-spread centres
    cover the pool about once.

    ``nearest``: each item's largest similarities to the others, largest
    first (the typicality's :func:`~gcnal.selectors.typiclust.nearest_similarities`).
    When its rows hold the sampled items' :math:`m`-th (finite), the
    distances are read from it instead of computed: the exact search's
    values are these products' (the same radius), an approximate search's
    may be lower similarities (a radius no smaller)."""
    n = vectors.size(0)
    m = min(n - 1, max(1, math.ceil(n / max(cells, 1))))
    draw = torch.randperm(n, generator=generator, device=vectors.device)[:RADIUS_SAMPLE]
    if nearest is not None and nearest.size(1) >= m:
        similarity = nearest[draw, m - 1]
        if bool(torch.isfinite(similarity).all()):
            return float(unit_distance_(similarity).median())
    # m + 1: the item itself is its own nearest
    radii = torch.cat([nearest_distances(vectors[block], vectors, m + 1)[:, -1]
                       for block in draw.split(_RADIUS_BLOCK)])
    return float(radii.median())


def nearest_distances(rows: Tensor, vectors: Tensor, count: int) -> Tensor:
    r"""The ``count`` smallest distances from each of the unit ``rows`` to
    the unit ``vectors``, ascending: the ``count`` largest similarities
    :math:`s` of one product, by a top-:math:`k` (a few times faster than a
    ``kthvalue`` for small counts), as :func:`unit_distance_`."""
    return unit_distance_((rows @ vectors.T).topk(count, dim=1).values)


def unit_distance_(similarity: Tensor) -> Tensor:
    r"""The distance between unit vectors of cosine ``similarity`` :math:`s`,
    :math:`\sqrt{\max(0, 2 - 2s)}`, in place."""
    return similarity.mul_(-2.0).add_(2.0).clamp_(min=0).sqrt_()


def radius_picks(score: Tensor, vectors: Tensor, available: Tensor, delta: Tensor,
                 radius: float, budget: int) -> Tuple[Tensor, List[float]]:
    r"""``budget`` times, the highest-``score`` ``available`` item with
    :math:`\delta_i > r` (ties to the lowest index), :math:`\delta_i` its
    distance to the nearest of the items behind ``delta`` (distances of the
    unit ``vectors``) and the earlier picks; when none is left :math:`r`
    halves (below ``1e-6`` it becomes :math:`-1`, and then, if only NaN
    distances remain, the test goes). Returns the picks and the :math:`r`
    in force at each (0 once negative).

    Lazily, in score order: an item rejected at radius :math:`r` stays
    rejected while :math:`r` holds (its :math:`\delta` only falls), so a scan
    of the score order resumes where the last pick was found and restarts
    only when :math:`r` halves (:func:`_scan_picks`).
    """
    order = torch.argsort(score, descending=True, stable=True)
    order = order[available[order]]
    picks = torch.empty(budget, dtype=torch.long, device=vectors.device)
    radius_in_force: List[float] = []
    scan = _scan_picks(order, vectors, delta, radius, budget)
    for count in progress_bar(range(budget), "typical_diverse picks"):
        picks[count], radius_now = next(scan)
        radius_in_force.append(max(radius_now, 0.0))
    return picks, radius_in_force


def _scan_picks(order: Tensor, vectors: Tensor, delta: Tensor, radius: float,
                budget: int) -> Iterator[Tuple[int, float]]:
    r""":func:`radius_picks`'s picks in pick order, each with the :math:`r`
    in force, from a scan of ``order`` (the available items, best first)
    :data:`_SCAN_ROWS` items at a time.

    An item's :math:`\delta` is brought up to date (one product with the
    picks it has not seen) only when the scan reaches it, so the products
    cover the items the scan reads, not the whole pool at each pick. Within
    a window the items are then read in order: the first with
    :math:`\delta_i > r` is picked, the window's items are compared with it
    (one matrix-vector product) and the reading goes on after it, so a pick
    costs a few operations on one window.
    """
    n, h = vectors.shape
    taken = torch.zeros(n, dtype=torch.bool, device=vectors.device)
    seen = torch.zeros(n, dtype=torch.long, device=vectors.device)  # picks folded into delta
    picked_vectors = torch.empty(budget, h, dtype=vectors.dtype, device=vectors.device)
    tested = True  # False once only NaN distances are left: the test goes
    count = position = 0
    while True:
        if position >= order.numel():  # nothing left outside the balls
            if radius >= 0:
                radius = radius / 2 if radius > 1e-6 else -1.0
            else:
                tested = False
            position = 0
            continue
        window = order[position:position + _SCAN_ROWS]
        position += _SCAN_ROWS
        items = window[~taken[window]]
        if not items.numel():
            continue
        if not tested:
            for item in items.tolist():
                taken[item] = True
                yield item, radius
            continue
        rows = vectors[items]
        first = int(seen[items].min())
        distance = delta[items]
        if first < count:
            # unit vectors: |v_i - v_p|^2 = 2 - 2 v_i . v_p
            distance = torch.minimum(distance, (2.0 - 2.0 * (rows @ picked_vectors[first:count].T))
                                     .clamp_(min=0).sqrt_().amin(dim=1))
        outside = torch.nonzero(distance > radius, as_tuple=True)[0]
        while outside.numel():  # the window's first item outside the balls
            at = int(outside[0])
            taken[items[at]] = True
            picked_vectors[count] = rows[at]
            count += 1
            yield int(items[at]), radius
            # the whole window sees the pick (its earlier items too: they are
            # read again once the radius halves)
            torch.minimum(distance, (2.0 - 2.0 * (rows @ rows[at])).clamp_(min=0).sqrt_(),
                          out=distance)
            outside = torch.nonzero(distance[at + 1:] > radius, as_tuple=True)[0] + at + 1
        delta[items] = distance
        seen[items] = count


def typical_diverse(scores: Optional[Tensor], embeddings: Tensor, labelled_mask: Tensor,
                    budget: int, *, generator: Optional[torch.Generator] = None, k: int = 20,
                    uncertainty_weight: Union[str, float] = "auto",
                    radius: Union[str, float] = "auto",
                    knn_backend: str = "auto",
                    cold_start: Union[str, bool] = "auto") -> PicksAndScores:
    r"""Typicality-weighted picks, kept apart by a radius, tilted towards the
    learner's uncertainty when its probabilities are given.

    A call whose budget is at least the labelled set, :math:`|L| \le b` (a
    first selection, a cold start included), or that is given no
    probabilities, picks as :func:`~gcnal.selectors.typiclust` does with
    the same :math:`k` (the most typical item of each of the largest
    k-means clusters with the fewest labelled items; ``cold_start``): so few
    labels cannot yet say where the learner errs or what it has not seen,
    and without the learner's probabilities nothing says where it errs;
    grouping the pool into :math:`|L| + b` clusters spreads the picks over
    its mass better than the radius does. Otherwise, on the L2-normalised
    ``embeddings`` :math:`\mathbf{v}_i`:

    1. **Score.** The typicality :math:`t_i` of every item (inverse mean
       distance to its :math:`k` nearest items, :func:`~gcnal.selectors.typicality`)
       and its uncertainty :math:`u_i`: when ``scores`` holds the learner's
       :math:`(N, C)` probabilities, the margin uncertainty
       :math:`u_i = 1 - (p_{i,(1)} - p_{i,(2)})`; without them, the novelty
       :math:`u_i = \min_{j \in L} \lVert \mathbf{v}_i - \mathbf{v}_j \rVert`,
       the distance to the labelled set, where any learner knows least
       (none on a cold start: :math:`w = 0` then; only with ``cold_start``
       ``True`` or ``False``, as ``"auto"`` picks as TypiClust without
       them). Each becomes a percentile
       rank among the unlabelled items and

       .. math::
           s_i = \operatorname{pct}(t_i)^{1 - w}\, \operatorname{pct}(u_i)^{w},

       :math:`w` = ``uncertainty_weight``; by default, with ``scores``, set
       by the labelled set's coverage of the pool (:func:`coverage_weight`:
       from an even blend to the margin alone as the labelled set covers the
       pool), without them :data:`NOVELTY_WEIGHT`. Dense regions are where most test
       items are (small budgets need them); uncertain ones are where the
       learner errs (larger budgets need them).
    2. **Diversity.** Greedily, ``budget`` times, the highest-scoring
       unlabelled item farther than :math:`r` from every labelled and already
       picked item,

       .. math::
           x^* = \operatorname*{arg\,max}_{i \in U,\ \delta_i > r} s_i, \qquad
           \delta_i = \min_{j \in L \cup P} \lVert \mathbf{v}_i - \mathbf{v}_j \rVert,

       scanning the items in score order and bringing an item's
       :math:`\delta` up to date only when the scan reaches it
       (:func:`radius_picks`). When no item is left outside the balls, :math:`r`
       halves. So two picks are never closer than the radius in force
       when the second was picked, and while the pool has room no pick lands
       within :math:`r` of the labelled set. Labelled and picked items are
       left out by an explicit mask, never by their score or distance, so
       no pick repeats or is labelled whatever the distances are.

    The default radius (``"auto"``) is :func:`cell_radius` for :math:`|L| + b`
    cells: the balls of the labelled and picked items then tile the pool
    about once, so the picks spread over it like a k-center selection but
    from its dense, uncertain parts rather than its outliers.

    Args:
        k (int): Neighbours for the typicality. (default: :obj:`20`)
        uncertainty_weight (float or str): :math:`w \in [0, 1]`, the weight
            of the margin uncertainty, or of the novelty without ``scores``;
            ``"coverage"``: set each call by the labelled set's coverage of
            the pool (:func:`coverage_weight`); ``"auto"``: ``"coverage"``
            with ``scores``, else :data:`NOVELTY_WEIGHT`.
            (default: :obj:`"auto"`)
        radius (float or str): :math:`r` in L2 distance between unit vectors
            (:math:`\sqrt{2 - 2 \cos}`, so in :math:`[0, 2]`), or ``"auto"``.
            ``0`` switches the diversity step off. (default: :obj:`"auto"`)
        knn_backend (str): :func:`~gcnal.selectors.typicality`'s backend:
            ``"auto"`` (the exact ``"torch"`` search up to
            :data:`~gcnal.selectors.typiclust.EXACT_TYPICALITY_MAX` items,
            the approximate ``"ivf"`` one beyond), or one of
            :func:`~gcnal.graph.knn_search`'s. (default: :obj:`"auto"`)
        cold_start (bool or str): ``"auto"``: pick as TypiClust when the
            budget is at least the labelled set or ``scores`` is not given;
            ``True``: only when the budget is at least the labelled set
            (without ``scores`` the blend then uses the novelty); ``False``:
            the typicality and uncertainty (or novelty) blend at every call.
            (default: :obj:`"auto"`)

    Returns:
        ``(picks, pick_scores)``: :math:`(\text{budget},)` int64 indices,
        unique, all unlabelled, in pick order, and per pick (TypiClust's
        columns when it picks) its ``"typicality"`` :math:`t_i`, its
        ``"uncertainty"`` (margin) or ``"novelty"`` :math:`u_i` and the
        ``"weight"`` :math:`w` of the call
        (only when used), its ``"score"`` :math:`s_i` and the
        ``"radius"`` :math:`r` in force when it was picked (0 once the
        radius has halved away).
    """
    from ..graph import l2_normalize

    check_choice(knn_backend, "knn_backend", TYPICALITY_BACKENDS, "typical_diverse")
    check_int(k, "k", "typical_diverse")
    if uncertainty_weight not in ("auto", "coverage"):
        check_real(uncertainty_weight, "uncertainty_weight", 0.0, 1.0, "typical_diverse",
                   alternative="'auto' or 'coverage'")
    if radius != "auto":
        check_real(radius, "radius", 0.0, 2.0, "typical_diverse", alternative="'auto'")
    labelled = int(labelled_mask.sum())
    reason = cold_start_reason(cold_start, labelled, budget, scores is not None)
    if reason is not None:
        warn_unused_blend_options(reason, labelled, budget, uncertainty_weight=uncertainty_weight,
                                  radius=radius, knn_backend=knn_backend)
        return typiclust(scores, embeddings, labelled_mask, budget, generator=generator, k=k)
    vectors = l2_normalize(embeddings.float())
    unlabelled = torch.nonzero(~labelled_mask, as_tuple=True)[0]
    score = torch.full((vectors.size(0),), -1.0, device=vectors.device)
    available = ~labelled_mask
    nearest = nearest_similarities(vectors, k, knn_backend, normalized=True)
    columns: Dict[str, Tensor] = {"typicality": typicality_from(nearest)}
    pool_score = percentile_rank(columns["typicality"][unlabelled])
    delta = min_distance_to(vectors, vectors[labelled_mask]).sqrt()
    weight = resolve_weight(uncertainty_weight, scores is not None, lambda: (
        covered_count(neighbourhood_radii(nearest[unlabelled]), delta[unlabelled]),
        unlabelled.numel()))
    signal = uncertainty_signal(scores, delta, bool(labelled_mask.any()), weight)
    if signal is not None:
        name, values = signal
        # the margin column reports 1 - gap; delta is updated in place by the picks
        columns[name] = values + 1.0 if name == "uncertainty" else values.clone()
        columns["weight"] = values.new_full((1,), weight).expand(values.numel())
        pool_score = blend_ranks(pool_score, percentile_rank(values[unlabelled]), weight)
    score[unlabelled] = pool_score
    columns["score"] = score.clone()
    if radius == "auto":
        radius = cell_radius(vectors, labelled + budget, generator, nearest)
    picks, radius_in_force = radius_picks(score, vectors, available, delta, radius, budget)
    return picks, {**{name: values[picks] for name, values in columns.items()},
                   "radius": torch.tensor(radius_in_force, device=vectors.device)}
