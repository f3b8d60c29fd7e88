"""What every method shares: its options, the signal it reads, running its selector."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional

import torch
from torch import Tensor

from ..options import Option, check_options, group_values, signature_options, supported_kwargs
from ..progress import log_stage
from ..registry import SELECTOR_CHECKS
from ..selection import split_selector_output

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What a method's :meth:`~SelectionMethod.run` found: the picks as pool
    indices (on the compute device) and the :class:`~gcnal.Selection`
    fields that explain them."""

    picks: Tensor
    nodes: Tensor
    scores: Optional[Tensor]
    embeddings: Optional[Tensor]
    timings: Dict[str, float]
    info: Dict[str, Any]
    losses: List[float] = field(default_factory=list)


def elapsed(start: float, device: torch.device) -> float:
    """Seconds since ``start``, after the device's queued work has finished."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def selector_options(selector: Callable) -> List[Option]:
    """A selector's options: its keyword-only parameters but ``generator``,
    with its defaults, checked by their annotations or by the ``checks`` it
    was registered with."""
    return signature_options(selector, "selector", keyword_only=True, skip=("generator",),
                             checks=SELECTOR_CHECKS.get(selector))


def run_selector(selector: Callable, scores: Optional[Tensor], embeddings: Tensor,
                 labelled: Tensor, budget: int, generator: torch.Generator,
                 options: Mapping[str, Any]):
    """``(local picks, pick_scores, seconds)`` of ``selector`` on the nodes,
    logged as the ``selection`` stage; it gets ``generator`` if it takes
    one, and ``options`` (its checked keyword-only options) as keywords."""
    extra = supported_kwargs(selector, {"generator": generator})
    with log_stage(log, "selection", embeddings.device) as stage:
        stage["detail"] = f"{getattr(selector, '__name__', 'selector')}, {budget} picks"
        local, pick_scores = split_selector_output(selector(scores, embeddings, labelled,
                                                            budget, **extra, **options))
    return local, pick_scores, stage["seconds"]


class SelectionMethod:
    """A method resolved for one call: the options it reads (name ->
    :class:`~gcnal.options.Option`, each with its default, check and help)
    and how it runs. Subclasses set :attr:`options` and implement
    :meth:`run`.

    Args:
        name: The preset's name (for messages and ``Selection.info``).
        selector: The selector function.
    """

    def __init__(self, name: str, selector: Callable, options: Dict[str, Option]):
        self.name = name
        self.selector = selector
        self.options = options

    def check_options(self, given: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
        """Every option's value (``given``'s, checked, or the default); an
        option this method does not read is an error listing its own."""
        return check_options(given, self.options, self.name)

    def values(self, settings: Mapping[str, Any], group: str) -> Dict[str, Any]:
        """``param -> value`` of the options of one group."""
        return group_values(self.options, settings, group)

    def run(self, x: Tensor, labelled: Tensor, budget: int, signals: Mapping[str, Tensor],
            settings: Mapping[str, Any], generator: torch.Generator) -> Outcome:
        """Pick ``budget`` unlabelled items of the pool ``x`` (features and
        mask on the compute device; ``signals`` checked, by name;
        ``settings`` from :meth:`check_options`). Progress bars follow
        :func:`gcnal.progress.showing_progress`."""
        raise NotImplementedError
