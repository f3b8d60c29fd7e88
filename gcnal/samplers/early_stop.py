r"""Stopping a sampler's training once the picks it would make stop changing.

Every :data:`CHECK_EVERY` epochs the sampler scores the pool (eval mode, no
dropout, so no random draw) and a ``picks`` function turns the scores into
the would-be picks :math:`P_t`. With :math:`P_{t-1}` the previous check's,
the overlap is

.. math::
    o_t = \frac{|P_t \cap P_{t-1}|}{|P_t|},

and training stops once :math:`o_t \ge \tau` at :data:`PATIENCE`
consecutive checks. The scores are a deterministic function of the
parameters, so the stopping epoch is as deterministic as the training.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Tuple

import torch
from torch import Tensor, nn

#: Epochs between two checks of the would-be picks.
CHECK_EVERY = 10

#: Consecutive checks whose overlap must reach the threshold.
PATIENCE = 2


class PickWatch:
    r"""The stopping rule of the module docstring for one training.

    Args:
        picks: ``picks(scores) -> indices``: the would-be picks of the
            :math:`(N,)` scores :math:`\sigma(z)`.
        threshold: :math:`\tau \in (0, 1]`.
        every: Epochs between checks. (default: :data:`CHECK_EVERY`)
        patience: Consecutive checks at :math:`\tau` or above.
            (default: :data:`PATIENCE`)

    Attributes:
        history: ``(epoch, overlap)`` of every check after the first.
        stopped_at: The epoch training stopped at, or ``None``.
    """

    def __init__(self, picks: Callable[[Tensor], Tensor], threshold: float,
                 every: int = CHECK_EVERY, patience: int = PATIENCE):
        self.picks, self.threshold = picks, threshold
        self.every, self.patience = every, patience
        self.history: List[Tuple[int, float]] = []
        self.stopped_at: Optional[int] = None
        self._last: Optional[Tensor] = None
        self._streak = 0

    @torch.no_grad()
    def converged(self, sampler: nn.Module, x: Tensor, adj: Any, epoch: int) -> bool:
        """After ``epoch`` epochs (counted from 1): whether to stop. Checks
        only every :attr:`every` epochs; leaves ``sampler`` in training mode."""
        if epoch % self.every:
            return False
        sampler.eval()
        picks = self.picks(torch.sigmoid(sampler(x, adj)))
        sampler.train()
        return self.observe(picks, epoch, x.size(0))

    def observe(self, picks: Tensor, epoch: int, num_nodes: int) -> bool:
        """The rule on one check's would-be ``picks`` (indices into
        ``num_nodes`` nodes) after ``epoch`` epochs: whether to stop."""
        last, self._last = self._last, picks
        if last is None:
            return False
        overlap = pick_overlap(last, picks, num_nodes)
        self.history.append((epoch, overlap))
        self._streak = self._streak + 1 if overlap >= self.threshold else 0
        if self._streak >= self.patience:
            self.stopped_at = epoch
        return self.stopped_at is not None


def pick_overlap(previous: Tensor, picks: Tensor, num_nodes: int) -> float:
    r""":math:`|P \cap P'| / |P'|` for the index sets ``previous`` :math:`P`
    and ``picks`` :math:`P'` among ``num_nodes`` nodes (1 for no picks)."""
    if picks.numel() == 0:
        return 1.0
    chosen = torch.zeros(num_nodes, dtype=torch.bool, device=picks.device)
    chosen[previous] = True
    return float(chosen[picks].sum()) / picks.numel()
