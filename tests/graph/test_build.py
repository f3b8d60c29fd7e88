import networkx as nx
import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from gcnal import CosineAdjacency, InvalidParameterError, KNNAdjacency, build_adjacency
from gcnal import pool_graph, to_networkx

FEATURES = torch.tensor([[1.0, 0, 0], [1, 1, 0], [0, 2, 0], [0, 0, 5]])


def test_pool_graph_is_pyg_data_and_exports_to_networkx():
    mask = np.array([True, False, False, True])
    data = pool_graph(FEATURES.numpy(), mask)
    assert isinstance(data, Data)
    assert data.num_nodes == 4 and data.adj.shape == (4, 4)
    assert torch.equal(data.labelled_mask, torch.tensor([True, False, False, True]))
    graph = to_networkx(data)
    assert isinstance(graph, nx.DiGraph) and graph.number_of_nodes() == 4
    # PyG convention: A_ij is the edge j -> i; A_01 = 1 and A_10 = 0.5 (row normalisation)
    assert graph[1][0]["weight"] == pytest.approx(1.0)
    assert graph[0][1]["weight"] == pytest.approx(0.5)
    assert not graph.has_edge(0, 2) and graph.nodes[3]["labelled"]


def test_knn_pool_graph_has_edges_not_a_matrix():
    data = pool_graph(torch.rand(30, 4, generator=torch.Generator().manual_seed(0)),
                      graph="knn", k=3)
    assert "adj" not in data and data.edge_index.shape[0] == 2
    graph = to_networkx(data)
    assert graph.number_of_edges() == data.edge_index.size(1)


def test_build_adjacency_choices():
    x = torch.rand(20, 3, generator=torch.Generator().manual_seed(0))
    dense, text = build_adjacency(x, "dense")
    assert isinstance(dense, CosineAdjacency) and text == "dense (factored, O(N d))"
    knn, text = build_adjacency(x, "knn", k=4)
    assert isinstance(knn, KNNAdjacency) and text.startswith("knn (k=4")
    with pytest.raises(InvalidParameterError, match="'graph'.*'auto', 'dense', 'knn'"):
        build_adjacency(x, "sparse")
