r"""The simulated active-learning loop: :func:`evaluate`.

For every seed :math:`s` and method :math:`m` the loop starts from the seed's
initial labelled set :math:`L_0` (the same for every method), and for cycle
:math:`c = 0, \dots, C`: trains the learner on :math:`L_c`, scores it on the
test set, and (for :math:`c < C`) lets :math:`m` pick :math:`b_c` items with
``gcnal.select`` (given the learner's class probabilities on the pool as
``probs`` when :math:`m` reads them); their labels are revealed:
:math:`L_{c+1} = L_c \cup P_c`. Invariants: :math:`|L_c| = \text{initial} +
\sum_{c' < c} b_{c'}`, and no pick is labelled already or repeated.
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from ..api import DEFAULT_METHOD, select
from ..errors import InvalidParameterError
from ..progress import progress_bar
from ..registry import METHODS
from ..validation import check_int
from .inputs import (OWNER, TestSet, check_budgets, check_features, check_labels, check_methods,
                     check_metric, check_options, check_seeds, check_signals, check_test)
from .learners import learner_task, resolve_learner
from .result import EvaluationResult
from .resume import append_rows, finished_curves, read_rows
from .seeds import LEARNER_TAG, SELECTION_TAG, derive_seed, held_out_split, initial_positions

DEFAULT_METHODS = tuple(dict.fromkeys(("random", DEFAULT_METHOD, "margin")))


def evaluate(features, labels, *, methods: Sequence[str] = DEFAULT_METHODS, test=None,
             test_fraction: float = 0.2, learner="logistic", task: Optional[str] = None,
             metric=None, metric_reads: str = "predictions", initial: int = 20,
             budget: Union[int, Sequence[int]] = 20, cycles: Optional[int] = None,
             seeds: Sequence[int] = (0, 1, 2), signals: bool = True,
             options: Optional[Dict[str, dict]] = None, progress: bool = False,
             resume=None) -> EvaluationResult:
    r"""Simulate active learning on labelled data: does a method beat Random here?

    Args:
        features (array or callable): :math:`(N, d)` features of every item
            (numpy or torch), or ``features(labelled_indices) -> (N, d)``
            recomputing them each cycle from the labelled items (e.g. a
            fine-tuned encoder); ``labelled_indices`` are item indices.
        labels (array): :math:`(N,)` classes (or, for regression, real
            targets) of the items, revealed only when an item is labelled (and
            for testing).
        methods (sequence of str): Methods to compare; Random is the
            baseline of the intervals. (default: Random, the default method
            of :func:`gcnal.select`, margin)
        test: ``None`` (hold out ``test_fraction`` of the items, drawn per
            seed), a boolean mask or index array of test items, or a
            ``(test_features, test_labels)`` pair (array features only).
        test_fraction (float): Held-out fraction when ``test`` is ``None``.
        learner: ``"logistic"`` (scikit-learn's logistic regression; needs
            ``gcnal[demo]``), ``"ridge"`` (ridge regression), an estimator with
            ``fit``/``predict_proba`` or, for regression, ``fit``/``predict``
            (cloned every cycle), or ``learner(train_x, train_y, x, seed) ->
            probs`` (see :mod:`gcnal.evaluation.learners`).
        task (str, optional): ``"classification"`` or ``"regression"``;
            ``None``: the learner's (a regressor, ``"ridge"``:
            regression). Regression gives the methods no ``probs``.
        metric: ``None`` (``"accuracy"`` for classification, ``"rmse"``, lower
            is better, for regression), or ``metric(y_true, y)`` with ``y``
            the test predictions (or probabilities, see ``metric_reads``).
        metric_reads (str): ``"predictions"`` or ``"probabilities"``
            (columns: the sorted classes).
        initial (int): Items labelled at random before the first cycle.
        budget (int or sequence of int): Items picked per cycle, or each
            cycle's budget (e.g. ``[80, 140, 240]`` for a geometric schedule).
        cycles (int, optional): Selections per curve (default 5; with a
            budget sequence, its length); the learner is scored ``cycles + 1``
            times.
        seeds (sequence of int): One curve per method and seed; every draw
            comes from the seed (see :mod:`gcnal.evaluation.seeds`).
        signals (bool): Give the learner's class probabilities as ``probs``
            to the methods that read them; ``False`` simulates a feature-only
            pool (methods that need ``probs`` are refused).
        options (dict, optional): ``{method: options}``, passed to
            :func:`gcnal.select` as ``options``.
        progress (bool): A progress bar over the curves.
        resume (str or Path, optional): A JSON-lines file: each finished
            curve's rows are added to it atomically, and curves it holds are
            not run again.

    Returns:
        EvaluationResult: the metric per method, seed and cycle, with
        intervals, :meth:`~EvaluationResult.to_markdown`,
        :meth:`~EvaluationResult.to_dict` and :meth:`~EvaluationResult.plot`.
    """
    methods = check_methods(methods)
    seeds = check_seeds(seeds)
    options = check_options(options, methods)
    task = learner_task(learner, task)
    if not isinstance(signals, bool):
        raise InvalidParameterError("signals", "True or False", repr(signals), OWNER)
    gives_probs = signals and task == "classification"
    check_signals(methods, gives_probs, "a regression learner gives none" if signals
                  else "signals=False gives none")
    metric_fn, metric_name = check_metric(metric, metric_reads, task)
    budgets = check_budgets(budget, cycles)
    features_callable = callable(features)
    fixed = None if features_callable else check_features(features, "features", None)
    labels = check_labels(labels, "labels", None if fixed is None else fixed.shape[0],
                          numeric=task == "regression")
    test_set = check_test(test, test_fraction, len(labels), features_callable,
                          None if fixed is None else fixed.shape[1], task == "regression")
    pool_size = len(labels) - (test_set.size if test_set.labels is None else 0)
    initial = check_int(initial, "initial", OWNER, low=1, high=pool_size - 1,
                        detail="the pool items")
    if initial + sum(budgets) > pool_size:
        raise InvalidParameterError(
            "budget", f"budgets summing to at most {pool_size - initial} so that initial + "
            f"the budgets <= {pool_size} pool items (initial={initial}, cycles={len(budgets)})",
            budget, OWNER)
    classes = None if task == "regression" else np.unique(
        labels if test_set.labels is None else np.concatenate([labels, test_set.labels]))
    fit_predict, learner_name = resolve_learner(learner, task, classes)
    settings = {"methods": list(methods), "seeds": list(seeds), "task": task,
                "metric": metric_name, "metric_reads": metric_reads, "learner": learner_name,
                "initial": initial, "budget": list(budgets) if isinstance(budget, Sequence) else budgets[0],
                "cycles": len(budgets), "signals": gives_probs, "items": len(labels),
                "pool": pool_size, "test": test_set.describe(),
                "options": {m: {k: repr(v) for k, v in o.items()} for m, o in options.items()}}
    key = _settings_key(settings, labels, fixed, test_set)
    path = None if resume is None else Path(resume)
    done = finished_curves(read_rows(path, key)) if path is not None else {}
    rows: List[dict] = []
    tasks = [(seed, method) for seed in seeds for method in methods]
    for seed, method in progress_bar(tasks, "evaluate", enabled=progress):
        if len(done.get((method, seed), ())) == len(budgets) + 1:
            rows.extend(done[(method, seed)])
            continue
        curve = _run_curve(features if fixed is None else fixed, labels, test_set, seed, method,
                           fit_predict, metric_fn, metric_reads, initial, budgets,
                           gives_probs and METHODS.resolve(method).signal == "probs",
                           options.get(method))
        for row in curve:
            row["settings_key"] = key
        if path is not None:
            append_rows(path, curve)
        rows.extend(curve)
    return EvaluationResult(rows=rows, settings=settings)


def _settings_key(settings: dict, labels: np.ndarray, fixed, test_set: TestSet) -> str:
    """A digest of everything a curve's numbers depend on but its seed and method."""
    digest = hashlib.sha256(json.dumps({k: v for k, v in settings.items()
                                        if k not in ("methods", "seeds")}, sort_keys=True).encode())
    for array in (labels, fixed, test_set.items, test_set.features, test_set.labels):
        if array is not None:
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def _split(test_set: TestSet, seed: int, num_items: int):
    """``(pool_items, test_items)``; ``test_items`` is ``None`` for separate test arrays."""
    if test_set.fraction is not None:
        return held_out_split(seed, num_items, test_set.size)
    if test_set.items is not None:
        return np.setdiff1d(np.arange(num_items), test_set.items), test_set.items
    return np.arange(num_items), None


def _run_curve(features, labels, test_set: TestSet, seed: int, method: str,
               fit_predict: Callable, metric_fn: Callable, metric_reads: str, initial: int,
               budgets: Sequence[int], reads_probs: bool,
               options: Optional[dict]) -> List[dict]:
    """One learning curve's rows (see the module docstring)."""
    pool_items, test_items = _split(test_set, seed, len(labels))
    test_y = labels[test_items] if test_items is not None else test_set.labels
    labelled = np.zeros(len(pool_items), dtype=bool)
    added = initial_positions(seed, len(pool_items), initial)
    seconds = None
    rows = []
    for cycle in range(len(budgets) + 1):
        labelled[added] = True
        known = np.flatnonzero(labelled)
        if callable(features):
            every = check_features(features(pool_items[known]), "features", len(labels))
            pool_x = every[pool_items]
            test_x = every[test_items] if test_items is not None else test_set.features
        else:
            pool_x = features[pool_items]
            test_x = features[test_items] if test_items is not None else test_set.features
        probs, predictions = fit_predict(pool_x[known], labels[pool_items][known],
                                         np.concatenate([pool_x, test_x]),
                                         derive_seed(seed, LEARNER_TAG + cycle))
        scored = probs[len(pool_x):] if metric_reads == "probabilities" \
            else predictions[len(pool_x):]
        rows.append({"method": method, "seed": seed, "cycle": cycle, "labelled": len(known),
                     "value": float(metric_fn(test_y, scored)),
                     "added": pool_items[added].tolist(), "selection_seconds": seconds})
        if cycle == len(budgets):
            break
        start = time.perf_counter()
        added = np.asarray(select(pool_x, labelled, budgets[cycle], method=method,
                                  probs=probs[:len(pool_x)] if reads_probs else None,
                                  options=options, seed=derive_seed(seed, SELECTION_TAG + cycle)))
        seconds = time.perf_counter() - start
        if labelled[added].any() or len(np.unique(added)) != budgets[cycle]:
            raise RuntimeError(f"{method} picked labelled or repeated items")  # select's contract
    return rows
