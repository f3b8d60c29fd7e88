import numpy as np
import pytest


@pytest.fixture
def signed_pool():
    """40 signed Gaussian items in 6 dimensions, the first 5 labelled."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6)).astype(np.float32)
    mask = np.zeros(40, dtype=bool)
    mask[:5] = True
    return x, mask
