r"""Selectors: functions ``(scores, embeddings, labelled_mask, budget, *,
generator) -> indices`` that turn a sampler's node outputs into picks."""
from .kcenter import k_center_greedy, k_center_greedy_indices, min_distance_to
from .probability import entropy, least_confidence, margin
from .random_sampling import random_sampling
from .ranking import rank_unlabelled
from .uncertainty import closest_to_margin

__all__ = [
    "closest_to_margin",
    "entropy",
    "k_center_greedy",
    "k_center_greedy_indices",
    "least_confidence",
    "margin",
    "min_distance_to",
    "random_sampling",
    "rank_unlabelled",
]
