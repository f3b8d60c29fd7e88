"""gcnal: graph-native active learning.

>>> import gcnal
>>> idx = gcnal.select(features, labelled_mask, budget=100, method="uncertain_gcn", seed=0)
"""
from . import presets as _presets  # noqa: F401  (registers the built-in methods)
from . import learner
from .api import select
from .errors import InvalidParameterError, MissingDependencyError, UnknownNameError
from .graph import (CosineAdjacency, KNNAdjacency, build_adjacency, cosine_adjacency, knn_search,
                    pool_graph, to_networkx)
from .registry import available_methods, register_method, register_sampler, register_selector
from .selection import Selection

__version__ = "0.1.0"

__all__ = [
    "CosineAdjacency",
    "InvalidParameterError",
    "KNNAdjacency",
    "MissingDependencyError",
    "Selection",
    "UnknownNameError",
    "available_methods",
    "build_adjacency",
    "cosine_adjacency",
    "knn_search",
    "learner",
    "pool_graph",
    "register_method",
    "register_sampler",
    "register_selector",
    "select",
    "to_networkx",
]
