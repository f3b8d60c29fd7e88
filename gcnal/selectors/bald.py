r"""Selectors on MC-dropout samples :math:`p_{itc}`, :math:`(N, T, C)`
(``mc_probs=`` in :func:`gcnal.select`, e.g. from
:func:`gcnal.learner.mc_dropout_probs`)."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from .probability import entropy, predictive_entropy
from .ranking import PicksAndScores, rank_with_scores


def mutual_information(mc_probs: Tensor) -> Tensor:
    r"""BALD's score, the mutual information between an item's label and the
    model parameters, estimated from :math:`T` samples,

    .. math::
        I_i = H\Big[\frac1T \sum_t p_{it\cdot}\Big] - \frac1T \sum_t H[p_{it\cdot}],
        \qquad H[p] = -\sum_c p_c \log p_c,

    :math:`(N, T, C) \to (N,)`, :math:`\geq 0` up to rounding: high when the
    samples are each confident but disagree."""
    return predictive_entropy(mc_probs.mean(dim=1)) - predictive_entropy(mc_probs).mean(dim=1)


def bald(scores: Tensor, embeddings: Optional[Tensor], labelled_mask: Tensor,
         budget: int, *, generator: Optional[torch.Generator] = None) -> PicksAndScores:
    r"""BALD (Houlsby et al., 2011; with MC dropout, Gal et al., ICML 2017):
    the highest :func:`mutual_information` first, ties to the lowest index.
    Unlike entropy, an item whose samples agree on a uniform prediction
    (aleatoric noise) scores 0. The pick's score is its ``"mutual_information"``."""
    information = mutual_information(scores)
    return rank_with_scores(-information, labelled_mask, budget,
                            mutual_information=information)


def mc_entropy(scores: Tensor, embeddings: Optional[Tensor], labelled_mask: Tensor,
               budget: int, *, generator: Optional[torch.Generator] = None) -> PicksAndScores:
    r"""Max entropy with MC dropout (Gal et al., ICML 2017): :func:`entropy`
    of the mean prediction :math:`\frac1T \sum_t p_{it\cdot}` (the pick's
    ``"entropy"``)."""
    return entropy(scores.mean(dim=1), embeddings, labelled_mask, budget, generator=generator)
