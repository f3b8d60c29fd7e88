r"""Learner signals: what a learner may pass to :func:`gcnal.select` besides
its features, defined once in :data:`SIGNALS` (name, shape, check, help).

Every method accepts every signal; each is validated when given, and a method
reads the one its preset names (:attr:`gcnal.registry.Method.signal`) as the
selector's ``scores``, row-aligned with the pool. The signals a selection read
are listed in ``Selection.info["signals_used"]``. The ``select`` docstring,
the CLI flags and the tests are built from the table.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional

import torch
from torch import Tensor

from .errors import InvalidParameterError
from .validation import _as_tensor


def _rows_sum_to_one(p: Tensor, parameter: str, owner: str) -> None:
    if not bool(torch.isfinite(p).all()) or bool((p < 0).any()) or bool((p > 1).any()):
        raise InvalidParameterError(parameter, "finite probabilities in [0, 1]",
                                    "values outside [0, 1], NaN or inf", owner)
    sums = p.sum(dim=-1)
    if not bool(torch.allclose(sums, torch.ones_like(sums), atol=1e-3)):
        worst = float((sums - 1).abs().max())
        raise InvalidParameterError(parameter, "rows that sum to 1 (softmax outputs)",
                                    f"a row sum off by {worst:.3g}", owner)


def as_probs_tensor(probs, num_items: int, owner: str = "select") -> Tensor:
    """``probs`` as a float32 ``(N, C)`` tensor of class probabilities, C >= 2."""
    expected = f"a 2-D array of class probabilities of shape ({num_items}, C) with C >= 2"
    p = _as_tensor(probs, "probs", expected, owner)
    if p.dim() != 2 or p.size(0) != num_items or p.size(1) < 2:
        raise InvalidParameterError("probs", expected, f"shape {tuple(p.shape)}", owner)
    p = p.float()
    _rows_sum_to_one(p, "probs", owner)
    return p


def as_mc_probs_tensor(mc_probs, num_items: int, owner: str = "select") -> Tensor:
    """``mc_probs`` as a float32 ``(N, T, C)`` tensor: ``T >= 2`` softmax
    samples per item (MC dropout), ``C >= 2`` classes."""
    expected = (f"a 3-D array of MC-dropout class probabilities of shape ({num_items}, T, C) "
                "with T >= 2 samples and C >= 2 classes")
    p = _as_tensor(mc_probs, "mc_probs", expected, owner)
    if p.dim() != 3 or p.size(0) != num_items or p.size(1) < 2 or p.size(2) < 2:
        raise InvalidParameterError("mc_probs", expected, f"shape {tuple(p.shape)}", owner)
    p = p.float()
    _rows_sum_to_one(p, "mc_probs", owner)
    return p


def _as_per_item_reals(value, parameter: str, expected: str, num_items: int,
                       owner: str) -> Tensor:
    """``value`` as a finite float32 ``(num_items,)`` tensor."""
    v = _as_tensor(value, parameter, expected, owner)
    if v.dim() != 1 or v.size(0) != num_items or v.dtype == torch.bool or v.is_complex():
        raise InvalidParameterError(parameter, expected,
                                    f"shape {tuple(v.shape)} and dtype {v.dtype}", owner)
    v = v.float()
    if not bool(torch.isfinite(v).all()):
        raise InvalidParameterError(parameter, "finite values", "NaN or inf", owner)
    return v


def as_predicted_loss_tensor(predicted_loss, num_items: int, owner: str = "select") -> Tensor:
    """``predicted_loss`` as a float32 ``(N,)`` tensor of finite reals."""
    expected = f"a 1-D array of {num_items} predicted losses (one real number per item)"
    return _as_per_item_reals(predicted_loss, "predicted_loss", expected, num_items, owner)


def as_labelled_scores_tensor(labelled_scores, num_items: int, owner: str = "select") -> Tensor:
    r"""``labelled_scores`` as a float32 ``(N,)`` tensor of probabilities
    :math:`P(\text{labelled}) \in [0, 1]`."""
    expected = f"a 1-D array of {num_items} probabilities P(labelled) in [0, 1]"
    v = _as_per_item_reals(labelled_scores, "labelled_scores", expected, num_items, owner)
    if bool((v < 0).any()) or bool((v > 1).any()):
        raise InvalidParameterError("labelled_scores", "values in [0, 1]",
                                    "values outside [0, 1]", owner)
    return v


@dataclass(frozen=True)
class Signal:
    """One learner signal.

    Attributes:
        name: The :func:`gcnal.select` keyword (and ``--name`` CLI flag).
        shape: Its shape, e.g. ``"(N, C)"``.
        help: One line: what it holds.
        check: ``(value, num_items, owner) -> float32 tensor``, raising
            :class:`~gcnal.errors.InvalidParameterError` naming the signal.
    """

    name: str
    shape: str
    help: str
    check: Callable[..., Tensor]

    def __call__(self, value, num_items: int, owner: str = "select") -> Tensor:
        return self.check(value, num_items, owner)


#: Every learner signal, by name, in the order of :func:`gcnal.select`'s keywords.
SIGNALS: Dict[str, Signal] = {s.name: s for s in (
    Signal("probs", "(N, C)", "the learner's softmax class probabilities", as_probs_tensor),
    Signal("mc_probs", "(N, T, C)", "T >= 2 MC-dropout samples of the class probabilities",
           as_mc_probs_tensor),
    Signal("predicted_loss", "(N,)", "a loss-prediction head's output (any real)",
           as_predicted_loss_tensor),
    Signal("labelled_scores", "(N,)", "a labelled-vs-unlabelled head's P(labelled) in [0, 1]",
           as_labelled_scores_tensor),
)}


def check_signals(given: Mapping[str, Any], num_items: int,
                  owner: str = "select") -> Dict[str, Tensor]:
    """The validated tensor of every signal in ``given`` that is not ``None``
    (keyed by name); ``given`` holds only :data:`SIGNALS` names."""
    return {name: SIGNALS[name](value, num_items, owner)
            for name, value in given.items() if value is not None}


def read_signal(signal: Optional[str], signals: Mapping[str, Tensor], num_items: int,
                required: bool = True, owner: str = "select") -> Optional[Tensor]:
    """The checked ``signals[signal]`` a method reads; ``None`` when it reads
    none, or when it is optional (``required=False``) and not given; a
    missing required one is an error naming it and its expected shape."""
    if signal is None or (signal not in signals and not required):
        return None
    if signal not in signals:
        SIGNALS[signal](None, num_items, owner)  # raises, naming the signal
    return signals[signal]


def signals_docstring(indent: str = " " * 8) -> str:
    """The ``Args`` entry of :func:`gcnal.select` for the signals: one
    bullet per signal with its shape, help and the presets that read it."""
    from .registry import methods_reading

    lines = [f"{indent}{', '.join(SIGNALS)} (array, optional):",
             textwrap.fill("Learner signals (:data:`gcnal.signals.SIGNALS`), each checked when "
                           "given. Every method accepts every signal and reads the one it "
                           "needs; those read are ``Selection.info[\"signals_used\"]``, and a "
                           "missing one that a method needs is an error naming it.",
                           width=80, initial_indent=indent + "    ",
                           subsequent_indent=indent + "    "), ""]
    for s in SIGNALS.values():
        readers = ", ".join(methods_reading(s.name)) or "no built-in method"
        lines.append(textwrap.fill(f"- ``{s.name}`` :math:`{s.shape}`: {s.help} ({readers}).",
                                   width=80, initial_indent=indent + "    ",
                                   subsequent_indent=indent + "      "))
    return "\n".join(lines)
