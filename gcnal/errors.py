"""Exceptions raised by gcnal.

Every bad input raises :class:`InvalidParameterError`, a :class:`ValueError`
whose message names the parameter, what was expected and what was received,
in one shape::

    The 'budget' parameter of select must be an int in [1, 37] (the number of
    unlabelled items). Got 0 instead.
"""
from __future__ import annotations

from typing import Any, Iterable


class InvalidParameterError(ValueError):
    r"""A parameter has the wrong type, shape, dtype or value.

    Args:
        parameter (str): The name of the offending parameter.
        expected (str): What the parameter must be.
        received (Any): What was passed (or a description of it).
        owner (str): The function or class that received it.
            (default: :obj:`"select"`)
    """

    def __init__(self, parameter: str, expected: str, received: Any, owner: str = "select"):
        self.parameter = parameter
        self.expected = expected
        self.received = received
        self.owner = owner
        super().__init__(
            f"The '{parameter}' parameter of {owner} must be {expected}. Got {received} instead."
        )


class UnknownNameError(InvalidParameterError):
    r"""A name (method, sampler, selector, graph ...) is not registered."""

    def __init__(self, parameter: str, name: str, choices: Iterable[str], owner: str = "select"):
        self.choices = sorted(choices)
        super().__init__(parameter, f"one of {self.choices}", repr(name), owner)


class MissingDependencyError(ImportError):
    r"""An optional dependency is needed for the requested feature."""

    def __init__(self, package: str, extra: str, feature: str):
        self.package = package
        self.extra = extra
        super().__init__(
            f"{feature} requires the optional package '{package}'. "
            f"Install it with: pip install 'gcnal[{extra}]'"
        )


class InvalidSelectionError(RuntimeError):
    r"""A selector returned something other than exactly ``budget`` unique,
    unlabelled, in-range int64 indices: a bug in that selector (a built-in
    one never does this), reported instead of a silently bad selection.

    Args:
        selector (str): The selector's name.
        problem (str): What is wrong with its output.
    """

    def __init__(self, selector: str, problem: str):
        self.selector = selector
        self.problem = problem
        super().__init__(f"The selector '{selector}' returned an invalid selection: {problem}. "
                         "A selector must return exactly `budget` unique indices of unlabelled "
                         "items (int64, in pick order).")


class PeerFailedError(RuntimeError):
    r"""Another rank of a sharded selection (:mod:`gcnal.distributed`) failed,
    so this one stops too, with nothing returned: every rank raises instead
    of waiting on a rank that will not come. The failing rank raises its own
    error.

    Args:
        ranks (list of int): The ranks that failed.
        stage (str): Where they failed.
    """

    def __init__(self, ranks, stage: str):
        self.ranks = list(ranks)
        self.stage = stage
        super().__init__(f"Rank(s) {self.ranks} failed during {stage} of the sharded selection "
                         "(see their own error); this rank stops too.")
