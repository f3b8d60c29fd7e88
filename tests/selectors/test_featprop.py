"""FeatProp."""
import torch

from gcnal.graph import KNNAdjacency
from gcnal.selectors import featprop, propagate_features


def test_propagate_features_is_two_hops_of_the_knn_graph(blobs):
    x, _ = blobs(per_cluster=5)
    adj = KNNAdjacency(x, k=4)
    dense = adj.to_dense()
    expected = dense @ (dense @ adj.vectors)
    assert torch.allclose(propagate_features(x, k=4, hops=2), expected, atol=1e-5)


def test_featprop_picks_are_unlabelled_unique_and_deterministic(blobs, gen):
    x, _ = blobs()
    labelled = torch.zeros(240, dtype=torch.bool)
    labelled[::3] = True
    a = featprop(None, x, labelled, 25, generator=gen(2))
    assert a.unique().numel() == 25 and not labelled[a].any()
    assert torch.equal(a, featprop(None, x, labelled, 25, generator=gen(2)))


def test_featprop_on_duplicate_points_still_returns_budget_unique_items(gen):
    x = torch.ones(12, 3)
    picks = featprop(None, x, torch.zeros(12, dtype=torch.bool), 12, generator=gen())
    assert sorted(picks.tolist()) == list(range(12))
