r"""The learner of the evaluation loop: trained from scratch on the labelled
items every cycle, it scores the test set and, for classification, gives the
pool's class probabilities (the ``probs`` signal).

A learner is one of

- ``"logistic"``: scikit-learn's ``LogisticRegression(max_iter=2000, C=1.0)``
  (classification), or ``"ridge"``: ``Ridge(alpha=1.0)`` (regression); both
  need ``pip install 'gcnal[demo]'``;
- a scikit-learn-style estimator with ``fit`` and ``predict_proba`` (a
  classifier) or with ``fit`` and ``predict`` only (a regressor): cloned
  (unfitted) every cycle, its ``random_state`` set to the cycle's seed when it
  has one;
- a callable ``learner(train_features, train_targets, features, seed)``
  returning, for classification, an :math:`(M, C)` array of class
  probabilities for the :math:`M` rows of ``features``, columns in the order
  of the sorted classes; for regression (``task="regression"``), the
  :math:`(M,)` predictions.

Every learner is reduced to one function, ``fit_predict(train_x, train_y,
x, seed) -> (probs, predictions)``: for classification ``probs`` is
:math:`(M, C)` over all the task's classes (classes the learner never saw
get probability 0) and ``predictions`` the predicted class of each row; for
regression ``probs`` is ``None``.
"""
from __future__ import annotations

import copy
from typing import Callable, Optional, Tuple

import numpy as np

from ..errors import InvalidParameterError, MissingDependencyError

FitPredict = Callable[[np.ndarray, np.ndarray, np.ndarray, int],
                      Tuple[Optional[np.ndarray], np.ndarray]]

#: The named learners and their tasks.
LEARNERS = {"logistic": "classification", "ridge": "regression"}
TASKS = ("classification", "regression")


def named_learner(name: str):
    """The named learner (see :data:`LEARNERS`), unfitted."""
    try:
        from sklearn.linear_model import LogisticRegression, Ridge
    except ImportError as err:
        raise MissingDependencyError("scikit-learn", "demo",
                                     f"evaluate's learner={name!r}") from err
    return LogisticRegression(max_iter=2000, C=1.0) if name == "logistic" else Ridge(alpha=1.0)


def _fresh(estimator, seed: int):
    """An unfitted copy of ``estimator`` with ``random_state=seed`` when it has one."""
    try:
        from sklearn.base import clone
        model = clone(estimator)
    except ImportError:
        model = copy.deepcopy(estimator)
    if hasattr(model, "get_params") and "random_state" in model.get_params():
        model.set_params(random_state=seed)
    return model


def estimator_fit_predict(estimator, classes: np.ndarray) -> FitPredict:
    """``fit_predict`` for a scikit-learn-style estimator. With one class
    labelled the learner predicts it everywhere (probability 1), since most
    estimators refuse to fit a single class."""

    def fit_predict(train_x, train_y, x, seed):
        probs = np.zeros((len(x), len(classes)), dtype=np.float64)
        seen = np.unique(train_y)
        if len(seen) == 1:
            probs[:, np.searchsorted(classes, seen[0])] = 1.0
            return probs, np.full(len(x), seen[0])
        model = _fresh(estimator, seed).fit(train_x, train_y)
        probs[:, np.searchsorted(classes, model.classes_)] = model.predict_proba(x)
        return probs, np.asarray(model.predict(x))

    return fit_predict


def callable_fit_predict(learner, classes: np.ndarray) -> FitPredict:
    """``fit_predict`` for a user's ``learner(train_x, train_y, x, seed) -> probs``."""

    def fit_predict(train_x, train_y, x, seed):
        probs = np.asarray(learner(train_x, train_y, x, seed), dtype=np.float64)
        if probs.shape != (len(x), len(classes)) or not np.isfinite(probs).all():
            raise InvalidParameterError(
                "learner", f"a callable returning finite class probabilities of shape "
                f"({len(x)}, {len(classes)}) (rows asked, classes)",
                f"shape {probs.shape}" + ("" if np.isfinite(probs).all() else " with NaN/inf"),
                "evaluate")
        return probs, classes[probs.argmax(axis=1)]

    return fit_predict


def regressor_fit_predict(estimator) -> FitPredict:
    """``fit_predict`` for a scikit-learn-style regressor: no probabilities."""

    def fit_predict(train_x, train_y, x, seed):
        return None, np.asarray(_fresh(estimator, seed).fit(train_x, train_y).predict(x))

    return fit_predict


def callable_regression_fit_predict(learner) -> FitPredict:
    """``fit_predict`` for a user's ``learner(train_x, train_y, x, seed) -> predictions``."""

    def fit_predict(train_x, train_y, x, seed):
        predictions = np.asarray(learner(train_x, train_y, x, seed))
        if predictions.shape != (len(x),) or not np.issubdtype(predictions.dtype, np.number) \
                or not np.isfinite(predictions).all():
            raise InvalidParameterError(
                "learner", f"a callable returning {len(x)} finite predictions (one per row "
                "asked) for task='regression'", f"{predictions.dtype} array of shape "
                f"{predictions.shape}", "evaluate")
        return None, predictions

    return fit_predict


def learner_task(learner, task: Optional[str]) -> str:
    """The task the learner is for: ``task`` when given (checked against the
    learner), else the named learner's, ``"regression"`` for an estimator
    without ``predict_proba``, ``"classification"`` otherwise."""
    if task is not None and task not in TASKS:
        raise InvalidParameterError("task", f"None or one of {list(TASKS)}", repr(task), "evaluate")
    if isinstance(learner, str):
        if learner not in LEARNERS:
            raise InvalidParameterError("learner", f"one of {list(LEARNERS)}, an estimator or a "
                                        "callable", repr(learner), "evaluate")
        own = LEARNERS[learner]
    elif hasattr(learner, "fit") and hasattr(learner, "predict_proba"):
        own = "classification"
    elif hasattr(learner, "fit") and hasattr(learner, "predict"):
        own = "regression"
    elif callable(learner):
        return task or "classification"
    else:
        raise InvalidParameterError("learner", "'logistic', 'ridge', an estimator with fit and "
                                    "predict(_proba), or a callable", type(learner).__name__,
                                    "evaluate")
    if task is not None and task != own:
        raise InvalidParameterError("learner", f"a learner for task={task!r}",
                                    f"{learner if isinstance(learner, str) else type(learner).__name__}"
                                    f" (a {own} learner)", "evaluate")
    return own


def resolve_learner(learner, task: str, classes: Optional[np.ndarray]) -> Tuple[FitPredict, str]:
    """The learner's ``fit_predict`` for ``task`` (from :func:`learner_task`)
    and a short description of it; ``classes`` are the sorted classes of a
    classification task."""
    name = learner if isinstance(learner, str) else \
        type(learner).__name__ if hasattr(learner, "fit") else getattr(learner, "__name__", "callable")
    if isinstance(learner, str):
        learner = named_learner(learner)
    if task == "regression":
        return (regressor_fit_predict(learner) if hasattr(learner, "fit")
                else callable_regression_fit_predict(learner)), name
    if hasattr(learner, "fit"):
        return estimator_fit_predict(learner, classes), name
    return callable_fit_predict(learner, classes), name
