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
