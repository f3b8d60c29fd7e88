r"""The learner of the evaluation loop: trained from scratch on the labelled
items every cycle, it scores the test set and gives the pool's class
probabilities (the ``probs`` signal).

A learner is one of

- ``"logistic"``: scikit-learn's ``LogisticRegression(max_iter=2000, C=1.0)``
  (needs ``pip install 'gcnal[demo]'``);
- a scikit-learn-style estimator with ``fit`` and ``predict_proba``: cloned
  (unfitted) every cycle, its ``random_state`` set to the cycle's seed when it
  has one;
- a callable ``learner(train_features, train_labels, features, seed)``
  returning an :math:`(M, C)` array of class probabilities for the :math:`M`
  rows of ``features``, columns in the order of the sorted classes.

Every learner is reduced to one function, ``fit_predict(train_x, train_y,
x, seed) -> (probs, predictions)`` with ``probs`` :math:`(M, C)` over all the
task's classes (classes the learner never saw get probability 0) and
``predictions`` the predicted class of each row.
"""
from __future__ import annotations

import copy
from typing import Callable, Tuple

import numpy as np

from ..errors import InvalidParameterError, MissingDependencyError

FitPredict = Callable[[np.ndarray, np.ndarray, np.ndarray, int], Tuple[np.ndarray, np.ndarray]]

LEARNERS = ("logistic",)


def logistic_regression():
    """The default learner, unfitted."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as err:
        raise MissingDependencyError("scikit-learn", "demo",
                                     "evaluate's default learner (learner='logistic')") from err
    return LogisticRegression(max_iter=2000, C=1.0)


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


def resolve_learner(learner, classes: np.ndarray) -> Tuple[FitPredict, str]:
    """The learner's ``fit_predict`` and a short description of it."""
    if isinstance(learner, str):
        if learner not in LEARNERS:
            raise InvalidParameterError("learner", f"one of {list(LEARNERS)}, an estimator or a "
                                        "callable", repr(learner), "evaluate")
        return estimator_fit_predict(logistic_regression(), classes), "logistic"
    if hasattr(learner, "fit") and hasattr(learner, "predict_proba"):
        return estimator_fit_predict(learner, classes), type(learner).__name__
    if callable(learner):
        return callable_fit_predict(learner, classes), getattr(learner, "__name__", "callable")
    raise InvalidParameterError("learner", "'logistic', an estimator with fit and "
                                "predict_proba, or a callable", type(learner).__name__, "evaluate")
