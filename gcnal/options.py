"""A method's options: each one's name, default, check and one line of help.

A method (:mod:`gcnal.methods`) declares the options it reads as
:class:`Option` records; :func:`check_options` checks what a user passes to
``gcnal.select(options=...)`` against them, so that an option the method does
not read is an error listing the method's own, never silently ignored.

Options of a selector or sampler are read off its signature
(:func:`signature_options`): the default from the parameter, the check from
its annotation (an ``int`` refuses bools and floats, a ``float`` refuses
bools, NaN and inf, ``Optional[...]`` also takes ``None``), the help from the
``Args`` entry of its docstring. A newly registered selector gets its options
this way for free.
"""
from __future__ import annotations

import functools
import inspect
import math
import numbers
import re
import reprlib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple

from .errors import InvalidParameterError
from .validation import check_choice, check_int, check_real


@dataclass(frozen=True)
class Option:
    """One option of a method.

    Attributes:
        name: What the user writes in ``options={name: value}``.
        default: The value used when the option is not given.
        check: ``check(value, name) -> value``, raising
            :class:`~gcnal.errors.InvalidParameterError` naming ``name``
            (see :data:`Check`).
        help: One line for ``gcnal methods --options`` and the docs.
        group: Which part of the method reads it: ``"gnn"`` (subset, cold
            start), ``"graph"``, ``"training"``, ``"sampler"`` or
            ``"selector"``.
        param: The keyword it is passed as within its group (``name``
            unless prefixed to avoid a clash, e.g. ``sampler_k`` -> ``k``).
    """

    name: str
    default: Any
    check: Callable[[Any, str], Any]
    help: str
    group: str
    param: str


def _received(value: Any) -> str:
    return f"{type(value).__name__} {reprlib.repr(value)}"


#: An option's check: ``check(value, name)`` returns the value to use
#: (converted, e.g. to ``float``) or raises
#: :class:`~gcnal.errors.InvalidParameterError` naming ``name``. The builders
#: below make them from :mod:`gcnal.validation`'s checks.
Check = Callable[[Any, str], Any]


def integer(low: Optional[int] = 1, allow_none: bool = False) -> Check:
    """An int (never a bool) ``>= low`` (any int for ``low=None``), or
    ``None`` when allowed (:func:`~gcnal.validation.check_int`)."""
    def check(value, name):
        if low is None and not (value is None and allow_none) and (
                not isinstance(value, numbers.Integral) or isinstance(value, bool)):
            raise InvalidParameterError(name, "an int" + (" or None" if allow_none else ""),
                                        _received(value))
        return check_int(value, name, low=-math.inf if low is None else low,
                         allow_none=allow_none)
    return check


def real(low: float = -math.inf, high: float = math.inf, low_open: bool = False,
         high_open: bool = False) -> Check:
    """A finite real number (never a bool, NaN or inf) in the interval
    (:func:`~gcnal.validation.check_real`); an infinite end is open."""
    low_open, high_open = low_open or low == -math.inf, high_open or high == math.inf

    def check(value, name):
        if not isinstance(value, numbers.Real) or isinstance(value, bool) \
                or not math.isfinite(value):
            bounds = (low, high) != (-math.inf, math.inf)
            raise InvalidParameterError(
                name, "a finite real number" + (f" in {_interval(low, high, low_open, high_open)}"
                                                if bounds else ""), _received(value))
        return check_real(value, name, low, high, low_open=low_open, high_open=high_open)
    return check


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    return f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"


def choice(choices: Iterable[str]) -> Check:
    """One of the strings ``choices`` (:func:`~gcnal.validation.check_choice`)."""
    allowed = list(choices)
    return lambda value, name: check_choice(value, name, allowed)


def either(*checks: Check) -> Check:
    """A value that one of ``checks`` accepts, as the first that does returns it."""
    def check(value, name):
        expected = []
        for c in checks:
            try:
                return c(value, name)
            except InvalidParameterError as error:
                expected.append(error.expected)
        raise InvalidParameterError(name, " or ".join(expected), _received(value))
    return check


def instance_of(*types: type, expected: str) -> Check:
    """An instance of one of ``types`` (a bool only if ``bool`` is listed)."""
    def check(value, name):
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise InvalidParameterError(name, expected, _received(value))
        return value
    return check


def sequence_of(item: Check) -> Check:
    """A list or tuple whose every item ``item`` accepts, as a tuple."""
    def check(value, name):
        if not isinstance(value, (list, tuple)):
            raise InvalidParameterError(name, "a list or tuple", _received(value))
        return tuple(item(v, f"{name}[{i}]") for i, v in enumerate(value))
    return check


def anything(value: Any, name: str) -> Any:
    """Any value (the component checks it)."""
    return value


def check_for(annotation: Any, default: Any) -> Check:
    """The check of a parameter annotated ``annotation`` (or, without one,
    of the type of ``default``)."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        if default is None or isinstance(default, bool):
            return anything if default is None else instance_of(bool, expected="a bool")
        annotation = type(default)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        parts = [a for a in args if a is not type(None)]
        none = [instance_of(type(None), expected="None")] if len(parts) < len(args) else []
        return either(*none, *(check_for(a, default) for a in parts))
    if origin in (list, tuple, Sequence) and args:
        return sequence_of(check_for(args[0], None))
    simple = {bool: instance_of(bool, expected="a bool"), int: integer(low=None),
              float: real(), str: instance_of(str, expected="a string")}
    if annotation in simple:
        return simple[annotation]
    if isinstance(annotation, type):
        return instance_of(annotation, expected=f"a {annotation.__name__}")
    return anything


_ENTRY = re.compile(r"^(\w+)(?:\s*\([^)]*\))?\s*:\s*(.*)$")
_ROLE = re.compile(r":\w+:`~?([^`]*)`")


def _param_help(doc: str) -> Dict[str, str]:
    """``name -> first sentence`` of each ``name (type): text`` entry of the
    ``Args:`` section of a Google-style docstring, without reST markup."""
    entries: Dict[str, List[str]] = {}
    args_indent = entry_indent = current = None
    for line in inspect.cleandoc(doc).splitlines():
        text, depth = line.strip(), len(line) - len(line.lstrip())
        if not text:
            continue
        if text == "Args:":
            args_indent, entry_indent, current = depth, None, None
        elif args_indent is not None and depth <= args_indent:
            args_indent = current = None
        elif args_indent is not None:
            entry_indent = depth if entry_indent is None else entry_indent
            match = _ENTRY.match(text)
            if depth == entry_indent and match:
                current = match.group(1)
                entries[current] = [match.group(2)]
            elif current is not None and depth > entry_indent:
                entries[current].append(text)
    helps = {}
    for name, words in entries.items():
        text = " ".join(words).split("(default:", 1)[0]
        text = _ROLE.sub(r"\1", text).replace("``", "").strip()
        helps[name] = text.split(". ", 1)[0].rstrip(".")
    return helps


@functools.lru_cache(maxsize=None)
def _parameters(component: Callable) -> Tuple[Tuple[inspect.Parameter, Any, str], ...]:
    """``(parameter, annotation, help)`` of each parameter of ``component``
    (a function or a class, whose ``__init__`` is read); empty without a
    signature. Cached: read once per component."""
    try:
        signature = inspect.signature(component)
    except (TypeError, ValueError):
        return ()
    target = component.__init__ if inspect.isclass(component) else component
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # unresolvable annotations: check by the defaults' types
        hints = {}
    helps = _param_help(inspect.getdoc(component) or "")
    owner = getattr(component, "__name__", type(component).__name__)
    return tuple((p, hints.get(p.name, p.annotation),
                  helps.get(p.name) or f"a keyword argument of {owner}")
                 for p in signature.parameters.values())


def signature_options(component: Callable, group: str, *, keyword_only: bool,
                      skip: Iterable[str] = (),
                      checks: Optional[Mapping[str, Check]] = None) -> List[Option]:
    """The options of a selector (``keyword_only``: its keyword-only
    parameters) or of a sampler factory (its parameters after the first,
    with defaults), minus ``skip``; none when it has no signature. ``checks``
    replaces the annotation's check of some (e.g. to add a range)."""
    checks = checks or {}
    try:
        params = _parameters(component)
    except TypeError:  # an unhashable callable object: not cached
        params = _parameters.__wrapped__(component)
    kinds = (inspect.Parameter.KEYWORD_ONLY,) if keyword_only else \
        (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [Option(p.name, p.default, checks.get(p.name) or check_for(annotation, p.default),
                   help, group, p.name)
            for p, annotation, help in params[0 if keyword_only else 1:]
            if p.kind in kinds and p.default is not inspect.Parameter.empty
            and p.name not in skip]


def option_field(default: Any, check: Check, help: str) -> Any:
    """A dataclass field that is an option (see :func:`dataclass_options`)."""
    return field(default=default, metadata={"check": check, "help": help})


def dataclass_options(cls: type, group: str) -> List[Option]:
    """The options declared by :func:`option_field` in a dataclass."""
    return [Option(f.name, f.default, f.metadata["check"], f.metadata["help"], group, f.name)
            for f in fields(cls)]


def check_fields(instance: Any) -> None:
    """Run the checks of a dataclass of :func:`option_field` s (its
    ``__post_init__``), storing what they return."""
    for f in fields(instance):
        object.__setattr__(instance, f.name,
                           f.metadata["check"](getattr(instance, f.name), f.name))


def merge_options(*groups: Iterable[Option]) -> Dict[str, Option]:
    """The options of several groups by name, in order; an option whose name
    is already taken is renamed ``<group>_<name>``."""
    merged: Dict[str, Option] = {}
    for group in groups:
        for option in group:
            name = option.name if option.name not in merged else f"{option.group}_{option.name}"
            merged[name] = Option(name, option.default, option.check, option.help,
                                  option.group, option.param)
    return merged


def check_options(given: Optional[Mapping[str, Any]], declared: Mapping[str, Option],
                  method: str) -> Dict[str, Any]:
    """Every declared option's value: the checked one from ``given`` (a dict
    of option names) or the default. An option not declared is an error
    naming it and listing the method's own."""
    if given is None:
        given = {}
    if not isinstance(given, Mapping) or not all(isinstance(k, str) for k in given):
        raise InvalidParameterError("options", "a dict of option names to values, or None",
                                    _received(given))
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise InvalidParameterError(
            "options", f"options of method '{method}' ({sorted(declared) or 'it has none'}; "
            "see gcnal.method_options)", f"unknown {unknown}")
    return {name: option.check(given[name], name) if name in given else option.default
            for name, option in declared.items()}


def group_values(declared: Mapping[str, Option], values: Mapping[str, Any],
                 group: str) -> Dict[str, Any]:
    """``param -> value`` of the options of one group."""
    return {o.param: values[name] for name, o in declared.items() if o.group == group}


def supported_kwargs(fn: Callable, options: Dict[str, Any]) -> Dict[str, Any]:
    """The entries of ``options`` that ``fn`` accepts as keyword arguments
    (all of them if it takes ``**kwargs``); used for what gcnal itself
    passes (``generator``, ``hidden_channels`` ...), never for user options."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return dict(options)
    names = {p.name for p in params
             if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)}
    return {k: v for k, v in options.items() if k in names}


def describe(declared: Mapping[str, Option]) -> Dict[str, Dict[str, Any]]:
    """``name -> {"default": ..., "help": ...}``: what
    :func:`gcnal.method_options` returns."""
    return {name: {"default": o.default, "help": o.help} for name, o in declared.items()}


