"""typical_diverse, gcnal's recommended selector, and its pieces."""
import importlib
import logging
import math

import numpy as np
import pytest
import torch

import gcnal
from gcnal import InvalidParameterError
from gcnal.graph import l2_normalize
from gcnal.selectors import cell_radius, percentile_rank, top2_gap, typical_diverse, typicality
from gcnal.selectors.typical_diverse import covered_count, neighbourhood_radii, coverage_weight
from gcnal.selectors.typiclust import nearest_similarities


def _pairwise(v):
    return torch.cdist(v, v) + 10 * torch.eye(v.size(0))


def test_percentile_rank_by_hand():
    assert percentile_rank(torch.tensor([3.0, -1.0, 10.0, 0.0])).tolist() == [0.75, 0.25, 1.0, 0.5]


def test_cell_radius_holds_about_n_over_cells_items(gen):
    # 64 points evenly on a circle: the 8th nearest of each is 8 steps away
    angles = torch.arange(64) * (2 * torch.pi / 64)
    x = torch.stack([angles.cos(), angles.sin()], dim=1)
    step = float((x[0] - x[1]).norm())
    radius = cell_radius(x, cells=8, generator=gen())
    assert radius == pytest.approx(float((x[0] - x[4]).norm()), rel=1e-5)  # 8th nearest: 4 away
    assert radius > 3 * step


@pytest.mark.parametrize("cells", [100, 400, 2_000])
def test_cell_radius_from_the_typicality_search_is_the_computed_one(cells, gen):
    # 2,000 items: m = 20, 5 and 1 fit in the 20 nearest similarities; 100
    # cells (m = 20) reads the last of them, and m past them falls back
    typiclust = importlib.import_module("gcnal.selectors.typiclust")
    v = l2_normalize(torch.randn(2_000, 16, generator=gen(0)))
    nearest = typiclust.nearest_similarities(v, 20, "torch", normalized=True)
    computed = cell_radius(v, cells, gen(5))
    assert cell_radius(v, cells, gen(5), nearest) == computed
    assert cell_radius(v, cells, gen(5), nearest[:, :4]) == computed  # too few columns
    padded = nearest.clone()
    padded[:, -1] = float("-inf")  # an approximate search that found fewer
    assert cell_radius(v, cells, gen(5), padded) == computed


@pytest.mark.parametrize("radius", [0.2, 0.4, 0.6])
def test_no_two_picks_closer_than_the_radius_when_the_pool_allows(radius, gen):
    g = gen(1)
    x = torch.randn(400, 3, generator=g)
    labelled = torch.zeros(400, dtype=torch.bool)
    labelled[:5] = True
    v = l2_normalize(x)
    picks = typical_diverse(None, x, labelled, 8, generator=gen(), radius=radius)[0]
    assert _pairwise(v[picks]).min() > radius
    assert torch.cdist(v[picks], v[labelled]).min() > radius


def test_radius_halves_when_the_pool_has_no_room_left(blobs, gen):
    x, _ = blobs(num_clusters=2, per_cluster=20)
    labelled = torch.zeros(40, dtype=torch.bool)
    labelled[0] = True
    picks = typical_diverse(None, x, labelled, 39, generator=gen(), radius=1.9)[0]
    assert sorted(picks.tolist()) == list(range(1, 40))


def test_without_probs_the_first_pick_is_the_most_typical(blobs, gen):
    x, _ = blobs(num_clusters=3, per_cluster=30)
    labelled = torch.zeros(90, dtype=torch.bool)
    picks = typical_diverse(None, x, labelled, 1, generator=gen())[0]
    assert int(picks[0]) == int(typicality(l2_normalize(x), 20).argmax())


def test_skips_outliers_that_k_center_picks(blobs, gen):
    # two unlabelled clusters and 5 far outliers: k-center spends picks on the
    # outliers, typical_diverse covers the clusters
    x, assign = blobs(num_clusters=3, per_cluster=40, d=8)
    g = gen(2)
    outliers = 5 * torch.randn(5, 8, generator=g)
    x = torch.cat([x, outliers])
    labelled = torch.zeros(125, dtype=torch.bool)
    labelled[torch.nonzero(assign == 0, as_tuple=True)[0][:3]] = True
    picks = typical_diverse(None, x, labelled, 4, generator=gen())[0]
    assert (picks < 120).all()
    assert set(assign[picks].tolist()) >= {1, 2}
    coreset = gcnal.select(x, labelled, 4, method="coreset")
    assert (coreset >= 120).any()


def test_full_uncertainty_weight_without_radius_is_margin_sampling(gen):
    g = gen(3)
    x = torch.randn(200, 6, generator=g)
    probs = torch.softmax(3 * torch.randn(200, 4, generator=g), dim=1)
    labelled = torch.zeros(200, dtype=torch.bool)
    labelled[::7] = True
    picks = typical_diverse(probs, x, labelled, 10, generator=gen(), uncertainty_weight=1.0,
                            radius=0.0)[0]
    expected = gcnal.select(x, labelled, 10, method="margin", probs=probs)
    assert picks.tolist() == expected.tolist()
    assert (top2_gap(probs)[picks] <= top2_gap(probs)[~labelled].sort().values[9]).all()


def test_probs_tilt_the_picks_towards_uncertain_items(gen):
    g = gen(4)
    x = torch.randn(600, 6, generator=g)
    probs = torch.softmax(4 * torch.randn(600, 5, generator=g), dim=1)
    labelled = torch.zeros(600, dtype=torch.bool)
    labelled[:40] = True  # more than the budget: no cold start
    gap = top2_gap(probs)
    with_probs = gcnal.select(x, labelled, 30, method="typical_diverse", probs=probs, seed=0)
    without = gcnal.select(x, labelled, 30, method="typical_diverse", seed=0)
    assert gap[with_probs].mean() < gap[without].mean() - 0.1


def test_without_probs_full_weight_without_radius_picks_the_farthest_from_the_labelled(gen):
    # w = 1, r = 0: the score is the novelty's rank alone, so the picks are
    # the unlabelled items in order of their distance to the labelled set
    g = gen(6)
    x = torch.randn(300, 5, generator=g)
    labelled = torch.zeros(300, dtype=torch.bool)
    labelled[::10] = True
    picks, columns = typical_diverse(None, x, labelled, 12, generator=gen(),
                                     uncertainty_weight=1.0, radius=0.0, cold_start=True)
    v = l2_normalize(x)
    distance = torch.cdist(v, v[labelled]).min(dim=1).values
    distance[labelled] = -1
    assert picks.tolist() == torch.argsort(distance, descending=True, stable=True)[:12].tolist()
    assert torch.allclose(columns["novelty"], distance[picks], atol=1e-5)


def test_without_probs_the_novelty_draws_picks_away_from_the_labelled_cluster(gen):
    # two clusters, the first denser and covered by labelled items:
    # typicality alone (w = 0) picks inside it, the novelty (cold_start=True:
    # the blend without probs) moves the first pick to the other
    g = gen(7)
    dense = torch.tensor([4.0, 0, 0, 0]) + 0.3 * torch.randn(60, 4, generator=g)
    loose = torch.tensor([0, 4.0, 0, 0]) + 0.6 * torch.randn(60, 4, generator=g)
    x = torch.cat([dense, loose])
    labelled = torch.zeros(120, dtype=torch.bool)
    labelled[:60:4] = True
    typical_only = typical_diverse(None, x, labelled, 1, generator=gen(),
                                   uncertainty_weight=0.0, radius=0.0, cold_start=True)[0]
    blend = typical_diverse(None, x, labelled, 1, generator=gen(), radius=0.0,
                            cold_start=True)[0]
    assert int(typical_only[0]) < 60
    assert int(blend[0]) >= 60


def test_coverage_weight_is_the_share_of_unlabelled_items_with_a_labelled_neighbour():
    # on a line at 0, 1, ..., 9 with k = 1 each item's neighbourhood radius
    # is 1; labelled 0 and 9: of the 8 unlabelled, 1 and 8 have one within 1
    x = torch.arange(10.0)
    labelled = torch.zeros(10, dtype=torch.bool)
    labelled[[0, 9]] = True
    radii = torch.ones(10)
    delta = (x.unsqueeze(1) - x[labelled]).abs().min(dim=1).values
    unlabelled = ~labelled
    covered = covered_count(radii[unlabelled], delta[unlabelled])
    assert covered == 2
    assert coverage_weight(covered, int(unlabelled.sum())) == pytest.approx(0.5 * (1 + 0.25))
    assert coverage_weight(0, 8) == coverage_weight(0, 0) == 0.5
    assert coverage_weight(8, 8) == 1.0


def test_neighbourhood_radii_read_the_farthest_neighbour_found():
    # similarities, largest first; an approximate search pads with -inf
    nearest = torch.tensor([[1.0, 0.5], [0.0, -math.inf], [-math.inf, -math.inf]])
    radii = neighbourhood_radii(nearest)
    assert torch.allclose(radii, torch.tensor([1.0, math.sqrt(2.0), 0.0]))


def test_the_auto_coverage_weight_grows_as_the_labelled_set_covers_the_pool(blobs, gen):
    # more labelled items drawn from the pool: a larger share covered
    x, _ = blobs(num_clusters=4, per_cluster=50)
    v = l2_normalize(x)
    nearest = nearest_similarities(v, 20, normalized=True)
    order = torch.randperm(200, generator=gen(3))
    weights = []
    for count in (4, 20, 50):
        labelled = torch.zeros(200, dtype=torch.bool)
        labelled[order[:count]] = True
        delta = torch.cdist(v, v[labelled]).min(dim=1).values
        unlabelled = ~labelled
        weights.append(coverage_weight(covered_count(
            neighbourhood_radii(nearest[unlabelled]), delta[unlabelled]), int(unlabelled.sum())))
    assert 0.5 < weights[0] < weights[1] < weights[2] <= 1.0


def test_the_blend_with_nothing_labelled_ranks_by_typicality_alone(blobs, gen):
    x, _ = blobs(num_clusters=3, per_cluster=30)
    labelled = torch.zeros(90, dtype=torch.bool)
    picks, columns = typical_diverse(None, x, labelled, 5, generator=gen(), cold_start=False)
    assert "novelty" not in columns and "uncertainty" not in columns
    assert picks.tolist() == typical_diverse(None, x, labelled, 5, generator=gen(),
                                             uncertainty_weight=0.0, cold_start=False)[0].tolist()


def test_same_seed_same_picks_and_global_rng_untouched(blobs):
    x, _ = blobs()
    labelled = torch.zeros(240, dtype=torch.bool)
    labelled[:12] = True
    state = torch.get_rng_state()
    a = gcnal.select(x.numpy(), labelled.numpy(), 15, method="typical_diverse", seed=5)
    b = gcnal.select(x.numpy(), labelled.numpy(), 15, method="typical_diverse", seed=5)
    assert torch.equal(state, torch.get_rng_state())
    np.testing.assert_array_equal(a, b)


def test_mc_probs_are_accepted_and_not_read(blobs):
    x, _ = blobs(per_cluster=5)
    none = torch.zeros(30, dtype=torch.bool)
    sel = gcnal.select(x, none, 3, method="typical_diverse", seed=0,
                       mc_probs=torch.full((30, 2, 3), 1 / 3), return_info=True)
    assert sel.info["signals_used"] == []
    assert sel.indices.tolist() == gcnal.select(x, none, 3, method="typical_diverse",
                                                seed=0).tolist()


@pytest.mark.parametrize("name, value", [("uncertainty_weight", 1.5), ("uncertainty_weight", True),
                                         ("uncertainty_weight", "cover"),
                                         ("radius", -0.1), ("radius", "big"), ("k", 0),
                                         ("knn_backend", "annoy")])
def test_bad_options_name_the_parameter(blobs, name, value):
    x, _ = blobs(per_cluster=5)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        gcnal.select(x, torch.zeros(30, dtype=torch.bool), 3, method="typical_diverse",
                     options={name: value})


def test_faiss_backend_gives_about_the_same_picks(blobs):
    pytest.importorskip("faiss")
    x, _ = blobs()
    labelled = torch.zeros(240, dtype=torch.bool)
    labelled[:6] = True
    exact = gcnal.select(x, labelled, 20, method="typical_diverse", seed=0)
    fast = gcnal.select(x, labelled, 20, method="typical_diverse", seed=0,
                        options={"knn_backend": "faiss"})
    assert len(set(exact.tolist()) & set(fast.tolist())) >= 16


def test_cold_start_covers_every_cluster(blobs):
    x, assign = blobs()
    idx = gcnal.select(x.numpy(), np.zeros(240, dtype=bool), 6, method="typical_diverse", seed=0)
    assert sorted(assign[torch.from_numpy(idx)].tolist()) == list(range(6))


def test_auto_backend_is_exact_up_to_its_size_and_ivf_beyond(monkeypatch, gen):
    typiclust = importlib.import_module("gcnal.selectors.typiclust")  # the module, not the selector
    v = l2_normalize(torch.randn(2_000, 32, generator=gen(0)))
    exact = typicality(v, 20, "torch", normalized=True)
    approximate = typicality(v, 20, "ivf", normalized=True)
    assert not torch.equal(exact, approximate)  # unclustered: the lists miss neighbours
    monkeypatch.setattr(typiclust, "EXACT_TYPICALITY_MAX", 2_000)
    assert torch.equal(typicality(v, 20, "auto", normalized=True), exact)
    monkeypatch.setattr(typiclust, "EXACT_TYPICALITY_MAX", 1_999)
    assert torch.equal(typicality(v, 20, "auto", normalized=True), approximate)
    labelled = torch.zeros(2_000, dtype=torch.bool)
    labelled[:50] = True
    default = gcnal.select(v, labelled, 40, seed=0)
    assert default.tolist() == gcnal.select(v, labelled, 40, seed=0,
                                            options={"knn_backend": "ivf"}).tolist()


def test_the_default_with_probs_blends_the_margin_by_the_labelled_sets_coverage(blobs, gen):
    # "coverage" with probs: the margin weighed by (1 + c) / 2, the same
    # picks as that number given by hand
    x, _ = blobs(num_clusters=4, per_cluster=50)
    probs = torch.softmax(torch.randn(200, 3, generator=gen(5)), dim=1)
    labelled = torch.zeros(200, dtype=torch.bool)
    labelled[torch.randperm(200, generator=gen(4))[:30]] = True
    v = l2_normalize(x)
    delta = torch.cdist(v, v[labelled]).min(dim=1).values
    nearest = nearest_similarities(v, 20, normalized=True)
    weight = coverage_weight(covered_count(neighbourhood_radii(nearest[~labelled]), delta[~labelled]),
                             int((~labelled).sum()))
    assert 0.5 < weight < 1.0
    by_rule = typical_diverse(probs, x, labelled, 8, generator=gen(), uncertainty_weight="coverage")
    by_hand = typical_diverse(probs, x, labelled, 8, generator=gen(), uncertainty_weight=weight)
    assert by_rule[0].tolist() == by_hand[0].tolist()
    # the default with probs is the coverage rule; without them the fixed 1/2
    default = typical_diverse(probs, x, labelled, 8, generator=gen())
    assert default[0].tolist() == by_rule[0].tolist()
    assert typical_diverse(None, x, labelled, 8, generator=gen())[0].tolist() == typical_diverse(
        None, x, labelled, 8, generator=gen(), uncertainty_weight=0.5)[0].tolist()


def _cold_start_pool(gen, labelled_count):
    g = gen(7)
    x = torch.randn(400, 6, generator=g)
    probs = torch.softmax(3 * torch.randn(400, 4, generator=g), dim=1)
    labelled = torch.zeros(400, dtype=torch.bool)
    labelled[:labelled_count] = True
    return x, probs, labelled


@pytest.mark.parametrize("labelled_count", [0, 5, 20])
def test_with_probs_a_budget_at_least_the_labelled_set_picks_as_typiclust(gen, labelled_count):
    x, probs, labelled = _cold_start_pool(gen, labelled_count)
    picks = gcnal.select(x, labelled, 20, probs=probs, seed=3)
    assert picks.tolist() == gcnal.select(x, labelled, 20, method="typiclust", seed=3).tolist()


def test_info_says_when_the_default_took_its_cold_start(gen):
    x, probs, labelled = _cold_start_pool(gen, 5)
    cold = gcnal.select(x, labelled, 20, probs=probs, seed=3, return_info=True)
    assert cold.info["cold_start"] == ("TypiClust's picks: the budget (20) is at least the "
                                       "labelled set (5)")
    no_probs = gcnal.select(x, labelled, 20, seed=3, return_info=True)
    assert no_probs.info["cold_start"] == cold.info["cold_start"]
    blend = gcnal.select(x, labelled, 4, probs=probs, seed=3, return_info=True)
    forced_off = gcnal.select(x, labelled, 20, probs=probs, seed=3, return_info=True,
                              options={"cold_start": False})
    assert all("cold_start" not in s.info for s in (blend, forced_off))


def test_a_labelled_set_larger_than_the_budget_blends_margin_and_typicality(gen):
    x, probs, labelled = _cold_start_pool(gen, 21)
    picks, columns = typical_diverse(probs, x, labelled, 20, generator=gen(3))
    assert {"uncertainty", "weight", "radius"} <= set(columns)
    assert picks.tolist() != gcnal.select(x, labelled, 20, method="typiclust", seed=3).tolist()


@pytest.mark.parametrize("labelled_count", [21, 100])
def test_without_probs_the_default_picks_as_typiclust_whatever_the_labelled_set(gen,
                                                                                labelled_count):
    # a labelled set larger than the budget: with probs the blend, without them TypiClust
    x, _, labelled = _cold_start_pool(gen, labelled_count)
    chosen = gcnal.select(x, labelled, 20, seed=3, return_info=True)
    assert chosen.indices.tolist() == \
        gcnal.select(x, labelled, 20, method="typiclust", seed=3).tolist()
    assert chosen.info["cold_start"] == "TypiClust's picks: no probs were given"
    # cold_start=True: TypiClust only while the budget is at least the labelled set
    kept = gcnal.select(x, labelled, 20, seed=3, return_info=True, options={"cold_start": True})
    assert "cold_start" not in kept.info and "novelty" in kept.pick_scores


def test_blend_options_left_unused_by_the_typiclust_path_are_named(gen, caplog):
    x, _, labelled = _cold_start_pool(gen, 21)
    with caplog.at_level(logging.WARNING, logger="gcnal"):
        chosen = gcnal.select(x, labelled, 20, seed=3, return_info=True,
                              options={"radius": 0.5, "k": 10})
    assert chosen.info["cold_start"] == ("TypiClust's picks: no probs were given; "
                                         "unused: radius=0.5")
    assert "radius=0.5 go unused; cold_start=True or False keeps the blend" in caplog.text
    # k is TypiClust's too: it is used, and changes the picks
    assert chosen.indices.tolist() == gcnal.select(x, labelled, 20, method="typiclust", seed=3,
                                                   options={"k": 10}).tolist()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gcnal"):
        gcnal.select(x, labelled, 20, seed=3)  # nothing set, nothing to warn about
    assert caplog.text == ""


def test_cold_start_follows_the_option_with_or_without_probs(gen):
    x, probs, labelled = _cold_start_pool(gen, 5)

    def picks(scores, **options):
        return typical_diverse(scores, x, labelled, 20, generator=gen(3), **options)

    typiclust_picks = gcnal.select(x, labelled, 20, method="typiclust", seed=3).tolist()
    assert "radius" in picks(probs, cold_start=False)[1]  # the blend
    assert "novelty" in picks(None, cold_start=False)[1]
    for scores in (probs, None):
        assert picks(scores)[0].tolist() == typiclust_picks  # "auto"
        assert picks(scores, cold_start=True)[0].tolist() == typiclust_picks
    for bad in (1, "yes", None):
        with pytest.raises(InvalidParameterError, match="'cold_start'.*True, False or 'auto'"):
            picks(probs, cold_start=bad)
