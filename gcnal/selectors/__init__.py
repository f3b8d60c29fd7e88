r"""Selectors: functions ``(scores, embeddings, labelled_mask, budget, *,
generator) -> indices`` that turn a sampler's node outputs into picks."""
from .featprop import featprop, propagate_features
from .kcenter import k_center_greedy, k_center_greedy_indices, min_distance_to
from .kmeans import kmeans, kmeans_plus_plus, nearest_centroid
from .probability import entropy, least_confidence, margin
from .probcover import (ball_edges, coverage, knn_distances, max_coverage, probcover,
                        purity_delta)
from .random_sampling import random_sampling
from .ranking import rank_unlabelled
from .typiclust import typicality, typiclust
from .uncertainty import closest_to_margin
from .vaal import vaal

__all__ = [
    "ball_edges",
    "closest_to_margin",
    "coverage",
    "entropy",
    "featprop",
    "k_center_greedy",
    "k_center_greedy_indices",
    "kmeans",
    "kmeans_plus_plus",
    "knn_distances",
    "least_confidence",
    "margin",
    "max_coverage",
    "min_distance_to",
    "nearest_centroid",
    "probcover",
    "propagate_features",
    "purity_delta",
    "random_sampling",
    "rank_unlabelled",
    "typicality",
    "typiclust",
    "vaal",
]
