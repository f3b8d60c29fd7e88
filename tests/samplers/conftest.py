import pytest
import torch


def _clustered_pool(seed=0, n=200, d=16):
    """Labelled items all come from one tight cluster; the rest of the pool
    is spread over three others."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.rand(4, d, generator=g) * 4
    assign = torch.arange(n) % 4
    x = (centres[assign] + 0.3 * torch.randn(n, d, generator=g)).clamp_min(0)
    labelled = (assign == 0) & (torch.arange(n) < n // 2)
    return x, labelled, assign


@pytest.fixture(scope="session")
def clustered_pool():
    """``clustered_pool(seed=0, n=200, d=16)``: features, labelled mask and cluster of each item."""
    return _clustered_pool
