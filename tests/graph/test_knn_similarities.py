"""knn_similarities: the exact search's values from half the products, bit
for bit, so typicality (and every typical_diverse pick) is what it was."""
import pytest
import torch

from gcnal import InvalidParameterError
from gcnal.graph import knn_search, knn_similarities, l2_normalize, search


def pools():
    g = torch.Generator().manual_seed(0)
    means = torch.randn(9, 12, generator=g) * 3
    clustered = torch.relu(means[torch.randint(9, (700,), generator=g)]
                           + 0.3 * torch.randn(700, 12, generator=g))
    return {"gaussian": torch.randn(1000, 12, generator=g),
            "clustered, every item three times": clustered.repeat(3, 1),  # ties
            "signed, wide": torch.randn(300, 64, generator=g)}


@pytest.mark.parametrize("block", [64, 1000, 4096])  # many uneven blocks, a few, one
@pytest.mark.parametrize("name", list(pools()))
def test_the_values_of_the_exact_search_bit_for_bit(name, block, monkeypatch):
    monkeypatch.setattr(search, "_PAIR_BLOCK", block)
    vectors = l2_normalize(pools()[name])
    for k in (1, 20):
        _, expected = knn_search(vectors, k, normalized=True)
        assert torch.equal(knn_similarities(vectors, k, normalized=True), expected)


@pytest.mark.parametrize("n", [2, 3, 7])
def test_tiny_pools_and_blocks_with_fewer_than_k_others(n, monkeypatch):
    # a block of two rows has one other: the rest of every row comes from the
    # other blocks (2 x 2 products: the BLAS may round them differently)
    monkeypatch.setattr(search, "_PAIR_BLOCK", 2)
    x = torch.randn(n, 4, generator=torch.Generator().manual_seed(n))
    _, expected = knn_search(x, n - 1)
    assert torch.allclose(knn_similarities(x, n - 1), expected, rtol=0, atol=1e-6)


def test_bad_k_names_the_parameter():
    with pytest.raises(InvalidParameterError, match="'k'.*\\[1, 3\\]"):
        knn_similarities(torch.rand(4, 2), 4)
