"""typical_margin: competence, the explore/exploit split, diverse margin, and the contract."""
import math

import pytest
import torch

import gcnal
from gcnal import InvalidParameterError
from gcnal.graph import l2_normalize
from gcnal.selectors import (diverse_margin, gcn_novelty, gcn_typical_margin,
                             labelled_competence, margin, spread_greedy,
                             top2_gap, typical_margin, typicality)
from gcnal.selectors.adaptive import exploit_count, wilson_lower_bound


def _unit(angles_deg):
    a = torch.tensor(angles_deg, dtype=torch.float32) * math.pi / 180
    return torch.stack([a.cos(), a.sin()], dim=1)


def _one_hot(classes, num_classes):
    return 0.05 + 0.9 * torch.nn.functional.one_hot(torch.tensor(classes), num_classes).float()


def test_wilson_lower_bound_by_hand():
    # p = 1 on n items: n / (n + z^2)
    assert wilson_lower_bound(1.0, 12) == pytest.approx(12 / (12 + 1.96 ** 2))
    assert wilson_lower_bound(0.0, 50) == 0.0 and wilson_lower_bound(0.7, 0) == 0.0
    # p = 0.5, n = 100: (0.5 + 0.019208 - 1.96 sqrt(0.0025 + 0.00009604)) / 1.038416
    assert wilson_lower_bound(0.5, 100) == pytest.approx(0.40383, abs=1e-5)
    assert wilson_lower_bound(0.8, 20) < wilson_lower_bound(0.8, 2000) < 0.8


def test_competence_is_the_bounded_leave_one_out_nearest_neighbour_accuracy_by_hand():
    v = _unit([0, 2, 90, 92, 180, 182])
    labelled = torch.ones(6, dtype=torch.bool)
    # pairs of neighbours share a class: every item's nearest other agrees
    assert labelled_competence(_one_hot([0, 0, 1, 1, 2, 2], 3), v, labelled) == \
        pytest.approx(wilson_lower_bound(1.0, 6))
    # each item's nearest other is of another class
    assert labelled_competence(_one_hot([0, 1, 1, 0, 2, 0], 3), v, labelled) == 0.0
    # 0-2 agree, 90-92 disagree, 180-182 agree: 4 of 6
    assert labelled_competence(_one_hot([0, 0, 1, 2, 2, 2], 3), v, labelled) == \
        pytest.approx(wilson_lower_bound(4 / 6, 6))


def test_competence_reads_only_the_labelled_items_and_is_zero_below_two():
    v = _unit([0, 2, 4, 90])
    probs = _one_hot([0, 1, 0, 1], 2)
    # item 1 (unlabelled, another class) sits between 0 and 2 and must not count
    assert labelled_competence(probs, v, torch.tensor([True, False, True, False])) == \
        pytest.approx(wilson_lower_bound(1.0, 2))
    assert labelled_competence(probs, v, torch.tensor([True, False, False, False])) == 0.0


def test_competence_counts_a_non_finite_neighbour_as_a_miss():
    v = _unit([0, 2, 90])
    v[2] = float("nan")
    probs = _one_hot([0, 0, 0], 1)
    # 0 and 1 find each other; 2 has no finite neighbour
    assert labelled_competence(probs, v, torch.ones(3, dtype=torch.bool)) == \
        pytest.approx(wilson_lower_bound(2 / 3, 3))


@pytest.mark.parametrize("kappa, budget, expected", [(0.0, 10, 0), (0.5, 10, 3), (0.5, 20, 5),
                                                     (0.7, 10, 5), (0.3, 10, 1), (1.0, 7, 7)])
def test_exploit_count_rounds_squared_competence_times_budget(kappa, budget, expected):
    assert exploit_count(kappa, budget) == expected


def test_spread_greedy_takes_the_best_outside_the_balls_by_hand():
    # unit vectors at 0, 10, 20, 90 degrees; priorities favour 0 then 10
    v = _unit([0, 10, 20, 90])
    priority = torch.tensor([4.0, 3.0, 2.0, 1.0])
    available = torch.ones(4, dtype=torch.bool)
    chord_15 = 2 * math.sin(math.radians(15) / 2)
    # radius of 15 degrees: 10 is inside 0's ball, 20 is not
    assert spread_greedy(priority, v, available, 3, chord_15).tolist() == [0, 2, 3]
    # with item 3 as a centre, 90 is excluded and the radius halves for the last pick
    centres = torch.tensor([False, False, False, True])
    assert spread_greedy(priority, v, ~centres, 3, chord_15, centres=centres).tolist() == [0, 2, 1]


def test_diverse_margin_with_one_candidate_per_pick_is_margin_sampling(gen):
    g = gen(3)
    x = l2_normalize(torch.randn(200, 6, generator=g))
    probs = torch.softmax(3 * torch.randn(200, 4, generator=g), dim=1)
    labelled = torch.zeros(200, dtype=torch.bool)
    labelled[::7] = True
    picks = diverse_margin(top2_gap(probs), x, ~labelled, 10, candidate_factor=1)
    assert set(picks.tolist()) == set(margin(probs, x, labelled, 10)[0].tolist())


def test_diverse_margin_spreads_a_batch_over_two_uncertain_clusters(blobs, gen):
    # clusters 0 and 1 are uncertain, cluster 0 the most: margin spends the
    # whole batch on cluster 0, diverse margin reaches cluster 1 too
    x, assign = blobs(num_clusters=3, per_cluster=20, spread=0.05)
    gap = torch.where(assign == 0, 0.01, torch.where(assign == 1, 0.1, 0.9))
    gap = gap + 0.001 * torch.rand(60, generator=gen(4))
    available = torch.ones(60, dtype=torch.bool)
    plain = diverse_margin(gap, l2_normalize(x), available, 4, candidate_factor=1)
    spread = diverse_margin(gap, l2_normalize(x), available, 4, candidate_factor=10,
                            generator=gen())
    assert set(assign[plain].tolist()) == {0}
    assert set(assign[spread].tolist()) == {0, 1}
    assert int(spread[0]) == int(torch.argmin(gap))  # the first is the least certain


def _blob_probs(assign, num_classes, gen_):
    """A learner that knows every cluster: confident, with random margins."""
    noise = torch.rand(assign.numel(), num_classes, generator=gen_)
    return torch.softmax(3 * torch.nn.functional.one_hot(assign, num_classes) + noise, dim=1)


def test_a_competent_labelled_set_exploits_and_a_thin_one_explores(blobs, gen):
    x, assign = blobs(num_clusters=4, per_cluster=50)
    probs = _blob_probs(assign, 4, gen(5))
    # 25 labels in every cluster: each one's nearest labelled item is of its class
    rich = torch.zeros(200, dtype=torch.bool)
    rich[:100] = True
    _, scores = typical_margin(probs, x, rich, 10, generator=gen())
    kappa = wilson_lower_bound(1.0, 100)
    assert float(scores["competence"][0]) == pytest.approx(kappa)
    assert scores["explore"].sum() == 10 - exploit_count(kappa, 10) == 1
    # one label per cluster: no labelled item has a neighbour of its class
    thin = torch.zeros(200, dtype=torch.bool)
    thin[:4] = True
    picks, scores = typical_margin(probs, x, thin, 8, generator=gen())
    assert scores["competence"][0] == 0.0 and scores["explore"].sum() == 8
    assert set(assign[picks].tolist()) == {0, 1, 2, 3}  # exploring covers the pool


def test_fixed_full_competence_with_one_candidate_is_margin_sampling(gen):
    g = gen(6)
    x = torch.randn(150, 5, generator=g)
    probs = torch.softmax(2 * torch.randn(150, 3, generator=g), dim=1)
    labelled = torch.zeros(150, dtype=torch.bool)
    labelled[:20] = True
    picks, scores = typical_margin(probs, x, labelled, 12, generator=gen(), competence=1.0,
                                   candidate_factor=1)
    assert set(picks.tolist()) == set(margin(probs, x, labelled, 12)[0].tolist())
    assert torch.equal(scores["margin"], top2_gap(probs)[picks])


def test_without_probs_it_explores_by_typicality(blobs, gen):
    x, _ = blobs(num_clusters=3, per_cluster=30)
    labelled = torch.zeros(90, dtype=torch.bool)
    picks, scores = typical_margin(None, x, labelled, 5, generator=gen())
    assert int(picks[0]) == int(typicality(l2_normalize(x), 20).argmax())
    assert "margin" not in scores and scores["explore"].tolist() == [1.0] * 5
    zero = typical_margin(_blob_probs(torch.arange(90) % 3, 3, gen(1)), x, labelled, 5,
                          generator=gen(), competence=0.0)[0]
    assert torch.equal(zero, picks)  # competence 0 ignores the learner


@pytest.mark.parametrize("poison", ["nan", "inf", "zero"])
def test_picks_are_unique_and_unlabelled_even_with_non_finite_inputs(poison, gen):
    g = gen(7)
    x = torch.randn(60, 4, generator=g)
    probs = torch.softmax(torch.randn(60, 3, generator=g), dim=1)
    bad = {"nan": float("nan"), "inf": float("inf"), "zero": 0.0}[poison]
    x[::5] = bad
    probs[::4] = float("nan")
    labelled = torch.zeros(60, dtype=torch.bool)
    labelled[::3] = True
    for competence in ("auto", 0.5, 1.0):
        picks, _ = typical_margin(probs, x, labelled, 40, generator=gen(), competence=competence)
        assert picks.numel() == 40 == picks.unique().numel()
        assert not labelled[picks].any()


def test_preset_runs_with_and_without_probs_and_is_deterministic(blobs):
    x, assign = blobs(num_clusters=4, per_cluster=30)
    labelled = torch.zeros(120, dtype=torch.bool)
    labelled[:16] = True
    probs = _blob_probs(assign, 4, torch.Generator().manual_seed(0))
    first = gcnal.select(x, labelled, 10, method="typical_margin", probs=probs, seed=3)
    assert torch.equal(first, gcnal.select(x, labelled, 10, method="typical_margin",
                                           probs=probs, seed=3))
    alone = gcnal.select(x.numpy(), labelled.numpy(), 10, method="typical_margin", seed=3)
    assert len(set(alone.tolist())) == 10 and not labelled.numpy()[alone].any()


@pytest.mark.parametrize("option, value", [("k", 0), ("candidate_factor", 1.5),
                                           ("competence", 1.2), ("competence", "high"),
                                           ("knn_backend", "annoy")])
def test_bad_options_name_themselves(option, value):
    x = torch.randn(20, 3)
    with pytest.raises(InvalidParameterError, match=option):
        typical_margin(None, x, torch.zeros(20, dtype=torch.bool), 2, **{option: value})


def test_gcn_novelty_is_low_where_the_labelled_items_are(blobs, gen):
    x, assign = blobs(num_clusters=3, per_cluster=40)
    labelled = torch.zeros(120, dtype=torch.bool)
    labelled[torch.nonzero(assign == 0, as_tuple=True)[0][:10]] = True
    novelty = gcn_novelty(x, labelled, epochs=100, generator=gen())
    assert novelty[(assign == 0) & ~labelled].mean() < novelty[assign != 0].mean() - 0.1
    cold = gcn_novelty(x, torch.zeros(120, dtype=torch.bool), generator=gen())
    assert torch.equal(cold, torch.ones(120))  # nothing labelled: nothing learnt


def test_gcn_typical_margin_explores_away_from_the_labelled_cluster(blobs, gen):
    x, assign = blobs(num_clusters=3, per_cluster=40)
    labelled = torch.zeros(120, dtype=torch.bool)
    labelled[torch.nonzero(assign == 0, as_tuple=True)[0][:10]] = True
    picks, scores = gcn_typical_margin(None, x, labelled, 6, generator=gen(), epochs=100)
    assert not (assign[picks] == 0).any()
    assert picks.unique().numel() == 6 and not labelled[picks].any()
    assert scores["explore"].tolist() == [1.0] * 6 and scores["novelty"].shape == (6,)


def test_gcn_typical_margin_preset_reads_probs_and_keeps_the_contract(blobs):
    x, assign = blobs(num_clusters=4, per_cluster=30)
    labelled = torch.zeros(120, dtype=torch.bool)
    labelled[:60] = True
    probs = _blob_probs(assign, 4, torch.Generator().manual_seed(0))
    sel = gcnal.select(x, labelled, 20, method="gcn_typical_margin", probs=probs, seed=0,
                       return_info=True)
    picks = torch.as_tensor(sel.indices)
    assert picks.unique().numel() == 20 and not labelled[picks].any()
    assert sel.pick_scores["explore"].sum() < 20  # a competent set exploits


@pytest.mark.parametrize("option, value", [("epochs", 0), ("hidden", 2.5), ("k", -1)])
def test_gcn_typical_margin_bad_options_name_themselves(option, value):
    with pytest.raises(InvalidParameterError, match=option):
        gcn_typical_margin(None, torch.randn(20, 3), torch.zeros(20, dtype=torch.bool), 2,
                           **{option: value})
