"""Learning Loss's selector: the highest predicted loss first."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from .ranking import PicksAndScores, rank_with_scores


def learning_loss(scores: Tensor, embeddings: Optional[Tensor], labelled_mask: Tensor,
                  budget: int, *, generator: Optional[torch.Generator] = None) -> PicksAndScores:
    r"""Learning Loss (Yoo & Kweon, CVPR 2019): the unlabelled items whose
    predicted loss :math:`\hat l_i` (``predicted_loss=``, e.g. from a
    :class:`~gcnal.learner.LossPredictionModule`) is highest,

    .. math::
        \operatorname*{arg\,max}_{i \in U}^{(b)}\ \hat l_i,

    highest first, ties to the lowest index. Only the order of :math:`\hat l`
    matters, so a TA-VAAL ranker's output works as well. The pick's score is
    its ``"predicted_loss"``.
    """
    return rank_with_scores(-scores, labelled_mask, budget, predicted_loss=scores)
