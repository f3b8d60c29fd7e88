"""Input checks shared by :func:`gcnal.select`, the graph helpers and the CLI.

Each check converts to a tensor without touching the caller's object (numpy
arrays are copied by ``torch.as_tensor`` only when needed, and nothing is
written in place), and raises :class:`~gcnal.errors.InvalidParameterError`
naming the parameter on bad input.
"""
from __future__ import annotations

import numbers
from typing import Optional, Sequence, Tuple

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
    return check_int(budget, "budget", owner, low=1, high=num_unlabelled,
                     detail="the number of unlabelled items")


def _expected(description: str, allow_none: bool, alternative: Optional[str]) -> str:
    return (f"{alternative} or " if alternative else "") + description + \
        (" or None" if allow_none else "")


def check_int(value, parameter: str, owner: str = "select", low: int = 1,
              high: Optional[int] = None, allow_none: bool = False,
              alternative: Optional[str] = None, detail: str = "") -> Optional[int]:
    """``value`` as an int in ``[low, high]`` (no upper end for ``high=None``;
    ``None`` passes when allowed). ``alternative`` names another accepted
    value that the caller handles (e.g. ``"'auto'"``) and ``detail`` explains
    the bounds, both only for the message."""
    if value is None and allow_none:
        return None
    is_int = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not is_int or value < low or (high is not None and value > high):
        if high is not None:
            description = f"an int in [{low}, {high}]"
        else:
            description = {1: "a positive int", 0: "a non-negative int"}.get(low,
                                                                             f"an int >= {low}")
        description += f" ({detail})" if detail else ""
        raise InvalidParameterError(parameter, _expected(description, allow_none, alternative),
                                    int(value) if is_int else _describe(value), owner)
    return int(value)


def check_positive_int(value, parameter: str, owner: str = "select",
                       allow_none: bool = False) -> Optional[int]:
    """``value`` as an int >= 1 (or ``None`` when allowed)."""
    return check_int(value, parameter, owner, low=1, allow_none=allow_none)


def check_positive_ints(values, parameter: str, owner: str = "select", nonempty: bool = False,
                        detail: str = "") -> Tuple[int, ...]:
    """``values`` as a tuple of ints >= 1, each checked as ``parameter[i]``;
    ``detail`` says what they are, for the message."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) \
            or (nonempty and len(values) == 0):
        expected = ("a non-empty sequence" if nonempty else "a sequence") + " of ints" + \
            (f" ({detail})" if detail else "")
        raise InvalidParameterError(parameter, expected, repr(values), owner)
    return tuple(check_positive_int(v, f"{parameter}[{i}]", owner) for i, v in enumerate(values))


def check_real(value, parameter: str, low: float, high: float, owner: str = "select",
               low_open: bool = False, high_open: bool = False, allow_none: bool = False,
               alternative: Optional[str] = None) -> Optional[float]:
    """``value`` as a float in the interval ``[low, high]`` (ends open if asked;
    ``None`` passes when allowed; ``alternative`` as for :func:`check_int`)."""
    if value is None and allow_none:
        return None
    interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        v = float(value)
        ok = (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
    if not ok:
        raise InvalidParameterError(
            parameter, _expected(f"a real number in {interval}", allow_none, alternative),
            _describe(value), owner)
    return float(value)


def check_choice(value, parameter: str, choices, owner: str = "select"):
    """``value`` itself when it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise InvalidParameterError(parameter, f"one of {list(choices)}", repr(value), owner)
    return value


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
