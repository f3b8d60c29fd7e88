r"""Uncertainty baselines on the learner's class probabilities.

``scores`` are the learner's softmax outputs :math:`P \in [0, 1]^{N \times C}`
(``probs=`` in :func:`gcnal.select`). Each selector picks the most uncertain
unlabelled items first, ties to the lowest index, and returns the value it
ranked by as the pick's score (``"confidence"``, ``"margin"``, ``"entropy"``).
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from .ranking import PicksAndScores, rank_with_scores


def predictive_entropy(probs: Tensor) -> Tensor:
    r"""Entropy over the last dimension, :math:`-\sum_c p_c \log p_c` (with
    :math:`0 \log 0 = 0`): :math:`(\dots, C) \to (\dots)`."""
    return -torch.special.xlogy(probs, probs).sum(dim=-1)


def top2_gap(probs: Tensor) -> Tensor:
    r"""Gap between the two most likely classes, :math:`P_{i,(1)} - P_{i,(2)}`,
    in :math:`[0, 1]`; small means uncertain."""
    top2 = probs.topk(2, dim=1).values
    return top2[:, 0] - top2[:, 1]


def least_confidence(scores: Tensor, embeddings: Optional[Tensor], labelled_mask: Tensor,
                     budget: int, *, generator: Optional[torch.Generator] = None
                     ) -> PicksAndScores:
    r"""Smallest top-1 probability first: :math:`\operatorname{arg\,min}_i \max_c P_{ic}`;
    the pick's ``"confidence"`` is its :math:`\max_c P_{ic}`."""
    confidence = scores.max(dim=1).values
    return rank_with_scores(confidence, labelled_mask, budget, confidence=confidence)


def margin(scores: Tensor, embeddings: Optional[Tensor], labelled_mask: Tensor,
           budget: int, *, generator: Optional[torch.Generator] = None) -> PicksAndScores:
    r"""Smallest gap between the two most likely classes first:
    :math:`\operatorname{arg\,min}_i P_{i,(1)} - P_{i,(2)}`, the pick's
    ``"margin"``."""
    gap = top2_gap(scores)
    return rank_with_scores(gap, labelled_mask, budget, margin=gap)


def entropy(scores: Tensor, embeddings: Optional[Tensor], labelled_mask: Tensor,
            budget: int, *, generator: Optional[torch.Generator] = None) -> PicksAndScores:
    r"""Highest predictive entropy first:
    :math:`\operatorname{arg\,max}_i -\sum_c P_{ic} \log P_{ic}` (with
    :math:`0 \log 0 = 0`), the pick's ``"entropy"``."""
    h = predictive_entropy(scores)
    return rank_with_scores(-h, labelled_mask, budget, entropy=h)
