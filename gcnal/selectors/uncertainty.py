"""UncertainGCN's selector: scores closest to a margin."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from .ranking import PicksAndScores, rank_with_scores


def closest_to_margin(scores: Tensor, embeddings: Optional[Tensor], labelled_mask: Tensor,
                      budget: int, *, generator: Optional[torch.Generator] = None,
                      s_margin: float = 0.1) -> PicksAndScores:
    r"""UncertainGCN (Sequential GCN, Eq. 5 as the original code applies it):
    the unlabelled items whose sampler score :math:`\sigma(z_i)` (probability
    of "labelled") is closest to :math:`s_{margin}`,

    .. math::
        \operatorname*{arg\,min}_{i \in U}^{(b)}\ \lvert \sigma(z_i) - s_{margin} \rvert,

    closest first, ties to the lowest index. ``embeddings`` and ``generator``
    are unused (deterministic). Each pick's ``"score"`` is its
    :math:`\sigma(z_i)` and ``"distance_to_margin"`` its
    :math:`\lvert \sigma(z_i) - s_{margin} \rvert`.

    Args:
        s_margin (float): The target score :math:`s_{margin} \in [0, 1]`.
            (default: :obj:`0.1`)
    """
    distance = (scores - s_margin).abs()
    return rank_with_scores(distance, labelled_mask, budget, score=scores,
                            distance_to_margin=distance)
