r"""Uncertainty baselines on the learner's class probabilities.

``scores`` are the learner's softmax outputs :math:`P \in [0, 1]^{N \times C}`
(``probs=`` in :func:`gcnal.select`). Each selector picks the most uncertain
unlabelled items first, ties to the lowest index.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from .ranking import rank_unlabelled


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
                     budget: int, *, generator: Optional[torch.Generator] = None) -> Tensor:
    r"""Smallest top-1 probability first: :math:`\operatorname{arg\,min}_i \max_c P_{ic}`."""
    return rank_unlabelled(scores.max(dim=1).values, labelled_mask, budget)


def margin(scores: Tensor, embeddings: Optional[Tensor], labelled_mask: Tensor,
           budget: int, *, generator: Optional[torch.Generator] = None) -> Tensor:
    r"""Smallest gap between the two most likely classes first:
    :math:`\operatorname{arg\,min}_i P_{i,(1)} - P_{i,(2)}`."""
    return rank_unlabelled(top2_gap(scores), labelled_mask, budget)


def entropy(scores: Tensor, embeddings: Optional[Tensor], labelled_mask: Tensor,
            budget: int, *, generator: Optional[torch.Generator] = None) -> Tensor:
    r"""Highest predictive entropy first:
    :math:`\operatorname{arg\,max}_i -\sum_c P_{ic} \log P_{ic}` (with
    :math:`0 \log 0 = 0`)."""
    return rank_unlabelled(-predictive_entropy(scores), labelled_mask, budget)
