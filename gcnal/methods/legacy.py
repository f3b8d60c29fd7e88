"""The keywords ``select`` took before ``options=`` (deprecated, kept for
one release): each is mapped onto the option of the same role, with a
:class:`DeprecationWarning`, and checked like ``options``. An old keyword
that the method does not read is an error, never silently ignored."""
from __future__ import annotations

import warnings
from typing import Any, Dict, Mapping, Optional, Tuple

from ..errors import InvalidParameterError
from .base import SelectionMethod

#: Old keyword -> the group of the option it sets (its ``param`` is the keyword).
KEYWORDS: Dict[str, str] = {
    "subset": "gnn", "cold_start": "gnn",
    "graph": "graph", "k": "graph", "knn_backend": "graph", "normalization": "graph",
    "hidden": "training", "dropout": "training", "epochs": "training", "lr": "training",
    "weight_decay": "training", "lambda_unlabelled": "training", "batch_size": "training",
    "s_margin": "selector",
}

#: Old keyword holding a dict of component keywords -> their group.
DICT_KEYWORDS: Dict[str, str] = {"sampler_options": "sampler", "selector_options": "selector"}


def _option_name(method: SelectionMethod, group: str, param: str, keyword: str) -> str:
    """The method's option that an old keyword (or a key of an old dict
    keyword) sets."""
    for name, option in method.options.items():
        if option.group == group and option.param == param:
            return name
    own = sorted(method.options) or "it has none"
    if param in method.options:  # the same name in another role: say which
        where, given = (("a keyword", f"{keyword}=...") if keyword == param else
                        (f"a key of {keyword}", f"{keyword}={{'{param}': ...}}"))
        raise InvalidParameterError(
            keyword, f"a setting that method '{method.name}' reads: as {where}, '{param}' "
            f"is the {group} setting, which it does not have; its own '{param}' "
            f"(the {method.options[param].group}'s) goes in options={{'{param}': ...}}", given)
    raise InvalidParameterError(
        keyword, f"options of method '{method.name}' ({own}; see gcnal.method_options)",
        f"unknown ['{param}']")


def _mapped(method: SelectionMethod, legacy: Mapping[str, Any]) -> Dict[str, Tuple[str, Any]]:
    """option name -> (old keyword, value)."""
    mapped: Dict[str, Tuple[str, Any]] = {}
    for keyword, value in legacy.items():
        if keyword in DICT_KEYWORDS:
            if value is None:
                continue
            if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
                raise InvalidParameterError(keyword, "a dict of keyword arguments or None",
                                            repr(value))
            for param, item in value.items():
                name = _option_name(method, DICT_KEYWORDS[keyword], param, keyword)
                mapped[name] = (keyword, item)
        elif keyword in KEYWORDS:
            mapped[_option_name(method, KEYWORDS[keyword], keyword, keyword)] = (keyword, value)
        else:
            raise TypeError(f"select() got an unexpected keyword argument '{keyword}'; a "
                            f"method's options go in options={{...}} (see "
                            f"gcnal.method_options('{method.name}'))")
    return mapped


def with_legacy_options(options: Optional[Mapping[str, Any]], legacy: Mapping[str, Any],
                        method: SelectionMethod) -> Optional[Mapping[str, Any]]:
    """``options`` plus what the old keywords in ``legacy`` set (a
    :class:`DeprecationWarning` names the ``options`` to pass instead); an
    option set both ways is an error."""
    if not legacy:
        return options
    mapped = _mapped(method, legacy)
    if not isinstance(options, (Mapping, type(None))):
        return options  # check_options reports it
    merged = dict(options or {})
    for name, (keyword, value) in mapped.items():
        if name in merged:
            raise InvalidParameterError(keyword, f"given once (it sets the option '{name}', "
                                        "also given in options)", repr(value))
        merged[name] = value
    warnings.warn(f"select({', '.join(f'{k}=...' for k in legacy)}) is deprecated; pass "
                  f"options={ {name: value for name, (_, value) in mapped.items()} !r} instead",
                  DeprecationWarning, stacklevel=3)
    return merged
