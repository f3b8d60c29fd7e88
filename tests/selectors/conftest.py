import pytest
import torch


def _blobs(num_clusters=6, per_cluster=40, d=8, spread=0.15, seed=0):
    """Well-separated clusters in direction (cosine) space; item i is in
    cluster i % num_clusters."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(num_clusters, d, generator=g) * 5
    assign = torch.arange(num_clusters * per_cluster) % num_clusters
    x = centres[assign] + spread * torch.randn(assign.numel(), d, generator=g)
    return x, assign


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="session")
def blobs():
    """``blobs(num_clusters=6, per_cluster=40, d=8, spread=0.15, seed=0)``:
    features and the cluster of each item."""
    return _blobs


@pytest.fixture(scope="session")
def gen():
    """``gen(seed=0)``: a CPU generator seeded with ``seed``."""
    return _gen
