"""ProbCover."""
import pytest
import torch

from gcnal import InvalidParameterError
from gcnal.selectors import (ball_edges, coverage, knn_distances, max_coverage, probcover,
                             purity_delta)


def test_ball_edges_by_hand():
    index = torch.tensor([[1, 2], [0, 2], [1, 0]])
    distance = torch.tensor([[0.1, 0.5], [0.1, 0.2], [0.2, 0.5]])
    edges = ball_edges(index, distance, 0.3)
    got = {tuple(e) for e in edges.T.tolist()}
    assert got == {(0, 0), (1, 1), (2, 2), (0, 1), (1, 0), (1, 2), (2, 1)}


def test_purity_delta_by_hand():
    # item 0's nearest of another label is at 0.4, item 1's at 0.3; item 2 has
    # none among its k, so it stays pure up to its k-th distance 0.6
    index = torch.tensor([[1, 2], [0, 2], [0, 1]])
    distance = torch.tensor([[0.2, 0.4], [0.2, 0.3], [0.5, 0.6]])
    labels = torch.tensor([0, 0, 1])
    labels_2 = torch.tensor([0, 0, 0])
    assert purity_delta(index, distance, labels, alpha=1.0) == pytest.approx(0.3)
    assert purity_delta(index, distance, labels, alpha=0.6) == pytest.approx(0.4)
    assert purity_delta(index, distance, labels_2, alpha=1.0) == pytest.approx(0.3)


def test_max_coverage_by_hand():
    # balls: 0 covers {0, 1, 2}, 3 covers {3, 4}, everyone covers itself
    edges = torch.tensor([[0, 0, 0, 1, 2, 3, 3, 4], [0, 1, 2, 1, 2, 3, 4, 4]])
    none = torch.zeros(5, dtype=torch.bool)
    assert max_coverage(edges, none, 2)[0].tolist() == [0, 3]
    labelled = none.clone()
    labelled[1] = True  # covers only itself
    assert max_coverage(edges, labelled, 2)[0].tolist() == [0, 3]
    labelled[0] = True
    assert max_coverage(edges, labelled, 1)[0].tolist() == [3]


def test_probcover_coverage_grows_monotonically_with_the_budget(blobs, gen):
    x, _ = blobs(num_clusters=8, per_cluster=30, spread=0.6)
    labelled = torch.zeros(240, dtype=torch.bool)
    labelled[:3] = True
    index, distance = knn_distances(x, 50)
    delta = 0.3
    edges = ball_edges(index, distance, delta)
    covered = [coverage(edges, labelled, 240)]
    previous = None
    for budget in range(1, 16):
        picks = probcover(None, x, labelled, budget, generator=gen(), delta=delta)[0]
        covered.append(coverage(edges, labelled | _mask(picks, 240), 240))
        if previous is not None:
            assert picks[:-1].tolist() == previous.tolist()  # a larger budget extends
        previous = picks
    assert all(b >= a for a, b in zip(covered, covered[1:]))
    assert covered[-1] > covered[0]


def _mask(indices, n):
    mask = torch.zeros(n, dtype=torch.bool)
    mask[indices] = True
    return mask


def test_probcover_skips_clusters_the_labelled_items_cover(blobs, gen):
    x, assign = blobs()
    labelled = (assign < 3) & (torch.arange(240) < 30)  # 5 items in each of clusters 0-2
    picks = probcover(None, x, labelled, 3, generator=gen(), num_clusters=6)[0]
    assert sorted(assign[picks].tolist()) == [3, 4, 5]


def test_probcover_falls_back_to_random_once_everything_is_covered(blobs, gen):
    x, _ = blobs(num_clusters=2, per_cluster=10)
    none = torch.zeros(20, dtype=torch.bool)
    a = probcover(None, x, none, 20, generator=gen(0))[0]
    b = probcover(None, x, none, 20, generator=gen(0))[0]
    assert torch.equal(a, b) and sorted(a.tolist()) == list(range(20))


@pytest.mark.parametrize("name, value", [("delta", -1.0), ("alpha", 1.5), ("k", 0),
                                         ("num_clusters", 0)])
def test_probcover_bad_options(blobs, name, value):
    x, _ = blobs(per_cluster=3)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of probcover"):
        probcover(None, x, torch.zeros(18, dtype=torch.bool), 2, **{name: value})
