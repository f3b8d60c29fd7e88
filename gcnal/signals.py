r"""Learner signals: what a learner may pass to :func:`gcnal.select` besides
its features.

A preset names at most one signal (:attr:`gcnal.registry.Method.signal`);
``select`` validates it and hands it to the selector as ``scores``, row-aligned
with the pool (one row per item, so a subset keeps the rows of its items).

=================== ===================== =========================================
keyword             shape                 meaning
=================== ===================== =========================================
``probs``           :math:`(N, C)`        softmax class probabilities
``mc_probs``        :math:`(N, T, C)`     :math:`T` MC-dropout softmax samples
``predicted_loss``  :math:`(N,)`          a loss-prediction head's output (any real)
``labelled_scores`` :math:`(N,)`          a labelled-vs-unlabelled head's
                                          :math:`P(\text{labelled})` in [0, 1]
=================== ===================== =========================================
"""
from __future__ import annotations

from typing import Callable, Dict

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


#: Signal name -> validator ``(value, num_items, owner) -> tensor``.
SIGNALS: Dict[str, Callable[..., Tensor]] = {
    "probs": as_probs_tensor,
    "mc_probs": as_mc_probs_tensor,
    "predicted_loss": as_predicted_loss_tensor,
    "labelled_scores": as_labelled_scores_tensor,
}


def check_signals(signal, given: Dict[str, object], num_items: int, method: str,
                  owner: str = "select", required: bool = True):
    """The validated tensor of the preset's ``signal`` (``None`` if it has
    none, or if it is not ``required`` and not given; a missing required one
    is an error naming its expected shape); every other signal in ``given``
    must be ``None``, since nothing would read it."""
    for name, value in given.items():
        if name != signal and value is not None:
            raise InvalidParameterError(name, f"None for method '{method}' (it does not use "
                                        f"'{name}')", "an array", owner)
    if signal is None or (not required and given.get(signal) is None):
        return None
    return SIGNALS[signal](given.get(signal), num_items, owner)
