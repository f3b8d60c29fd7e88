import pytest
import torch
from sklearn.metrics import roc_auc_score

from gcnal import CosineAdjacency, InvalidParameterError
from gcnal.graph import KNNAdjacency
from gcnal.samplers import GATSampler, pool_edge_index, score_sampler, train_sampler


def test_shapes_and_repr(clustered_pool):
    x, _, _ = clustered_pool()
    adj = CosineAdjacency(x)
    model = GATSampler(16, hidden_channels=8, heads=2)
    assert model(adj.vectors, adj).shape == (200,)
    assert model.embed(adj.vectors, adj).shape == (200, 8)
    assert "hidden_channels=8" in repr(model) and "heads=2" in repr(model)


def test_hidden_not_divisible_by_heads_rounds_each_head_up(clustered_pool):
    x, _, _ = clustered_pool(n=20)
    adj = CosineAdjacency(x)
    assert GATSampler(16, hidden_channels=10, heads=4).embed(adj.vectors, adj).shape == (20, 12)


def test_dense_graph_edges_are_the_top_k_made_undirected():
    # four points on a quarter circle: each one's nearest is its neighbour on the arc
    angles = torch.tensor([0.0, 0.2, 0.9, 1.5])
    x = torch.stack([angles.cos(), angles.sin()], dim=1)
    edges = pool_edge_index(CosineAdjacency(x), k=1)
    got = {tuple(e) for e in edges.T.tolist()}
    # nearest by angle: 0 -> 1 (0.2), 1 -> 0 (0.2), 2 -> 3 (0.6 < 0.7), 3 -> 2
    assert got == {(0, 1), (1, 0), (2, 3), (3, 2)}
    assert not (edges[0] == edges[1]).any()


def test_sparse_graph_edges_are_its_own(clustered_pool):
    x, _, _ = clustered_pool(n=30)
    adj = KNNAdjacency(x, k=3)
    assert pool_edge_index(adj) is adj.edge_index


def test_edges_with_fewer_items_than_k_and_a_single_item():
    x = torch.rand(3, 4)
    assert pool_edge_index(CosineAdjacency(x), k=10).size(1) == 6  # complete, no loops
    assert pool_edge_index(CosineAdjacency(x[:1]), k=10).shape == (2, 0)


def test_works_on_the_knn_graph(clustered_pool):
    x, labelled, _ = clustered_pool()
    adj = KNNAdjacency(x, k=8)
    model = GATSampler(16, hidden_channels=32)
    train_sampler(model, adj.vectors, adj, labelled, epochs=40,
                  generator=torch.Generator().manual_seed(0))
    scores, _ = score_sampler(model, adj.vectors, adj)
    assert roc_auc_score(labelled.numpy(), scores.numpy()) > 0.85


def test_training_is_deterministic_per_generator_and_leaves_the_global_rng_alone(clustered_pool):
    x, labelled, _ = clustered_pool(n=60)
    adj = CosineAdjacency(x)
    runs = []
    for seed in (3, 3, 4):
        model = GATSampler(16, hidden_channels=8, cached=True)
        state = torch.get_rng_state()
        train_sampler(model, adj.vectors, adj, labelled, epochs=10,
                      generator=torch.Generator().manual_seed(seed))
        runs.append(score_sampler(model, adj.vectors, adj)[0])
        assert torch.equal(state, torch.get_rng_state())
    assert torch.equal(runs[0], runs[1]) and not torch.equal(runs[0], runs[2])


def test_cached_edges_are_reset_with_the_parameters(clustered_pool):
    x, _, _ = clustered_pool(n=30)
    model = GATSampler(16, hidden_channels=8, cached=True)
    model(x, CosineAdjacency(x))
    assert model._cached_edges is not None
    model.reset_parameters(torch.Generator().manual_seed(0))
    assert model._cached_edges is None


@pytest.mark.parametrize("name, value", [("heads", 0), ("hidden_channels", 2.5), ("k", True),
                                         ("dropout", 1.0)])
def test_bad_hyper_parameters(name, value):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of GATSampler"):
        GATSampler(4, **{name: value})


def test_pool_edge_index_needs_a_pool_graph():
    with pytest.raises(InvalidParameterError, match="'adj'.*edge_index"):
        pool_edge_index(torch.eye(3))
