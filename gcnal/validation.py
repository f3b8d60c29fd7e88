"""Input checks shared by :func:`gcnal.select`, the graph helpers and the CLI.

Each check converts to a tensor without touching the caller's object (numpy
arrays are copied by ``torch.as_tensor`` only when needed, and nothing is
written in place), and raises :class:`~gcnal.errors.InvalidParameterError`
naming the parameter on bad input.
"""
from __future__ import annotations

import numbers
from typing import Optional

import numpy as np
import torch
from torch import Tensor

from .errors import InvalidParameterError


def _describe(value) -> str:
    if isinstance(value, (np.ndarray, Tensor)):
        return f"{type(value).__name__} of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"


def _as_tensor(value, parameter: str, expected: str, owner: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise InvalidParameterError(parameter, expected, _describe(value), owner)
        return torch.from_numpy(np.ascontiguousarray(value))
    raise InvalidParameterError(parameter, expected + " (numpy array or torch tensor)",
                                _describe(value), owner)


def as_feature_tensor(features, owner: str = "select", parameter: str = "features") -> Tensor:
    """``features`` as a float32 ``(N, d)`` tensor on its own device; finite, N >= 1."""
    expected = "a 2-D array of real numbers (N items, d features)"
    x = _as_tensor(features, parameter, expected, owner)
    if x.dim() != 2 or x.size(0) == 0 or x.size(1) == 0:
        raise InvalidParameterError(parameter, expected + " with N >= 1 and d >= 1",
                                    f"shape {tuple(x.shape)}", owner)
    if x.dtype == torch.bool or x.is_complex():
        raise InvalidParameterError(parameter, expected, f"dtype {x.dtype}", owner)
    x = x.float()
    if not bool(torch.isfinite(x).all()):
        bad = int((~torch.isfinite(x)).any(dim=1).sum())
        raise InvalidParameterError(parameter, "finite (no NaN or inf)",
                                    f"{bad} row(s) with NaN or inf", owner)
    return x


def as_mask_tensor(mask, num_items: int, owner: str = "select",
                   parameter: str = "labelled_mask") -> Tensor:
    """``mask`` as a bool ``(N,)`` tensor; bools, or integers that are all 0 or 1."""
    expected = f"a 1-D boolean mask of length {num_items} (0/1 integers accepted)"
    m = _as_tensor(mask, parameter, expected, owner)
    if m.dim() != 1 or m.size(0) != num_items:
        raise InvalidParameterError(parameter, expected, f"shape {tuple(m.shape)}", owner)
    if m.dtype == torch.bool:
        return m
    if m.is_floating_point() or m.is_complex():
        raise InvalidParameterError(parameter, expected, f"dtype {m.dtype}", owner)
    if not bool(((m == 0) | (m == 1)).all()):
        raise InvalidParameterError(parameter, expected, "integers other than 0 and 1", owner)
    return m.bool()


def check_budget(budget, num_unlabelled: int, owner: str = "select") -> int:
    """``budget`` as an int in ``[1, num_unlabelled]``."""
    if num_unlabelled == 0:
        raise InvalidParameterError("labelled_mask", "a mask with at least one unlabelled item",
                                    "a mask with every item labelled", owner)
    expected = f"an int in [1, {num_unlabelled}] (the number of unlabelled items)"
    if isinstance(budget, bool) or not isinstance(budget, numbers.Integral):
        raise InvalidParameterError("budget", expected, _describe(budget), owner)
    if not 1 <= int(budget) <= num_unlabelled:
        raise InvalidParameterError("budget", expected, int(budget), owner)
    return int(budget)


def check_positive_int(value, parameter: str, owner: str = "select",
                       allow_none: bool = False) -> Optional[int]:
    """``value`` as an int >= 1 (or ``None`` when allowed)."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        expected = "a positive int" + (" or None" if allow_none else "")
        raise InvalidParameterError(parameter, expected, _describe(value), owner)
    return int(value)


def check_real(value, parameter: str, low: float, high: float, owner: str = "select",
               low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a float in the interval ``[low, high]`` (ends open if asked)."""
    interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        v = float(value)
        ok = (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
    if not ok:
        raise InvalidParameterError(parameter, f"a real number in {interval}",
                                    _describe(value), owner)
    return float(value)


def check_hyper_parameters(owner: str, dropout: float, **positive_ints: int) -> None:
    """Raise :class:`~gcnal.errors.InvalidParameterError` naming ``owner``
    unless every keyword is a positive int and ``dropout`` is in ``[0, 1)``."""
    for name, value in positive_ints.items():
        check_positive_int(value, name, owner)
    check_real(dropout, "dropout", 0.0, 1.0, owner, high_open=True)


def resolve_device(device, default: torch.device, owner: str = "select") -> torch.device:
    """``device`` as a :class:`torch.device`; ``None`` keeps ``default``."""
    if device is None:
        return default
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise InvalidParameterError("device", "a torch device such as 'cpu' or 'cuda:0'",
                                    repr(device), owner) from err
