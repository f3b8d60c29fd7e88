"""One registry per kind of component; names ignore case, ``-`` and ``_``.

A *method* (preset) is a named (sampler, selector) pair; a method without a
sampler runs its selector on the raw features (and on the learner signal it
names) and builds no graph. What runs, and the options each method reads,
is :mod:`gcnal.methods`. Users add their own with :func:`register_sampler`,
:func:`register_selector` and :func:`register_method`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Generic, List, Optional, TypeVar, Union

from .errors import InvalidParameterError, UnknownNameError

T = TypeVar("T")


def normalize_name(name: str) -> str:
    """``"Uncertain-GCN"`` -> ``"uncertaingcn"``."""
    return name.lower().replace("-", "").replace("_", "").replace(" ", "")


class Registry(Generic[T]):
    """Named components of one kind.

    Args:
        parameter (str): The :func:`gcnal.select` parameter that names them,
            used in error messages.
    """

    def __init__(self, parameter: str):
        self.parameter = parameter
        self._entries: Dict[str, T] = {}
        self._names: Dict[str, str] = {}

    def register(self, name: str, entry: T, overwrite: bool = False) -> T:
        if not isinstance(name, str) or not normalize_name(name):
            raise InvalidParameterError("name", "a non-empty string", repr(name),
                                        f"register_{self.parameter}")
        key = normalize_name(name)
        if key in self._entries and not overwrite:
            raise InvalidParameterError(
                "name", f"a {self.parameter} name not yet registered (or overwrite=True)",
                repr(name), f"register_{self.parameter}")
        self._entries[key] = entry
        self._names[key] = name
        return entry

    def resolve(self, name: str, parameter: Optional[str] = None) -> T:
        """The entry registered as ``name``; errors name ``parameter`` (by
        default the registry's own)."""
        parameter = parameter or self.parameter
        if not isinstance(name, str):
            raise InvalidParameterError(parameter, f"a registered {self.parameter} name",
                                        repr(name))
        key = normalize_name(name)
        if key not in self._entries:
            raise UnknownNameError(parameter, name, self.names())
        return self._entries[key]

    def names(self) -> List[str]:
        return sorted(self._names.values())

    def __contains__(self, name: str) -> bool:
        return isinstance(name, str) and normalize_name(name) in self._entries


@dataclass(frozen=True)
class Method:
    """A preset: what :func:`gcnal.select` runs for ``method=name``.

    Attributes:
        name: The preset name.
        selector: A selector name or function.
        sampler: A sampler name or factory; ``None`` for methods without a
            graph (they select on the raw features or on ``probs``).
        signal: The learner signal the selector reads as ``scores``
            (``"probs"``, ``"mc_probs"``, ``"predicted_loss"`` or
            ``"labelled_scores"``, see :mod:`gcnal.signals`); ``None`` for
            none.
        signal_required: Whether ``select`` refuses to run without the
            signal; if ``False`` the selector receives ``scores=None`` when
            it is not given.
        description: One line for ``available_methods`` listings and docs.
    """

    name: str
    selector: Union[str, Callable]
    sampler: Optional[Union[str, Callable[..., Any]]] = None
    signal: Optional[str] = None
    description: str = ""
    signal_required: bool = True


SAMPLERS: Registry[Callable[..., Any]] = Registry("sampler")
SELECTORS: Registry[Callable] = Registry("selector")
METHODS: Registry[Method] = Registry("method")


def register_sampler(name: str, factory: Callable[..., Any], overwrite: bool = False):
    """Register a sampler class (or factory) called as ``factory(in_channels,
    hidden_channels=..., dropout=..., cached=True, **options)``; keywords it
    does not accept are not passed, and its other parameters with defaults
    are the options of the methods that use it. The object must provide
    ``forward(x, adj) -> logits (N,)`` and ``embed(x, adj) -> (N, h)``."""
    return SAMPLERS.register(name, factory, overwrite)


#: Selector -> checks of some of its options, tighter than their annotations
#: (see :func:`register_selector`).
SELECTOR_CHECKS: Dict[Callable, Dict[str, Callable[[Any, str], Any]]] = {}


#: Selector -> what it says about a call in ``Selection.info`` (see
#: :func:`register_selector`).
SELECTOR_NOTES: Dict[Callable, Callable[..., Dict[str, Any]]] = {}


def register_selector(name: str, selector: Callable, overwrite: bool = False,
                      checks: Optional[Dict[str, Callable[[Any, str], Any]]] = None,
                      notes: Optional[Callable[..., Dict[str, Any]]] = None):
    """Register a selector ``(scores, embeddings, labelled_mask, budget, *,
    generator, **options) -> indices`` (or ``(indices, pick_scores)``). Its
    keyword-only parameters other than ``generator`` are the options of the
    methods that use it, with its defaults, checked by their annotations;
    ``checks`` maps some of them to a stricter
    :data:`~gcnal.options.Check` (e.g. :func:`gcnal.options.real` with a
    range). ``notes(scores, labelled_mask, budget, **options)`` returns
    entries for ``Selection.info`` saying which path a call took (e.g.
    ``typical_diverse``'s cold start)."""
    SELECTORS.register(name, selector, overwrite)
    if checks:
        SELECTOR_CHECKS[selector] = dict(checks)
    if notes:
        SELECTOR_NOTES[selector] = notes
    return selector


def register_method(name: str, *, selector: Union[str, Callable],
                    sampler: Optional[Union[str, Callable[..., Any]]] = None,
                    signal: Optional[str] = None, description: str = "",
                    signal_required: bool = True, overwrite: bool = False) -> Method:
    """Register a preset usable as ``gcnal.select(..., method=name)``; its
    selector receives the learner ``signal`` (a :data:`gcnal.signals.SIGNALS`
    name, passed to ``select`` as a keyword of that name) as ``scores``, or
    ``None`` when the signal is optional (``signal_required=False``) and not
    given."""
    from .signals import SIGNALS

    if signal is not None and signal not in SIGNALS:
        raise InvalidParameterError("signal", f"None or one of {sorted(SIGNALS)}", repr(signal),
                                    "register_method")
    if not isinstance(signal_required, bool):
        raise InvalidParameterError("signal_required", "a bool", repr(signal_required),
                                    "register_method")
    return METHODS.register(name, Method(name, selector, sampler, signal, description,
                                         signal_required), overwrite)


def methods_reading(signal: str) -> List[str]:
    """The registered presets that read learner ``signal``, sorted."""
    return [name for name in METHODS.names() if METHODS.resolve(name).signal == signal]


def available_methods() -> List[str]:
    """The registered preset names, sorted."""
    return METHODS.names()
