r"""What :func:`gcnal.select` runs for a method, and the options it reads.

A preset (:class:`gcnal.registry.Method`) with the ``sampler``/``selector``
the caller may put in its place resolves to a :class:`SelectionMethod`:

- :class:`SelectorMethod` when there is no sampler: the selector on the raw
  features; its options are the selector's keyword-only parameters;
- :class:`GNNMethod` otherwise: graph, sampler training and selector; its
  options are :class:`GraphOptions`, :class:`TrainingOptions`, ``subset``,
  ``cold_start`` and the sampler's and selector's own.

:func:`method_options` lists them with their defaults and help.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Union

import torch

from ..errors import InvalidParameterError
from ..options import describe
from ..registry import METHODS, SAMPLERS, SELECTORS
from .base import Outcome, SelectionMethod
from .gnn import GNNMethod
from .gnn_options import GraphOptions, PoolOptions, TrainingOptions
from .legacy import with_legacy_options
from .selector_only import SelectorMethod


def _component(value: Any, registry, parameter: str, expected: str) -> Any:
    if isinstance(value, str):
        return registry.resolve(value, parameter)
    if value is not None and not callable(value):
        raise InvalidParameterError(parameter, expected, repr(value))
    return value


def resolve_method(method: str, sampler: Union[str, Callable, torch.nn.Module, None] = None,
                   selector: Union[str, Callable, None] = None) -> SelectionMethod:
    """The method ``select(method=..., sampler=..., selector=...)`` runs:
    the preset, with ``sampler``/``selector`` (a registered name, a factory
    or module, a function) in place of its own when given."""
    preset = METHODS.resolve(method)
    factory = _component(preset.sampler if sampler is None else sampler, SAMPLERS, "sampler",
                         "a registered sampler name, a sampler factory or an nn.Module")
    function = _component(preset.selector if selector is None else selector, SELECTORS,
                          "selector", "a registered selector name or a function")
    if factory is None:
        return SelectorMethod(preset.name, function, preset.signal, preset.signal_required)
    return GNNMethod(preset.name, factory, function)


def method_options(method: str, *, sampler: Union[str, Callable, torch.nn.Module, None] = None,
                   selector: Union[str, Callable, None] = None) -> Dict[str, Dict[str, Any]]:
    """The options a method reads, as ``name -> {"default": ..., "help":
    ...}``, in the order of :class:`GNNMethod` (pool, graph, training,
    sampler, selector options).

    >>> from gcnal import method_options
    >>> method_options("typical_diverse")["k"]["default"]
    20
    """
    return describe(resolve_method(method, sampler, selector).options)


__all__ = ["GNNMethod", "GraphOptions", "Outcome", "PoolOptions", "SelectionMethod",
           "SelectorMethod", "TrainingOptions", "method_options", "resolve_method",
           "with_legacy_options"]
