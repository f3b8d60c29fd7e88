"""Turning a per-item priority into a selection."""
from __future__ import annotations

import torch
from torch import Tensor


def rank_unlabelled(priority: Tensor, labelled_mask: Tensor, budget: int) -> Tensor:
    r"""The ``budget`` unlabelled items of lowest ``priority``, lowest first;
    ties go to the lowest index (stable sort).

    Shapes:
        - **priority:** :math:`(N,)`; **labelled_mask:** :math:`(N,)`
        - **output:** :math:`(\text{budget},)` int64 indices into the pool
    """
    candidates = torch.nonzero(~labelled_mask, as_tuple=True)[0]
    order = torch.sort(priority[candidates], stable=True).indices
    return candidates[order[:budget]]
