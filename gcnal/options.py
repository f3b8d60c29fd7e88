"""Passing optional keyword arguments only to callables that accept them.

Plug-in samplers and selectors need only the base signature; gcnal passes the
extras (``generator``, ``s_margin`` ...) to those that declare them.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict, Optional

from .errors import InvalidParameterError


def supported_kwargs(fn: Callable, options: Dict[str, Any]) -> Dict[str, Any]:
    """The entries of ``options`` that ``fn`` accepts as keyword arguments."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return dict(options)
    names = {p.name for p in params
             if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)}
    return {k: v for k, v in options.items() if k in names}


def user_options(fn: Callable, options: Optional[Dict[str, Any]], parameter: str) -> Dict[str, Any]:
    """``options`` given by the user for ``fn``: a dict whose every key ``fn``
    accepts, so that nothing is silently dropped."""
    if options is None:
        return {}
    if not isinstance(options, dict) or not all(isinstance(k, str) for k in options):
        raise InvalidParameterError(parameter, "a dict of keyword arguments or None",
                                    repr(options))
    accepted = supported_kwargs(fn, options)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        name = getattr(fn, "__name__", type(fn).__name__)
        raise InvalidParameterError(parameter, f"keyword arguments that {name} accepts",
                                    f"unknown {unknown}")
    return dict(options)
