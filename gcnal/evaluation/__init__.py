"""Evaluate selection methods on one's own labelled data: :func:`evaluate`
simulates the active-learning loop and returns an :class:`EvaluationResult`."""
from .loop import DEFAULT_METHODS, evaluate
from .result import EvaluationResult

__all__ = ["DEFAULT_METHODS", "EvaluationResult", "evaluate"]
