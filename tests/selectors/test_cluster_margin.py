"""Cluster-Margin: lowest-margin candidates, round robin over clusters."""
import numpy as np
import pytest
import torch

import gcnal
from gcnal import InvalidParameterError
from gcnal.selectors import cluster_margin, round_robin


def test_round_robin_visits_smallest_cluster_first_then_cycles():
    candidates = torch.tensor([10, 11, 12, 13, 14, 15])
    clusters = torch.tensor([0, 0, 0, 1, 2, 2])  # sizes 3, 1, 2: visit 1, 2, 0
    seen_third = set()
    for seed in range(30):
        order = round_robin(candidates, clusters, 6, torch.Generator().manual_seed(seed))
        picks = candidates[order].tolist()
        assert picks[0] == 13
        assert picks[1] in (14, 15) and picks[2] in (10, 11, 12)
        assert {picks[1], picks[3]} == {14, 15}
        assert picks[4] in (10, 11, 12) and sorted(picks[2:3] + picks[4:]) == [10, 11, 12]
        seen_third.add(picks[2])
    assert seen_third == {10, 11, 12}  # uniform inside a cluster, not first-come


def test_round_robin_ties_go_to_the_cluster_with_the_earlier_candidate():
    candidates = torch.tensor([5, 6, 7, 8])
    clusters = torch.tensor([9, 4, 9, 4])  # both hold 2; cluster 9 holds the first candidate
    order = round_robin(candidates, clusters, 4, torch.Generator().manual_seed(0))
    assert clusters[order].tolist() == [9, 4, 9, 4]
    assert round_robin(candidates, clusters, 2).numel() == 2


def _two_blob_pool(n=200):
    rng = np.random.default_rng(0)
    blob = np.arange(n) % 2
    features = np.where(blob[:, None] == 0, -10.0, 10.0) + rng.normal(size=(n, 3))
    margin = np.linspace(0.01, 0.9, n)
    probs = np.stack([(1 + margin) / 2, (1 - margin) / 2], axis=1)
    return features, probs, blob, margin


def test_picks_come_from_the_lowest_margin_candidates_and_alternate_clusters():
    features, probs, blob, margin = _two_blob_pool()
    mask = np.zeros(200, dtype=bool)
    mask[[1, 4]] = True
    sel = gcnal.select(features, mask, 8, method="cluster_margin", probs=probs, seed=0,
                       options={"margin_candidates": 2.0, "num_clusters": 2},
                       return_info=True)
    picks = sel.indices
    candidates = [i for i in range(200) if not mask[i]][:16]  # margin grows with the index
    assert set(picks.tolist()) <= set(candidates) and len(set(picks.tolist())) == 8
    assert blob[picks].tolist() in ([0, 1] * 4, [1, 0] * 4)
    scores = sel.pick_scores
    assert np.allclose(scores["margin"], margin[picks], atol=1e-6)
    assert len(set(scores["cluster"].tolist())) == 2


def test_one_candidate_per_pick_is_margin_sampling():
    features, probs, _, _ = _two_blob_pool()
    mask = np.zeros(200, dtype=bool)
    mask[:3] = True
    picks = gcnal.select(features, mask, 10, method="cluster_margin", probs=probs, seed=0,
                         options={"margin_candidates": 1.0})
    margin = gcnal.select(features, mask, 10, method="margin", probs=probs)
    assert sorted(picks.tolist()) == sorted(margin.tolist())


def test_seeded_and_valid_on_a_sampled_clustering():
    rng = np.random.default_rng(4)
    features = rng.normal(size=(300, 5))
    probs = rng.dirichlet(np.ones(3), size=300)
    mask = np.zeros(300, dtype=bool)
    mask[::5] = True
    opts = {"hac_sample": 50, "distance_threshold": 2.0}
    a = gcnal.select(features, mask, 25, method="cluster_margin", probs=probs, seed=1,
                     options=opts)
    b = gcnal.select(features, mask, 25, method="cluster_margin", probs=probs, seed=1,
                     options=opts)
    c = gcnal.select(features, mask, 25, method="cluster_margin", probs=probs, seed=2,
                     options=opts)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.dtype == np.int64 and len(set(a.tolist())) == 25 and not mask[a].any()


@pytest.mark.parametrize("options, parameter", [
    ({"margin_candidates": 0.5}, "margin_candidates"),
    ({"margin_candidates": float("nan")}, "margin_candidates"),
    ({"num_clusters": 0}, "num_clusters"),
    ({"num_clusters": 3, "distance_threshold": 1.0}, "distance_threshold"),
    ({"distance_threshold": -1.0}, "distance_threshold"),
    ({"hac_sample": True}, "hac_sample"),
])
def test_bad_options_name_the_parameter(options, parameter):
    probs = torch.full((10, 2), 0.5)
    with pytest.raises(InvalidParameterError, match=f"'{parameter}' parameter of cluster_margin"):
        cluster_margin(probs, torch.rand(10, 2), torch.zeros(10, dtype=torch.bool), 2, **options)


@pytest.mark.parametrize("features", [np.zeros((40, 3)), np.full((40, 3), 1e30),
                                      np.repeat(np.eye(2), 20, axis=0)])
def test_degenerate_features_still_fill_the_batch(features):
    probs = np.full((40, 4), 0.25)  # every margin 0
    mask = np.zeros(40, dtype=bool)
    mask[:7] = True
    picks = gcnal.select(features.astype(np.float32), mask, 33, method="cluster_margin",
                         probs=probs, seed=0)
    assert picks.dtype == np.int64 and sorted(picks.tolist()) == list(range(7, 40))
