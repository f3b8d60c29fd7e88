"""The one check every selection passes before it is returned: exactly
``budget`` unique, unlabelled, in-range int64 indices."""
from __future__ import annotations

from typing import Callable, Union

import torch
from torch import Tensor

from .errors import InvalidSelectionError


def selector_name(selector: Union[Callable, str]) -> str:
    """The name a selector goes by in messages."""
    if isinstance(selector, str):
        return selector
    return getattr(selector, "__name__", type(selector).__name__)


def check_selection(picks: Tensor, labelled_mask: Tensor, budget: int,
                    selector: Union[Callable, str]) -> Tensor:
    r"""``picks`` as int64 on the mask's device when they are a valid
    selection of the pool that ``labelled_mask`` describes: 1-D, exactly
    ``budget`` integers in :math:`[0, N)`, no repeat, none labelled.
    Otherwise :class:`~gcnal.errors.InvalidSelectionError` naming the
    selector and what is wrong."""
    name = selector_name(selector)
    n = labelled_mask.numel()
    if picks.dtype == torch.bool or picks.is_floating_point() or picks.is_complex():
        raise InvalidSelectionError(name, f"indices of dtype {picks.dtype}, not integers")
    if picks.dim() != 1 or picks.numel() != budget:
        raise InvalidSelectionError(name, f"shape {tuple(picks.shape)} for a budget of {budget}")
    picks = picks.to(device=labelled_mask.device, dtype=torch.long)
    outside = (picks < 0) | (picks >= n)
    if bool(outside.any()):
        raise InvalidSelectionError(
            name, f"{int(outside.sum())} index(es) outside [0, {n}), e.g. "
                  f"{int(picks[outside][0])}")
    repeats = budget - int(torch.unique(picks).numel())
    if repeats:
        raise InvalidSelectionError(name, f"{repeats} repeated index(es)")
    labelled = labelled_mask[picks]
    if bool(labelled.any()):
        raise InvalidSelectionError(
            name, f"{int(labelled.sum())} labelled item(s), e.g. {int(picks[labelled][0])}")
    return picks
