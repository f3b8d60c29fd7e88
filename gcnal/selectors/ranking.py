"""Turning a per-item priority into a selection."""
from __future__ import annotations

from typing import Dict, Tuple

import torch
from torch import Tensor

#: What a built-in selector returns: its picks, in pick order, and per-pick
#: columns (each ``(budget,)``, aligned with the picks) holding the values that
#: decided them.
PicksAndScores = Tuple[Tensor, Dict[str, Tensor]]


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


def rank_with_scores(priority: Tensor, labelled_mask: Tensor, budget: int,
                     **columns: Tensor) -> PicksAndScores:
    r""":func:`rank_unlabelled`'s picks with the per-item ``columns``
    (each :math:`(N,)`) read at the picks: a selector's
    ``(picks, pick_scores)`` (see :func:`gcnal.selection.split_selector_output`)."""
    picks = rank_unlabelled(priority, labelled_mask, budget)
    return picks, {name: values[picks] for name, values in columns.items()}
