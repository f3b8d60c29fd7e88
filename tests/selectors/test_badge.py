"""BADGE: gradient-embedding distances and k-means++ (D^2) seeding."""
import numpy as np
import pytest
import torch

import gcnal
from gcnal.selectors import (badge, gradient_sq_distance, hypothesis_residual,
                             kmeans_pp_gradient_seeds)


def _explicit_embeddings(probs, features):
    """The N x C x d gradient embeddings, materialised: (p - e_argmax) outer x."""
    onehot = torch.nn.functional.one_hot(probs.argmax(dim=1), probs.size(1)).to(probs.dtype)
    return torch.einsum("nc,nd->ncd", probs - onehot, features).reshape(probs.size(0), -1)


def _random_probs(n, c, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(2 * torch.randn(n, c, generator=g, dtype=torch.float64), dim=1)


def test_factorised_distance_equals_explicit_embeddings():
    g = torch.Generator().manual_seed(3)
    probs = _random_probs(15, 4)
    features = torch.randn(15, 6, generator=g, dtype=torch.float64)
    embeddings = _explicit_embeddings(probs, features)
    residual = hypothesis_residual(probs)
    for u in (0, 7, 14):
        explicit = (embeddings - embeddings[u]).square().sum(dim=1)
        assert torch.allclose(gradient_sq_distance(residual, features, u), explicit,
                              rtol=1e-10, atol=1e-12)
    assert gradient_sq_distance(residual, features, 7)[7] == 0


def test_residual_is_probs_minus_onehot_of_the_hypothesised_label():
    probs = torch.tensor([[0.2, 0.5, 0.3], [0.4, 0.4, 0.2]], dtype=torch.float64)
    expected = torch.tensor([[0.2, -0.5, 0.3], [-0.6, 0.4, 0.2]], dtype=torch.float64)
    assert torch.allclose(hypothesis_residual(probs), expected)  # tie -> lowest class
    assert torch.equal(probs, torch.tensor([[0.2, 0.5, 0.3], [0.4, 0.4, 0.2]],
                                           dtype=torch.float64))  # input untouched


def test_first_pick_is_largest_gradient_norm_and_scores_are_d2_at_pick():
    g = torch.Generator().manual_seed(1)
    probs = _random_probs(40, 5, seed=1)
    features = torch.randn(40, 8, generator=g, dtype=torch.float64)
    labelled = torch.zeros(40, dtype=torch.bool)
    labelled[[3, 9]] = True
    picks, scores = badge(probs, features, labelled, 6, generator=torch.Generator().manual_seed(0))
    embeddings = _explicit_embeddings(probs, features)
    norms = embeddings.norm(dim=1)
    norms[labelled] = -1
    assert int(picks[0]) == int(norms.argmax())
    assert torch.isinf(scores["distance"][0])
    for step in range(1, 6):
        d2 = (embeddings[picks[:step]] - embeddings[picks[step]]).square().sum(dim=1).min()
        assert float(scores["distance"][step]) == pytest.approx(float(d2), rel=1e-8)
    assert torch.allclose(scores["gradient_norm"], embeddings[picks].norm(dim=1))


def test_second_pick_follows_d2_probabilities():
    # equal probs everywhere, so D^2 is ||r||^2 ||x_i - x_u||^2: distances 1, 2, 3 from the
    # largest-norm item give P = 1/14, 4/14, 9/14
    probs = torch.tensor([[0.7, 0.3]] * 4, dtype=torch.float64)
    features = torch.tensor([[10.0, 0.0], [9.0, 0.0], [8.0, 0.0], [7.0, 0.0]],
                            dtype=torch.float64)
    residual = hypothesis_residual(probs)
    counts = np.zeros(4)
    draws = 2800
    for seed in range(draws):
        seeds, _ = kmeans_pp_gradient_seeds(residual, features, 2,
                                            torch.Generator().manual_seed(seed))
        assert int(seeds[0]) == 0
        counts[int(seeds[1])] += 1
    expected = np.array([0, 1, 4, 9]) / 14 * draws
    assert counts[0] == 0
    # 4 standard deviations of a binomial count
    assert np.all(np.abs(counts - expected) <= 4 * np.sqrt(expected * (1 - expected / draws)))


def test_a_point_at_distance_zero_is_never_drawn_while_others_remain():
    # item 1 duplicates item 0 (the largest norm, picked first): D^2 = 0 from then on
    g = torch.Generator().manual_seed(0)
    features = torch.randn(8, 3, generator=g, dtype=torch.float64)
    features[0] = features[1] = torch.tensor([50.0, 50.0, 50.0], dtype=torch.float64)
    probs = _random_probs(8, 3, seed=2)
    probs[0] = probs[1] = torch.tensor([0.4, 0.3, 0.3], dtype=torch.float64)
    labelled = torch.zeros(8, dtype=torch.bool)
    for seed in range(40):
        picks, _ = badge(probs, features, labelled, 7, generator=torch.Generator().manual_seed(seed))
        assert int(picks[0]) == 0 and 1 not in picks.tolist()
        all_picks, _ = badge(probs, features, labelled, 8,
                             generator=torch.Generator().manual_seed(seed))
        assert int(all_picks[-1]) == 1  # only once nothing else is left


def test_three_separated_clusters_get_one_pick_each():
    g = torch.Generator().manual_seed(5)
    centres = torch.tensor([[20.0, 0.0, 0.0], [0.0, 20.0, 0.0], [0.0, 0.0, 20.0]],
                           dtype=torch.float64)
    cluster = torch.arange(60) % 3
    features = centres[cluster] + 0.01 * torch.randn(60, 3, generator=g, dtype=torch.float64)
    probs = torch.tensor([[0.6, 0.4]], dtype=torch.float64).repeat(60, 1)
    labelled = torch.zeros(60, dtype=torch.bool)
    for seed in range(20):
        picks, _ = badge(probs, features, labelled, 3, generator=torch.Generator().manual_seed(seed))
        assert sorted(cluster[picks].tolist()) == [0, 1, 2]


def test_one_hot_probs_give_zero_embeddings_and_still_a_valid_selection():
    n = 30
    probs = np.eye(3)[np.arange(n) % 3]  # confident learner: every g_i = 0
    features = np.random.default_rng(0).normal(size=(n, 4))
    mask = np.zeros(n, dtype=bool)
    mask[:5] = True
    picks = gcnal.select(features, mask, n - 5, method="badge", probs=probs, seed=0)
    assert picks.dtype == np.int64 and sorted(picks.tolist()) == list(range(5, n))


@pytest.mark.parametrize("scale", [1e-30, 1.0, 1e20, 1e30])
def test_extreme_feature_scales_give_the_same_valid_picks(scale):
    rng = np.random.default_rng(1)
    features = rng.normal(size=(80, 6)).astype(np.float32)
    probs = rng.dirichlet(np.ones(4), size=80)
    mask = np.zeros(80, dtype=bool)
    mask[::7] = True
    reference = gcnal.select(features, mask, 15, method="badge", probs=probs, seed=3)
    picks = gcnal.select(features * np.float32(scale), mask, 15, method="badge", probs=probs,
                         seed=3)
    assert np.array_equal(picks, reference)
    assert len(set(picks.tolist())) == 15 and not mask[picks].any()


def test_seed_determines_the_selection():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(200, 8))
    probs = rng.dirichlet(np.ones(5), size=200)
    mask = np.zeros(200, dtype=bool)
    mask[:10] = True
    a = gcnal.select(features, mask, 20, method="badge", probs=probs, seed=11)
    b = gcnal.select(features, mask, 20, method="badge", probs=probs, seed=11)
    c = gcnal.select(features, mask, 20, method="badge", probs=probs, seed=12)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a[0] == c[0]  # the largest gradient norm does not depend on the seed
