import numpy as np
import pytest
import torch

from gcnal.selectors import k_center_greedy, k_center_greedy_indices, min_distance_to
from gcnal.nn import layout


def brute_force_k_center(points, centres, budget):
    """The textbook loop: full pairwise distances, recomputed each pick."""
    chosen = list(np.flatnonzero(centres))
    picks = []
    for _ in range(budget):
        d = np.sqrt(((points[:, None, :] - points[None, chosen, :]) ** 2).sum(-1)).min(1)
        d[chosen] = -1
        best = int(np.argmax(d))
        picks.append(best)
        chosen.append(best)
    return picks


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_k_center_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(300, 6))
    centres = np.zeros(300, dtype=bool)
    centres[rng.choice(300, 20, replace=False)] = True
    expected = brute_force_k_center(points, centres, 25)
    got = k_center_greedy_indices(torch.from_numpy(points), torch.from_numpy(centres), 25)
    assert got.tolist() == expected


def test_ties_go_to_the_lowest_index():
    points = torch.tensor([[0.0], [1.0], [-1.0], [1.0]])
    centres = torch.tensor([True, False, False, False])
    assert k_center_greedy_indices(points, centres, 1).tolist() == [1]


def test_duplicates_of_centres_are_still_picked_last_not_centres():
    points = torch.tensor([[0.0], [0.0], [0.0]])
    centres = torch.tensor([True, False, False])
    assert k_center_greedy_indices(points, centres, 2).tolist() == [1, 2]


def test_cold_start_draws_the_first_pick_from_the_generator():
    points = torch.randn(50, 3, generator=torch.Generator().manual_seed(0))
    none = torch.zeros(50, dtype=torch.bool)
    a = k_center_greedy_indices(points, none, 5, torch.Generator().manual_seed(0))
    b = k_center_greedy_indices(points, none, 5, torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.unique().numel() == 5


def test_min_distance_blocks_match_full_matrix(monkeypatch):
    monkeypatch.setattr(layout, "BLOCK_ELEMENTS", 7)  # force many small blocks
    g = torch.Generator().manual_seed(0)
    points, centres = torch.randn(40, 3, generator=g), torch.randn(5, 3, generator=g)
    full = torch.cdist(points, centres).min(1).values.square()
    assert torch.allclose(min_distance_to(points, centres), full, atol=1e-5)


def test_selector_signature_uses_embeddings():
    emb = torch.tensor([[0.0], [10.0], [3.0]])
    labelled = torch.tensor([True, False, False])
    assert k_center_greedy(None, emb, labelled, 2).tolist() == [1, 2]


def _pool(seed=0, n=400):
    g = torch.Generator().manual_seed(seed)
    points = torch.randn(n, 8, generator=g)
    labelled = torch.zeros(n, dtype=torch.bool)
    labelled[torch.randperm(n, generator=g)[:30]] = True
    return points, labelled


def test_candidates_restrict_the_picks_to_a_generator_drawn_subset():
    points, labelled = _pool()
    picks = k_center_greedy(None, points, labelled, 10, candidates=50,
                            generator=torch.Generator().manual_seed(3))
    unlabelled = torch.nonzero(~labelled, as_tuple=True)[0]
    draw = unlabelled[torch.randperm(unlabelled.numel(),
                                     generator=torch.Generator().manual_seed(3))[:50]]
    assert set(picks.tolist()) <= set(draw.tolist()) and len(set(picks.tolist())) == 10
    # k-center greedy over labelled + candidates, labelled still the centres
    nodes = torch.cat([torch.nonzero(labelled, as_tuple=True)[0], draw]).sort().values
    expected = nodes[k_center_greedy_indices(points[nodes], labelled[nodes], 10)]
    assert picks.tolist() == expected.tolist()
    again = k_center_greedy(None, points, labelled, 10, candidates=50,
                            generator=torch.Generator().manual_seed(3))
    assert torch.equal(picks, again)


def test_candidates_default_and_past_the_pool_keep_the_full_pool_behaviour():
    points, labelled = _pool()
    full = k_center_greedy_indices(points, labelled, 10)
    assert torch.equal(k_center_greedy(None, points, labelled, 10), full)
    assert torch.equal(k_center_greedy(None, points, labelled, 10, candidates=10_000), full)


@pytest.mark.parametrize("bad", [5, 0, 2.5])
def test_candidates_below_the_budget_are_refused(bad):
    from gcnal import InvalidParameterError

    points, labelled = _pool()
    with pytest.raises(InvalidParameterError, match="'candidates' parameter of k_center_greedy"):
        k_center_greedy(None, points, labelled, 10, candidates=bad)


def test_select_reports_the_candidates():
    import gcnal

    points, labelled = _pool()
    sel = gcnal.select(points, labelled, 10, method="coreset", seed=0,
                       selector_options={"candidates": 60}, return_info=True)
    assert sel.info["selector_options"] == {"candidates": 60}
    assert not labelled[sel.indices].any()
