"""Passing optional keyword arguments only to callables that accept them.

Plug-in samplers and selectors need only the base signature; gcnal passes the
extras (``generator``, ``s_margin`` ...) to those that declare them.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Dict


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
