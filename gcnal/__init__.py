"""gcnal: pick which unlabelled pool items to annotate next (pool-based active
learning), with the classic baselines and graph-neural-network samplers.

>>> import numpy as np
>>> import gcnal
>>> rng = np.random.default_rng(0)
>>> features = rng.normal(size=(200, 8)).astype(np.float32)   # one row per pool item
>>> labelled_mask = np.zeros(200, dtype=bool)
>>> labelled_mask[:20] = True
>>> picks = gcnal.select(features, labelled_mask, budget=5, method="uncertain_gcn", seed=0)
>>> len(picks), picks.dtype, bool(labelled_mask[picks].any())
(5, dtype('int64'), False)
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
