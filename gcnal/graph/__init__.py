r"""The pool graph: every pool item a node, edges weighted by cosine similarity.

- :mod:`~gcnal.graph.base`: :class:`PoolAdjacency`, the normalised adjacency
  :math:`A` as an operator (``adj @ y``), what samplers and selectors read;
- :mod:`~gcnal.graph.cosine`: the dense cosine graph
  (:class:`CosineAdjacency`, factored or materialised);
- :mod:`~gcnal.graph.search`: :func:`knn_search`, exact or faiss nearest
  neighbours;
- :mod:`~gcnal.graph.knn`: the sparse kNN graph (:class:`KNNAdjacency`);
- :mod:`~gcnal.graph.build`: choosing the graph (:func:`build_adjacency`,
  ``graph="auto"``) and exporting it (:func:`pool_graph` to PyG,
  :func:`to_networkx`).
"""
from .base import NORMALIZATIONS, PoolAdjacency
from .build import DENSE_MEMORY, GRAPHS, build_adjacency, pool_graph, to_networkx
from .cosine import CosineAdjacency, cosine_adjacency, l2_normalize
from .knn import KNNAdjacency, RowBlock
from .search import FAISS_NPROBE, KNN_BACKENDS, knn_search, knn_similarities

__all__ = [
    "DENSE_MEMORY",
    "FAISS_NPROBE",
    "GRAPHS",
    "KNN_BACKENDS",
    "NORMALIZATIONS",
    "CosineAdjacency",
    "KNNAdjacency",
    "PoolAdjacency",
    "RowBlock",
    "build_adjacency",
    "cosine_adjacency",
    "knn_search",
    "knn_similarities",
    "l2_normalize",
    "pool_graph",
    "to_networkx",
]
