"""k-means from a generator."""
import pytest
import torch

from gcnal import InvalidParameterError
from gcnal.selectors import kmeans


def blobs(num_clusters=6, per_cluster=40, d=8, spread=0.15, seed=0):
    """Well-separated clusters in direction (cosine) space; item i is in
    cluster i % num_clusters."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(num_clusters, d, generator=g) * 5
    assign = torch.arange(num_clusters * per_cluster) % num_clusters
    x = centres[assign] + spread * torch.randn(assign.numel(), d, generator=g)
    return x, assign


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_kmeans_recovers_separated_clusters():
    x, assign = blobs()
    _, labels = kmeans(x, 6, generator=gen())
    # a bijection between found and true clusters
    pairs = set(zip(labels.tolist(), assign.tolist()))
    assert len(pairs) == 6 and len({a for a, _ in pairs}) == 6


def test_kmeans_is_deterministic_per_generator_and_handles_duplicates():
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
