"""Functional pieces shared by the learner hooks."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Tuple

from torch import Tensor, nn

from ..errors import InvalidParameterError


def global_average_pool(x: Tensor) -> Tensor:
    r"""A feature map :math:`(B, C, *)` averaged over its spatial dimensions
    to :math:`(B, C)`; a :math:`(B, C)` vector is returned as it is."""
    return x.flatten(2).mean(dim=2) if x.dim() > 2 else x


def mirror_pairs(pred: Tensor, target: Tensor, owner: str) -> Tuple[Tensor, Tensor]:
    r"""Learning Loss's pairing of a batch: item :math:`i` with item
    :math:`B - 1 - i` for :math:`i < \lfloor B/2 \rfloor` (an odd batch leaves
    its middle item out). Returns the differences
    :math:`\hat l_i - \hat l_{B-1-i}` and the detached
    :math:`l_i - l_{B-1-i}`, each :math:`(\lfloor B/2 \rfloor,)`."""
    if not isinstance(pred, Tensor) or pred.dim() != 1 or pred.size(0) < 2:
        shape = tuple(pred.shape) if isinstance(pred, Tensor) else type(pred).__name__
        raise InvalidParameterError("pred", "a 1-D tensor of B >= 2 predicted losses", shape, owner)
    if not isinstance(target, Tensor) or target.shape != pred.shape:
        shape = tuple(target.shape) if isinstance(target, Tensor) else type(target).__name__
        raise InvalidParameterError("target", f"a tensor of per-item losses of shape "
                                    f"{tuple(pred.shape)} (like pred)", shape, owner)
    half = pred.size(0) // 2
    target = target.detach()
    return (pred - pred.flip(0))[:half], (target - target.flip(0))[:half]


@contextmanager
def eval_mode(*modules: nn.Module) -> Iterator[None]:
    """Every given module (and its children) in eval mode inside the block;
    each submodule's own ``training`` flag is restored on exit."""
    saved = [(m, m.training) for module in modules for m in module.modules()]
    for module in modules:
        module.eval()
    try:
        yield
    finally:
        for m, training in saved:
            m.training = training


def check_module(value, parameter: str, owner: str) -> nn.Module:
    """``value`` if it is an :class:`torch.nn.Module`, else an error naming ``parameter``."""
    if not isinstance(value, nn.Module):
        raise InvalidParameterError(parameter, "a torch.nn.Module", type(value).__name__, owner)
    return value


def check_batch(inputs, owner: str, parameter: str = "inputs") -> Tensor:
    """``inputs`` if it is a tensor with at least one item (dimension 0)."""
    if not isinstance(inputs, Tensor) or inputs.dim() == 0 or inputs.size(0) == 0:
        got = tuple(inputs.shape) if isinstance(inputs, Tensor) else type(inputs).__name__
        raise InvalidParameterError(parameter, "a tensor of N >= 1 items along dimension 0",
                                    got, owner)
    return inputs


__all__ = ["check_batch", "check_module", "eval_mode", "global_average_pool",
           "mirror_pairs"]
