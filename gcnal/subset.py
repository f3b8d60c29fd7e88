"""The random subset of a pool that a method works on: every labelled item
plus a uniform draw of unlabelled ones."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from .errors import InvalidParameterError
from .validation import check_positive_int


def draw_subset(labelled: Tensor, size: Optional[int], budget: int,
                generator: Optional[torch.Generator], parameter: str = "subset",
                owner: str = "select") -> Tensor:
    r"""Pool indices, in pool order, of every labelled item plus ``size``
    unlabelled items drawn uniformly without replacement from ``generator``
    (one ``randperm`` over the unlabelled items); the whole pool when
    ``size`` is ``None`` or at least the number of unlabelled items.

    Args:
        labelled (torch.Tensor): :math:`(N,)` booleans.
        size (int, optional): Unlabelled items to draw, at least ``budget``.
        budget (int): The picks to come, which must fit in the draw.
        generator (torch.Generator, optional): Source of the draw.
        parameter, owner (str): Names for the error on a bad ``size``.
    """
    size = check_positive_int(size, parameter, owner, allow_none=True)
    unlabelled = torch.nonzero(~labelled, as_tuple=True)[0]
    if size is None or size >= unlabelled.numel():
        return torch.arange(labelled.numel(), device=labelled.device)
    if size < budget:
        raise InvalidParameterError(parameter, f"None or an int >= budget ({budget})", size,
                                    owner)
    draw = torch.randperm(unlabelled.numel(), generator=generator, device=labelled.device)
    keep = labelled.clone()
    keep[unlabelled[draw[:size]]] = True
    return torch.nonzero(keep, as_tuple=True)[0]
