r"""Selectors: functions ``(scores, embeddings, labelled_mask, budget, *,
generator) -> (indices, pick_scores)`` that turn a sampler's node outputs into
picks, with the values that decided each pick (``pick_scores``: column name ->
``(budget,)`` tensor aligned with the picks; see
:func:`gcnal.selection.split_selector_output`). A plug-in selector may return
the indices alone."""
from .adaptive import (diverse_margin, explore_exploit, labelled_competence,
                       spread_greedy, typical_margin)
from .badge import badge, gradient_sq_distance, hypothesis_residual, kmeans_pp_gradient_seeds
from .bald import bald, mc_entropy, mutual_information
from .cluster_margin import cluster_margin, round_robin
from .featprop import featprop, propagate_features
from .gcn_typical_margin import gcn_novelty, gcn_typical_margin
from .hac import average_linkage, cut_dendrogram, sampled_hac_labels
from .kcenter import (k_center_greedy, k_center_greedy_indices, k_center_greedy_picks,
                      min_distance_to)
from .kmeans import kmeans, kmeans_plus_plus, nearest_centroid
from .learning_loss import learning_loss
from .probability import entropy, least_confidence, margin, predictive_entropy, top2_gap
from .probcover import (ball_edges, coverage, knn_distances, max_coverage, probcover,
                        purity_delta)
from .random_sampling import random_sampling
from .ranking import rank_unlabelled
from .typical_diverse import cell_radius, percentile_rank, typical_diverse
from .typiclust import typicality, typiclust
from .uncertainty import closest_to_margin
from .vaal import vaal

__all__ = [
    "average_linkage",
    "badge",
    "bald",
    "ball_edges",
    "cell_radius",
    "closest_to_margin",
    "cluster_margin",
    "coverage",
    "cut_dendrogram",
    "diverse_margin",
    "entropy",
    "explore_exploit",
    "featprop",
    "gcn_novelty",
    "gcn_typical_margin",
    "gradient_sq_distance",
    "hypothesis_residual",
    "k_center_greedy",
    "k_center_greedy_indices",
    "k_center_greedy_picks",
    "kmeans",
    "kmeans_plus_plus",
    "kmeans_pp_gradient_seeds",
    "knn_distances",
    "labelled_competence",
    "learning_loss",
    "least_confidence",
    "margin",
    "max_coverage",
    "mc_entropy",
    "min_distance_to",
    "mutual_information",
    "nearest_centroid",
    "predictive_entropy",
    "percentile_rank",
    "probcover",
    "propagate_features",
    "purity_delta",
    "random_sampling",
    "rank_unlabelled",
    "spread_greedy",
    "round_robin",
    "sampled_hac_labels",
    "top2_gap",
    "typical_diverse",
    "typical_margin",
    "typicality",
    "typiclust",
    "vaal",
]
