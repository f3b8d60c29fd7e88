"""The result of a selection round, with what led to it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np
import torch
from torch import Tensor


@dataclass
class Selection:
    """What :func:`gcnal.select` returns with ``return_info=True``.

    Attributes:
        indices: The picks, as :func:`gcnal.select` returns them (numpy or
            torch, int64, pick order).
        nodes: Pool indices of the items the sampler saw (the graph's nodes;
            the whole pool unless ``subset`` was given), int64 tensor.
        scores: Per-node output the selector ranked (the sampler's
            :math:`\\sigma(z)`, or ``probs``), aligned with ``nodes``; ``None``
            for methods that use none.
        embeddings: Per-node vectors the selector measured distances on (the
            sampler's hidden layer, or the raw features), aligned with ``nodes``.
        timings: Seconds spent per stage: ``graph``, ``train``, ``select``.
        info: What was decided on the way (graph form, cold start, ...).
        losses: The sampler's training loss per epoch (empty without one).
    """

    indices: Union[np.ndarray, Tensor]
    nodes: Tensor
    scores: Optional[Tensor]
    embeddings: Optional[Tensor]
    timings: Dict[str, float] = field(default_factory=dict)
    info: Dict[str, Any] = field(default_factory=dict)
    losses: list = field(default_factory=list)


def split_selector_output(result) -> Tuple[Tensor, Dict[str, Tensor]]:
    """A selector's return value as ``(indices, pick_scores)``.

    A selector returns either its picks (an int tensor or array of local node
    indices, in pick order) or a pair ``(picks, pick_scores)`` where
    ``pick_scores`` maps a column name (``"typicality"``, ``"uncertainty"``,
    ``"distance"`` ...) to a ``(budget,)`` tensor aligned with the picks: the
    value that decided each pick when it was made.
    """
    pick_scores: Dict[str, Tensor] = {}
    if isinstance(result, tuple):
        result, pick_scores = result
    indices = torch.as_tensor(result)
    return indices, {name: torch.as_tensor(value) for name, value in pick_scores.items()}
