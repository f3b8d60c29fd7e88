"""The checks of :func:`gcnal.evaluate`'s inputs: each bad one raises
:class:`~gcnal.errors.InvalidParameterError` naming it."""
from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Sequence, Tuple

import numpy as np
import torch

from ..errors import InvalidParameterError, UnknownNameError
from ..registry import METHODS
from ..validation import check_int

OWNER = "evaluate"


def as_numpy(value) -> np.ndarray:
    """A numpy view of an array-like (torch tensors are moved to the CPU)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def check_features(features, parameter: str, rows: Optional[int]) -> np.ndarray:
    """``features`` as a finite ``(rows, d)`` real array (any number of rows
    for ``rows=None``)."""
    array = as_numpy(features)
    if array.ndim != 2 or (rows is not None and array.shape[0] != rows) or not np.issubdtype(array.dtype, np.number) \
            or np.issubdtype(array.dtype, np.complexfloating):
        raise InvalidParameterError(parameter, f"a real ({rows or 'N'}, d) array",
                                    f"{array.dtype} array of shape {array.shape}", OWNER)
    if not np.isfinite(array).all():
        raise InvalidParameterError(parameter, "finite values", "NaN or inf entries", OWNER)
    return array


def check_labels(labels, parameter: str, rows: Optional[int], numeric: bool = False) -> np.ndarray:
    """``labels`` as a 1-D array (of ``rows`` entries when given; real
    numbers when ``numeric``, the targets of a regression)."""
    array = as_numpy(labels)
    if array.ndim != 1 or (rows is not None and len(array) != rows):
        expected = f"a 1-D array of {rows} labels (one per row of the features)" if rows \
            else "a 1-D array of labels"
        raise InvalidParameterError(parameter, expected, f"shape {array.shape}", OWNER)
    if numeric and (not np.issubdtype(array.dtype, np.number)
                    or np.issubdtype(array.dtype, np.complexfloating)):
        raise InvalidParameterError(parameter, "real targets for a regression learner",
                                    f"{array.dtype} labels", OWNER)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise InvalidParameterError(parameter, "labels without NaN", "NaN or inf entries", OWNER)
    return array


def check_methods(methods) -> Tuple[str, ...]:
    """Distinct registered method names."""
    if isinstance(methods, str):
        methods = (methods,)
    if not isinstance(methods, Sequence) or len(methods) == 0:
        raise InvalidParameterError("methods", "a non-empty sequence of method names",
                                    repr(methods), OWNER)
    for name in methods:
        if not isinstance(name, str) or name not in METHODS.names():
            raise UnknownNameError("methods", name, METHODS.names(), OWNER)
    if len(set(methods)) != len(methods):
        raise InvalidParameterError("methods", "distinct names", repr(list(methods)), OWNER)
    return tuple(methods)


def check_seeds(seeds) -> Tuple[int, ...]:
    """Distinct non-negative ints."""
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        seeds = (seeds,)
    ok = isinstance(seeds, Sequence) and len(seeds) > 0 and all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 0 for s in seeds)
    if not ok or len(set(seeds)) != len(seeds):
        raise InvalidParameterError("seeds", "a non-empty sequence of distinct ints >= 0",
                                    repr(seeds), OWNER)
    return tuple(int(s) for s in seeds)


def check_options(options, methods: Tuple[str, ...]) -> Dict[str, dict]:
    """``{method: its options}`` for methods among ``methods``."""
    if options is None:
        return {}
    if not isinstance(options, dict) or not all(isinstance(v, dict) for v in options.values()):
        raise InvalidParameterError("options", "a dict {method: {option: value}}",
                                    repr(options), OWNER)
    unknown = sorted(set(options) - set(methods))
    if unknown:
        raise InvalidParameterError("options", f"keys among the evaluated methods {list(methods)}",
                                    repr(unknown), OWNER)
    return dict(options)


def check_metric(metric, metric_reads: str, task: str) -> Tuple[Callable, str]:
    r"""The metric function and its name. ``None`` is the task's own:
    ``"accuracy"``, the fraction of test items predicted right, for
    classification; ``"rmse"``, :math:`\sqrt{\frac1M \sum_i (\hat y_i - y_i)^2}`
    (lower is better), for regression."""
    if metric_reads not in ("predictions", "probabilities"):
        raise InvalidParameterError("metric_reads", "'predictions' or 'probabilities'",
                                    repr(metric_reads), OWNER)
    if metric_reads == "probabilities" and task == "regression":
        raise InvalidParameterError("metric_reads", "'predictions' for a regression learner "
                                    "(it gives no class probabilities)", repr(metric_reads), OWNER)
    own = {"classification": "accuracy", "regression": "rmse"}[task]
    if metric is None or metric in METRICS:
        name = own if metric is None else metric
        if name != own:
            raise InvalidParameterError("metric", f"None, {own!r} or a callable for a {task} "
                                        "learner", repr(metric), OWNER)
        if metric_reads != "predictions":
            raise InvalidParameterError("metric_reads", f"'predictions' for the {name} metric",
                                        repr(metric_reads), OWNER)
        return METRICS[name], name
    if not callable(metric):
        raise InvalidParameterError("metric", f"None, {own!r} or a callable(y_true, y_pred)",
                                    repr(metric), OWNER)
    return metric, getattr(metric, "__name__", "metric")


def _accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_true == y_pred))


def _rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y_pred - y_true) ** 2)))


#: The built-in metrics by name.
METRICS: Dict[str, Callable] = {"accuracy": _accuracy, "rmse": _rmse}


def check_budgets(budget, cycles) -> Tuple[int, ...]:
    """The items picked at each cycle: ``budget`` every cycle (``cycles``
    of them, 5 when ``None``), or a sequence of per-cycle budgets (its
    length is the number of cycles; ``cycles``, when given, must agree)."""
    if isinstance(budget, Sequence) and not isinstance(budget, str):
        budgets = tuple(check_int(b, f"budget[{i}]", OWNER) for i, b in enumerate(budget))
        if not budgets:
            raise InvalidParameterError("budget", "an int or a non-empty sequence of ints",
                                        repr(budget), OWNER)
        if cycles is not None and check_int(cycles, "cycles", OWNER) != len(budgets):
            raise InvalidParameterError("cycles", f"None or {len(budgets)} (one cycle per "
                                        "entry of budget)", cycles, OWNER)
        return budgets
    cycles = 5 if cycles is None else check_int(cycles, "cycles", OWNER)
    return (check_int(budget, "budget", OWNER),) * cycles


def check_signals(methods: Tuple[str, ...], gives_probs: bool, why: str) -> None:
    """Every method can run on what the loop gives it: the learner's class
    probabilities as ``probs`` when ``gives_probs``, nothing else."""
    for name in methods:
        spec = METHODS.resolve(name)
        if not spec.signal_required or spec.signal is None:
            continue
        if spec.signal != "probs":
            raise InvalidParameterError(
                "methods", f"methods that read no learner signal but class probabilities "
                f"({name!r} reads {spec.signal!r}, which evaluate cannot compute from a learner)",
                repr(name), OWNER)
        if not gives_probs:
            raise InvalidParameterError("methods", f"methods that need no class probabilities "
                                        f"({why})", repr(name), OWNER)


@dataclass(frozen=True)
class TestSet:
    """How the test set is formed: a held-out fraction drawn per seed, given
    item indices, or separate arrays."""

    size: int
    fraction: Optional[float] = None
    items: Optional[np.ndarray] = None
    features: Optional[np.ndarray] = None
    labels: Optional[np.ndarray] = None

    def describe(self) -> str:
        if self.fraction is not None:
            return f"{self.size} held-out items, {self.fraction:.0%}, drawn per seed"
        if self.items is not None:
            return f"{self.size} given items"
        return f"{self.size} separate items"


def check_test(test, test_fraction, num_items: int, features_callable: bool,
               dim: Optional[int], numeric: bool = False) -> TestSet:
    """The test set: ``None`` (a held-out ``test_fraction``), a boolean mask
    or index array over the items, or a ``(test_features, test_labels)`` pair."""
    if test is None:
        if not (isinstance(test_fraction, numbers.Real) and not isinstance(test_fraction, bool)
                and 0 < test_fraction < 1):
            raise InvalidParameterError("test_fraction", "a real number in (0, 1)",
                                        repr(test_fraction), OWNER)
        size = int(round(test_fraction * num_items))
        if not 1 <= size <= num_items - 2:
            raise InvalidParameterError("test_fraction", f"a fraction leaving at least one test "
                                        f"item and two pool items of {num_items}",
                                        repr(test_fraction), OWNER)
        return TestSet(size, fraction=float(test_fraction))
    if isinstance(test, tuple):
        if features_callable:
            raise InvalidParameterError("test", "None or item indices when features is a "
                                        "callable (test items are rows of its output)",
                                        "a (features, labels) pair", OWNER)
        if len(test) != 2:
            raise InvalidParameterError("test", "a (test_features, test_labels) pair",
                                        f"a tuple of {len(test)}", OWNER)
        labels = check_labels(test[1], "test", None, numeric)
        features = check_features(test[0], "test", len(labels))
        if features.shape[1] != dim:
            raise InvalidParameterError("test", f"test features of dimension {dim}",
                                        f"dimension {features.shape[1]}", OWNER)
        return TestSet(len(labels), features=features, labels=labels)
    array = as_numpy(test)
    if array.dtype == bool and array.shape == (num_items,):
        items = np.flatnonzero(array)
    elif array.ndim == 1 and np.issubdtype(array.dtype, np.integer) and array.size and \
            array.min() >= 0 and array.max() < num_items and len(np.unique(array)) == len(array):
        items = np.sort(array.astype(np.int64))
    else:
        raise InvalidParameterError("test", f"None, a boolean mask of {num_items} items, "
                                    f"distinct item indices in [0, {num_items}) or a "
                                    "(features, labels) pair", f"{array.dtype} array of shape "
                                    f"{array.shape}", OWNER)
    if not 1 <= len(items) <= num_items - 2:
        raise InvalidParameterError("test", "at least one test item and two pool items",
                                    f"{len(items)} test items of {num_items}", OWNER)
    return TestSet(len(items), items=items)
