"""Methods without a sampler: the selector runs on the raw features (and on
the learner signal the preset names), and no graph is built."""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

import torch
from torch import Tensor

from ..options import merge_options
from ..registry import SELECTOR_NOTES
from ..signals import read_signal
from .base import Outcome, SelectionMethod, run_selector, selector_options


class SelectorMethod(SelectionMethod):
    """A preset without a sampler, e.g. ``coreset``, ``entropy``,
    ``typical_diverse``. Its options are its selector's keyword-only
    parameters (with the selector's defaults, see
    :func:`~gcnal.options.signature_options`).

    Args:
        name: The preset's name.
        selector: The selector function.
        signal: The learner signal it reads as ``scores`` (a
            :data:`~gcnal.signals.SIGNALS` name) or ``None``.
        signal_required: Whether a missing ``signal`` is an error (else the
            selector gets ``scores=None``).
    """

    def __init__(self, name: str, selector: Callable, signal: Optional[str] = None,
                 signal_required: bool = True):
        super().__init__(name, selector, merge_options(selector_options(selector)))
        self.signal = signal
        self.signal_required = signal_required

    def run(self, x: Tensor, labelled: Tensor, budget: int, signals: Mapping[str, Tensor],
            settings: Mapping[str, Any], generator: torch.Generator) -> Outcome:
        scores = read_signal(self.signal, signals, x.size(0), self.signal_required)
        options = self.values(settings, "selector")
        local, pick_scores, seconds = run_selector(self.selector, scores, x, labelled, budget,
                                                   generator, options)
        nodes = torch.arange(x.size(0), device=x.device)
        info = {"signals_used": [] if scores is None else [self.signal],
                "pick_scores": pick_scores}
        notes = SELECTOR_NOTES.get(self.selector)
        if notes is not None:
            info.update(notes(scores, labelled, budget, **options))
        timings = {"graph": 0.0, "train": 0.0, "select": seconds}
        return Outcome(local.to(x.device), nodes, scores, x, timings, info)
