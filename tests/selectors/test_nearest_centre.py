"""The triangle-inequality skip of NearestCentres changes no distance and no
pick: k-center greedy against the loop that recomputes every point at every
pick, and against the loop it replaced (one matrix-vector product per pick)."""
import pytest
import torch

from gcnal.nn import column_major
from gcnal.scaling import divide_by_power_of_two
from gcnal.selectors import k_center_greedy_picks
from gcnal.selectors import nearest_centre as nc


def full_update_k_center(points, centre_mask, budget, generator=None):
    """k-center greedy recomputing every open point's distance at every pick,
    with the same distance function as NearestCentres."""
    p, scale = divide_by_power_of_two(points.float())
    p = p.contiguous()
    sq = p.square().sum(dim=1)
    open_rows = torch.nonzero(~centre_mask, as_tuple=True)[0]
    dist = torch.full((p.size(0),), float("-inf"))
    dist[open_rows] = nc.nearest_centre(p[open_rows], p[centre_mask])[0]
    picks, at_pick = [], []
    for step in range(budget):
        if step == 0 and not bool(centre_mask.any()):
            draw = torch.randint(open_rows.numel(), (1,), generator=generator)
            u = int(open_rows[draw[0]])
        else:
            u = int(torch.argmax(dist))
        picks.append(u)
        at_pick.append(float(dist[u]))
        dist[u] = float("-inf")
        live = dist > float("-inf")
        dist[live] = torch.minimum(dist[live], nc.squared_distances_to(p, sq, None, u)[live])
    return torch.tensor(picks), torch.tensor(at_pick).sqrt() * scale


def matrix_vector_k_center(points, centre_mask, budget):
    """The loop NearestCentres replaced: every point updated per pick with one
    matrix-vector product over the column-major points."""
    p, _ = divide_by_power_of_two(points.float())
    p = column_major(p)
    dist = nc.nearest_centre(p, p[centre_mask])[0]
    taken = centre_mask.clone()
    sq = p.square().sum(dim=1)
    picks = []
    for _ in range(budget):
        u = int(torch.argmax(torch.where(taken, float("-inf"), dist)))
        picks.append(u)
        taken[u] = True
        torch.minimum(dist, (sq + sq[u]).sub_(p @ p[u], alpha=2.0).clamp_(min=0), out=dist)
    return torch.tensor(picks)


def gaussian(n, d, seed):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed))


def clustered(n, d, seed, clusters=20, spread=0.3):
    """A ReLU'd mixture of tight Gaussian clusters (a CNN feature's shape)."""
    g = torch.Generator().manual_seed(seed)
    means = torch.randn(clusters, d, generator=g) * 3
    return torch.relu(means[torch.randint(clusters, (n,), generator=g)]
                      + spread * torch.randn(n, d, generator=g))


def some_centres(n, count, seed):
    mask = torch.zeros(n, dtype=torch.bool)
    mask[torch.randperm(n, generator=torch.Generator().manual_seed(seed + 7))[:count]] = True
    return mask


POOLS = {
    "gaussian": lambda seed: gaussian(1500, 12, seed),
    "clustered": lambda seed: clustered(2000, 32, seed),
    "clustered, duplicates": lambda seed: clustered(1000, 8, seed).repeat(3, 1),
    "tiny scale": lambda seed: clustered(800, 16, seed) * 1e-30,
    "huge scale": lambda seed: clustered(800, 16, seed) * 1e30,
    "far from the origin": lambda seed: clustered(800, 16, seed) + 1e4,
}


@pytest.mark.parametrize("pool", sorted(POOLS))
@pytest.mark.parametrize("centres", [0, 150])
@pytest.mark.parametrize("seed", [0, 1])
def test_k_center_picks_and_distances_equal_the_full_update(pool, centres, seed):
    points = POOLS[pool](seed)
    mask = some_centres(points.size(0), centres, seed)
    budget = 120
    picks, distance = k_center_greedy_picks(points, mask, budget,
                                            torch.Generator().manual_seed(seed))
    expected, expected_distance = full_update_k_center(points, mask, budget,
                                                       torch.Generator().manual_seed(seed))
    assert torch.equal(picks, expected)
    assert torch.equal(distance, expected_distance)  # bit for bit, infinity included


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_k_center_picks_equal_the_matrix_vector_loop_it_replaced_on_gaussian_points(seed):
    points, mask = gaussian(3000, 24, seed), some_centres(3000, 300, seed)
    assert torch.equal(k_center_greedy_picks(points, mask, 200)[0],
                       matrix_vector_k_center(points, mask, 200))


def test_on_clustered_points_only_near_ties_of_the_old_rounding_can_reorder_picks():
    """The two loops round the same distances differently (about 1e-6 of a
    squared norm), so two near-tied candidates may swap; the picks and the
    cover radius stay those of the old loop."""
    points, mask = clustered(4000, 64, 3), some_centres(4000, 400, 3)
    picks, distance = k_center_greedy_picks(points, mask, 300)
    old = matrix_vector_k_center(points, mask, 300)
    assert len(set(picks.tolist()) & set(old.tolist())) >= 0.95 * 300
    p = points.double()
    radius = [torch.cdist(p[~m], p[m]).min(dim=1).values.max()
              for m in (mask.index_fill(0, picks, True), mask.index_fill(0, old, True))]
    assert float(radius[0]) == pytest.approx(float(radius[1]), rel=1e-5)


def test_most_points_are_skipped_once_the_radius_is_small(monkeypatch):
    recomputed = []
    original = nc.squared_distances_to

    def counting(points, sq_norms, rows, centre):
        recomputed.append(points.size(0) if rows is None else rows.numel())
        return original(points, sq_norms, rows, centre)

    monkeypatch.setattr(nc, "squared_distances_to", counting)
    points = clustered(5000, 32, 0, clusters=50)
    k_center_greedy_picks(points, some_centres(5000, 500, 0), 200)
    # each pick recomputes about the points of its own cluster, not the pool
    assert sum(recomputed) / len(recomputed) < 0.1 * 4500


def test_a_nan_centre_updates_every_open_point_as_the_full_update_does():
    points = gaussian(300, 4, 0)
    points[7, 2] = float("nan")
    mask = some_centres(300, 20, 0)
    state = nc.NearestCentres(points, mask, 2)
    state.retire(7)
    state.add(7)
    open_rows = ~mask.index_fill(0, torch.tensor([7]), True)
    assert bool(state.sq_dist[open_rows].isnan().all())
    assert bool((state.sq_dist[~open_rows] == float("-inf")).all())  # retired stay retired


def test_subsets_of_rows_get_the_distances_the_whole_set_gets():
    points = gaussian(2000, 64, 0)
    sq = points.square().sum(dim=1)
    full = nc.squared_distances_to(points, sq, None, 5)
    rows = torch.randperm(2000, generator=torch.Generator().manual_seed(1))[:333]
    assert torch.equal(nc.squared_distances_to(points, sq, rows, 5), full[rows])


BOUNDED_POOLS = {
    "gaussian": lambda: gaussian(6000, 16, 0),
    "clustered": lambda: clustered(6000, 32, 1, clusters=60),
    "clustered, duplicates": lambda: clustered(2000, 8, 2).repeat(3, 1),
}


@pytest.mark.parametrize("pool", sorted(BOUNDED_POOLS))
def test_many_centres_start_from_bounds_and_still_give_the_full_searchs_picks(pool, monkeypatch):
    """With thousands of labelled centres the first search goes to a quarter
    of them (an upper bound) and points are made exact only as they near the
    top; the picks and distances stay bit for bit those of the full search."""
    points = BOUNDED_POOLS[pool]()
    mask = some_centres(points.size(0), 2500, 0)
    searched = []
    original = nc.nearest_centre

    def recording(rows, centres):
        searched.append((rows.size(0), centres.size(0)))
        return original(rows, centres)

    monkeypatch.setattr(nc, "nearest_centre", recording)
    picks, distance = k_center_greedy_picks(points, mask, 200)
    assert searched[0] == (points.size(0) - 2500, 2500 // nc.BOUND_STRIDE)
    assert sum(rows for rows, centres in searched[1:]) < points.size(0) - 2500
    monkeypatch.setattr(nc, "nearest_centre", original)
    expected, expected_distance = full_update_k_center(points, mask, 200)
    assert torch.equal(picks, expected)
    assert torch.equal(distance, expected_distance)
