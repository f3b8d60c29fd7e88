"""Random sampling without replacement."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from .ranking import PicksAndScores


def random_sampling(scores: Optional[Tensor], embeddings: Optional[Tensor], labelled_mask: Tensor,
                    budget: int, *, generator: Optional[torch.Generator] = None
                    ) -> PicksAndScores:
    r"""``budget`` distinct unlabelled items drawn uniformly from ``generator``
    (the original code drew with replacement and lost about 5% of each batch
    to duplicates; this does not). No value decides a pick, so there are no
    per-pick scores (an empty dict)."""
    candidates = torch.nonzero(~labelled_mask, as_tuple=True)[0]
    order = torch.randperm(candidates.numel(), generator=generator, device=candidates.device)
    return candidates[order[:budget]], {}
