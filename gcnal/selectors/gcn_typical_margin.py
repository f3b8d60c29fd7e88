r"""The GCN sampler's novelty as the exploration score of
:func:`~gcnal.selectors.typical_margin`."""
from __future__ import annotations

from typing import Dict, Optional, Tuple, Union

import torch
from torch import Tensor

from ..errors import InvalidParameterError
from .adaptive import check_adaptive_options, explore_exploit
from .typical_diverse import percentile_rank
from .typiclust import nearest_similarities, typicality_from


def gcn_novelty(features: Tensor, labelled_mask: Tensor, *, epochs: int = 200, hidden: int = 128,
                generator: Optional[torch.Generator] = None) -> Tensor:
    r"""How unlike the labelled set each item's graph neighbourhood is:
    :math:`1 - \sigma(z_i)`, with :math:`\sigma(z_i)` the probability of
    "labelled" of UncertainGCN's sampler (:class:`~gcnal.samplers.GCNSampler`
    on the pool graph :func:`~gcnal.graph.build_adjacency` ``("auto")``,
    trained by :func:`~gcnal.samplers.train_sampler` with the paper's
    settings, weights and dropout from ``generator``). With no labelled item
    there is nothing to learn and every novelty is 1."""
    from ..graph import build_adjacency
    from ..samplers import GCNSampler, score_sampler, train_sampler
    from ..seeding import global_rng_restored

    if not bool(labelled_mask.any()):
        return torch.ones(features.size(0), device=features.device)
    adj, _ = build_adjacency(features.float())
    with global_rng_restored(features.device):  # the constructor's draws are replaced below
        model = GCNSampler(features.size(1), hidden_channels=hidden,
                           cached=True).to(features.device)
    train_sampler(model, adj.vectors, adj, labelled_mask, epochs=epochs, generator=generator)
    labelled_probability, _ = score_sampler(model, adj.vectors, adj)
    return 1.0 - labelled_probability


def gcn_typical_margin(scores: Optional[Tensor], embeddings: Tensor, labelled_mask: Tensor,
                       budget: int, *, generator: Optional[torch.Generator] = None, k: int = 20,
                       candidate_factor: int = 10, competence: Union[str, float] = "auto",
                       knn_backend: str = "torch", epochs: int = 200,
                       hidden: int = 128) -> Tuple[Tensor, Dict[str, Tensor]]:
    r""":func:`~gcnal.selectors.typical_margin` with UncertainGCN's sampler
    steering the exploration.

    UncertainGCN ranks by the sampler's :math:`\sigma(z_i)` alone, closest to
    :math:`s_{margin}`; :math:`\sigma` is smooth over the graph, so the
    closest items sit in one region and a batch lands in one or two classes.
    Here the sampler only ranks the exploring picks, by

    .. math::
        e_i = \operatorname{pct}(t_i)\, \operatorname{pct}(1 - \sigma(z_i)),

    typical items whose neighbourhood the sampler finds unlike the labelled
    set (:func:`gcn_novelty`), kept a cell radius apart; the exploiting picks
    and the split are :func:`~gcnal.selectors.typical_margin`'s (the
    learner's margin among diverse candidates, in proportion to the labelled
    set's competence). Without ``scores`` every pick explores.

    Args:
        k (int): Neighbours for the typicality. (default: :obj:`20`)
        candidate_factor (int): Margin candidates per exploiting pick.
            (default: :obj:`10`)
        competence (float or str): The competence in :math:`[0, 1]`, or
            ``"auto"`` to measure it. (default: :obj:`"auto"`)
        knn_backend (str): Backend of the typicality's kNN search.
            (default: :obj:`"torch"`)
        epochs (int): Sampler training epochs. (default: :obj:`200`)
        hidden (int): Sampler hidden size. (default: :obj:`128`)

    Returns:
        ``(picks, pick_scores)`` as :func:`~gcnal.selectors.typical_margin`,
        plus ``"novelty"`` (:math:`1 - \sigma(z)`) per pick.
    """
    from ..graph import l2_normalize

    check_adaptive_options(k, candidate_factor, competence, knn_backend, "gcn_typical_margin")
    for name, value in (("epochs", epochs), ("hidden", hidden)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidParameterError(name, "an int >= 1", repr(value), "gcn_typical_margin")
    vectors = l2_normalize(embeddings.float())
    nearest = nearest_similarities(vectors, k, knn_backend, normalized=True)
    typical = typicality_from(nearest)
    novelty = gcn_novelty(embeddings, labelled_mask, epochs=epochs, hidden=hidden,
                          generator=generator)
    explore = percentile_rank(typical) * percentile_rank(novelty)
    picks, pick_scores = explore_exploit(scores, vectors, labelled_mask, budget, explore,
                                         competence=competence, candidate_factor=candidate_factor,
                                         generator=generator, nearest=nearest)
    return picks, {"typicality": typical[picks], "novelty": novelty[picks], **pick_scores}
