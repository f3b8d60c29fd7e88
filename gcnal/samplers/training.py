"""Training a sampler to tell labelled from unlabelled pool items, and scoring."""
from __future__ import annotations

import logging
from typing import Any, List, Optional, Tuple

import torch
from torch import Tensor, nn

from ..losses import weighted_bce_with_logits
from ..options import supported_kwargs
from ..typing import WITH_TQDM

log = logging.getLogger(__name__)


def _epochs(epochs: int, progress: bool):
    if progress and WITH_TQDM:
        from tqdm.auto import trange

        return trange(epochs, desc="gcnal: training sampler", leave=False)
    return range(epochs)


def train_sampler(sampler: nn.Module, x: Tensor, adj: Any, labelled_mask: Tensor, *,
                  epochs: int = 200, lr: float = 1e-3, weight_decay: float = 5e-4,
                  lambda_unlabelled: float = 1.2,
                  generator: Optional[torch.Generator] = None,
                  progress: bool = False) -> List[float]:
    r"""Full-batch training of ``sampler`` with Adam on
    :func:`~gcnal.losses.weighted_bce_with_logits` (labelled = 1,
    unlabelled = 0), dropout on. Parameters are re-initialised from
    ``generator`` first when the sampler's ``reset_parameters`` accepts one.

    Returns:
        The loss of every epoch.
    """
    if hasattr(sampler, "reset_parameters"):
        sampler.reset_parameters(**supported_kwargs(sampler.reset_parameters,
                                                    {"generator": generator}))
    forward_kwargs = supported_kwargs(sampler.forward, {"generator": generator})
    optimizer = torch.optim.Adam(sampler.parameters(), lr=lr, weight_decay=weight_decay)
    sampler.train()
    losses = []
    for epoch in _epochs(epochs, progress):
        optimizer.zero_grad()
        loss = weighted_bce_with_logits(sampler(x, adj, **forward_kwargs), labelled_mask,
                                        lambda_unlabelled)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
        if progress and not WITH_TQDM and (epoch + 1) % 50 == 0:
            log.info("sampler epoch %d/%d: loss %.4f", epoch + 1, epochs, losses[-1])
    return losses


@torch.no_grad()
def score_sampler(sampler: nn.Module, x: Tensor, adj: Any) -> Tuple[Tensor, Tensor]:
    r"""Eval-mode scores :math:`\sigma(\mathbf{z})` of shape :math:`(N,)` and
    embeddings :math:`(N, h)` of a trained sampler."""
    sampler.eval()
    return torch.sigmoid(sampler(x, adj)), sampler.embed(x, adj)
