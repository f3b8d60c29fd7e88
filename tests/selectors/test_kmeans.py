"""k-means from a generator."""
import pytest
import torch

from gcnal import InvalidParameterError
from gcnal.selectors import kmeans


def test_kmeans_recovers_separated_clusters(blobs, gen):
    x, assign = blobs()
    _, labels = kmeans(x, 6, generator=gen())
    # a bijection between found and true clusters
    pairs = set(zip(labels.tolist(), assign.tolist()))
    assert len(pairs) == 6 and len({a for a, _ in pairs}) == 6


def test_kmeans_is_deterministic_per_generator_and_handles_duplicates(blobs, gen):
    x, _ = blobs(per_cluster=5)
    a = kmeans(x, 4, generator=gen(1))
    b = kmeans(x, 4, generator=gen(1))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    same = torch.ones(5, 3)
    centroids, labels = kmeans(same, 5, generator=gen())  # K = N, all points equal
    assert centroids.shape == (5, 3) and torch.isfinite(centroids).all()


@pytest.mark.parametrize("k", [0, 7, 2.0])
def test_kmeans_bad_num_clusters(k):
    with pytest.raises(InvalidParameterError, match="'num_clusters' parameter of kmeans"):
        kmeans(torch.rand(6, 2), k)


def test_seeding_draws_each_seed_from_the_squared_distance_to_the_nearest_earlier_one(gen):
    # the seeds of the blocked distance update are those of the plain formula,
    # D_i = min over earlier seeds of |p_i - c|^2, drawn with the same generator
    from gcnal.selectors.kmeans import _SEED_BLOCK, kmeans_plus_plus

    points = torch.randn(2 * _SEED_BLOCK + 7, 5, generator=gen(3))
    seeds = kmeans_plus_plus(points, 12, gen(4))
    draws, dist, chosen = gen(4), torch.full((points.size(0),), float("inf")), []
    for c in range(12):
        weights = torch.ones(points.size(0)) if c == 0 else dist.clone().index_fill_(
            0, torch.tensor(chosen), 0.0)
        chosen.append(int(torch.multinomial(weights, 1, generator=draws)[0]))
        dist = torch.minimum(dist, (points - points[chosen[-1]]).square().sum(dim=1))
    assert seeds.tolist() == chosen and len(set(chosen)) == 12
