"""Each built-in selector returns, per pick, the value that decided it."""
import numpy as np
import pytest
import torch

import gcnal
from gcnal.graph import l2_normalize
from gcnal.selectors import (bald, closest_to_margin, entropy, featprop, k_center_greedy,
                             learning_loss, least_confidence, margin, mc_entropy,
                             mutual_information, predictive_entropy, probcover, random_sampling,
                             top2_gap, typical_diverse, typicality, typiclust, vaal)


@pytest.fixture
def data(blobs):
    x, assign = blobs()
    labelled = torch.zeros(x.size(0), dtype=torch.bool)
    labelled[:6] = True  # one item of each cluster
    g = torch.Generator().manual_seed(1)
    probs = torch.softmax(3 * torch.randn(x.size(0), 4, generator=g), dim=1)
    mc = torch.softmax(3 * torch.randn(x.size(0), 5, 4, generator=g), dim=2)
    return x, labelled, probs, mc


def _monotone(values, increasing):
    diffs = values[1:] - values[:-1]
    return bool((diffs >= -1e-6).all()) if increasing else bool((diffs <= 1e-6).all())


@pytest.mark.parametrize("selector, column, of, most_wanted_first", [
    (entropy, "entropy", lambda p, mc: predictive_entropy(p), "high"),
    (margin, "margin", lambda p, mc: top2_gap(p), "low"),
    (least_confidence, "confidence", lambda p, mc: p.max(dim=1).values, "low"),
    (bald, "mutual_information", lambda p, mc: mutual_information(mc), "high"),
    (mc_entropy, "entropy", lambda p, mc: predictive_entropy(mc.mean(1)), "high"),
])
def test_uncertainty_selectors_return_the_score_they_ranked(data, selector, column, of,
                                                            most_wanted_first):
    x, labelled, probs, mc = data
    signal = mc if selector in (bald, mc_entropy) else probs
    picks, scores = selector(signal, None, labelled, 20)
    assert list(scores) == [column]
    assert torch.allclose(scores[column], of(probs, mc)[picks])
    assert _monotone(scores[column], increasing=most_wanted_first == "low")
    # the best unpicked unlabelled item is no better than the worst pick
    rest = torch.ones_like(labelled)
    rest[picks], rest[labelled] = False, False
    value = of(probs, mc)
    if most_wanted_first == "high":
        assert float(value[rest].max()) <= float(scores[column].min()) + 1e-6
    else:
        assert float(value[rest].min()) >= float(scores[column].max()) - 1e-6


def test_closest_to_margin_reports_the_score_and_its_distance(data):
    x, labelled, probs, _ = data
    score = probs[:, 0]
    picks, columns = closest_to_margin(score, None, labelled, 10, s_margin=0.3)
    assert torch.equal(columns["score"], score[picks])
    assert torch.allclose(columns["distance_to_margin"], (score[picks] - 0.3).abs())
    assert _monotone(columns["distance_to_margin"], increasing=True)


def test_learning_loss_and_vaal_report_what_they_ranked(data):
    x, labelled, _, _ = data
    loss = torch.randn(x.size(0), generator=torch.Generator().manual_seed(0))
    picks, columns = learning_loss(loss, None, labelled, 8)
    assert torch.equal(columns["predicted_loss"], loss[picks])
    assert _monotone(columns["predicted_loss"], increasing=False)
    picks, columns = vaal(None, x, labelled, 8, generator=torch.Generator().manual_seed(0),
                          epochs=1, batch_size=32, z_dim=4, hidden_channels=16)
    p = columns["labelled_probability"]
    assert ((p >= 0) & (p <= 1)).all() and _monotone(p, increasing=True)


def _nearest_distance(x, centres, item):
    return float((x[centres] - x[item]).norm(dim=1).min()) if centres.any() else float("inf")


def test_k_center_distance_is_the_distance_to_the_nearest_centre_when_picked(data):
    x, labelled, _, _ = data
    for mask in (labelled, torch.zeros_like(labelled)):
        picks, columns = k_center_greedy(None, x, mask, 12,
                                         generator=torch.Generator().manual_seed(0))
        centres = mask.clone()
        for pick, distance in zip(picks.tolist(), columns["distance"].tolist()):
            assert distance == pytest.approx(_nearest_distance(x, centres, pick), rel=1e-3,
                                             abs=1e-3)
            centres[pick] = True
        # greedy k-center: each pick is no farther out than the one before
        assert _monotone(columns["distance"], increasing=False)
    assert columns["distance"][0] == float("inf")  # cold start: no centre yet


def test_typical_diverse_reports_typicality_uncertainty_score_and_radius(data):
    x, labelled, probs, _ = data
    # 6 labelled, a budget of 30: a cold start unless cold_start=False
    picks, columns = typical_diverse(probs, x, labelled, 30, generator=torch.Generator()
                                     .manual_seed(0), cold_start=False)
    assert set(columns) == {"typicality", "uncertainty", "weight", "score", "radius"}
    # the margin's weight of the call, from the labelled set's coverage
    assert (columns["weight"] == columns["weight"][0]).all() and 0.5 <= columns["weight"][0] <= 1
    vectors = l2_normalize(x)
    assert torch.allclose(columns["typicality"], typicality(vectors, 20)[picks], rtol=1e-3)
    assert torch.allclose(columns["uncertainty"], 1 - top2_gap(probs)[picks])
    assert ((columns["score"] > 0) & (columns["score"] <= 1)).all()
    assert _monotone(columns["radius"], increasing=False)
    centres = labelled.clone()
    for pick, radius in zip(picks.tolist(), columns["radius"].tolist()):
        # the radius in force held: the pick lies farther than it from every earlier centre
        assert _nearest_distance(vectors, centres, pick) > radius - 1e-5
        centres[pick] = True
    # without probs the default picks as TypiClust; cold_start=True keeps the novelty blend
    default = typical_diverse(None, x, labelled, 5, generator=torch.Generator().manual_seed(0))
    assert set(default[1]) == {"typicality", "cluster_size"}
    without = typical_diverse(None, x, labelled, 5, generator=torch.Generator().manual_seed(0),
                              cold_start=True)
    assert set(without[1]) == {"typicality", "novelty", "weight", "score", "radius"}
    assert (without[1]["weight"] == 0.5).all()
    # the novelty: each pick's distance to its nearest labelled item
    assert torch.allclose(without[1]["novelty"],
                          torch.cdist(vectors[without[0]], vectors[labelled]).min(dim=1).values,
                          atol=1e-5)


def test_typiclust_reports_typicality_and_cluster_size(data):
    x, labelled, _, _ = data
    picks, columns = typiclust(None, x, labelled, 6, generator=torch.Generator().manual_seed(0),
                               max_clusters=12)
    assert (columns["typicality"] > 0).all()
    assert (columns["cluster_size"] > 5).all() and columns["cluster_size"].dtype == torch.long
    assert int(columns["cluster_size"].max()) <= x.size(0)


def test_probcover_gains_add_up_to_the_coverage(data):
    from gcnal.selectors import ball_edges, coverage, knn_distances

    x, labelled, _, _ = data
    delta = 0.3
    picks, columns = probcover(None, x, labelled, 10, generator=torch.Generator().manual_seed(0),
                               delta=delta)
    assert (columns["delta"] == delta).all()
    gains = columns["coverage_gain"]
    assert _monotone(gains.float(), increasing=False)  # greedy max coverage
    index, distance = knn_distances(l2_normalize(x), 50)
    edges = ball_edges(index, distance, delta)
    n = x.size(0)
    before = coverage(edges, labelled, n)
    after = coverage(edges, labelled | torch.zeros_like(labelled).index_fill_(0, picks, True), n)
    assert int(gains.sum()) == round((after - before) * n)


def test_featprop_reports_each_medoid_distance_and_cluster(data):
    x, labelled, _, _ = data
    picks, columns = featprop(None, x, labelled, 6, generator=torch.Generator().manual_seed(0))
    assert (columns["distance_to_centroid"] >= 0).all()
    sizes = columns["cluster_size"]
    assert _monotone(sizes.float(), increasing=False)  # largest cluster first
    assert int(sizes.sum()) == int((~labelled).sum())


def test_random_has_no_deciding_value(data):
    x, labelled, _, _ = data
    picks, columns = random_sampling(None, x, labelled, 5,
                                     generator=torch.Generator().manual_seed(0))
    assert columns == {} and picks.numel() == 5


@pytest.mark.parametrize("method", gcnal.available_methods())
def test_every_method_explains_its_picks_in_columns_aligned_with_them(pool, method_kwargs,
                                                                      method):
    features, mask = pool
    fast = {"epochs": 5} if gcnal.registry.METHODS.resolve(method).sampler else None
    sel = gcnal.select(features, mask, 6, method=method, seed=0, return_info=True,
                       options=fast, **method_kwargs(method, 60))
    assert "pick_scores" not in sel.info
    for name, column in sel.pick_scores.items():
        assert isinstance(column, np.ndarray) and column.shape == (6,), name
        assert not np.isnan(column).any(), name
    if method != "random":
        assert sel.pick_scores, f"{method} explains none of its picks"
