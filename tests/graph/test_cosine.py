import numpy as np
import pytest
import torch

from gcnal import CosineAdjacency, InvalidParameterError, cosine_adjacency
from gcnal.graph import l2_normalize

# Four items whose cosine similarities are easy by hand:
# v0 = e0, v1 = (e0 + e1)/sqrt2, v2 = e1, v3 = e2
FEATURES = torch.tensor([[1.0, 0, 0], [1, 1, 0], [0, 2, 0], [0, 0, 5]])
R = 1 / np.sqrt(2)
# W = S - I with zero diagonal: W01 = W12 = 1/sqrt2, W02 = 0, item 3 isolated
W = np.array([[0, R, 0, 0], [R, 0, R, 0], [0, R, 0, 0], [0, 0, 0, 0]])


def test_row_normalized_adjacency_by_hand():
    # D = (R, 2R, R, 0); A = D^-1 W + I; item 3 keeps only its self-loop
    expected = np.array([[1, 1, 0, 0], [0.5, 1, 0.5, 0], [0, 1, 1, 0], [0, 0, 0, 1]])
    assert np.allclose(cosine_adjacency(FEATURES, "row").numpy(), expected, atol=1e-6)


def test_column_normalized_adjacency_by_hand():
    # the original code's (S - I) D^-1 + I: the transpose for symmetric W
    expected = np.array([[1, 0.5, 0, 0], [1, 1, 1, 0], [0, 0.5, 1, 0], [0, 0, 0, 1]])
    assert np.allclose(cosine_adjacency(FEATURES, "column").numpy(), expected, atol=1e-6)


@pytest.mark.parametrize("normalization", ["row", "column"])
def test_factored_equals_materialized(normalization, generator):
    x = torch.rand(50, 8, generator=generator)
    factored = CosineAdjacency(x, normalization)
    dense = CosineAdjacency(x, normalization, materialize=True)
    assert factored.is_factored and not dense.is_factored
    y = torch.randn(50, 3, generator=generator)
    assert torch.allclose(factored @ y, dense @ y, atol=1e-5)
    assert torch.allclose(factored @ y[:, 0], dense @ y[:, 0], atol=1e-5)
    assert torch.allclose(factored.to_dense(), dense.to_dense(), atol=1e-5)


def test_row_normalized_rows_sum_to_two(generator):
    # D^-1 W has rows summing to 1, plus the self-loop
    adj = cosine_adjacency(torch.rand(30, 5, generator=generator))
    assert torch.allclose(adj.sum(1), torch.full((30,), 2.0), atol=1e-5)


def test_negative_similarities_are_clamped():
    x = torch.tensor([[1.0, 0], [-1, 0], [1, 1]])
    adj = CosineAdjacency(x)
    assert not adj.is_factored  # signed features need the dense matrix
    dense = adj.to_dense()
    assert dense[0, 1] == 0 and dense[1, 0] == 0
    assert torch.allclose(dense[1], torch.tensor([0.0, 1, 0]))  # only negative neighbours
    assert (dense >= 0).all()


def test_zero_rows_and_duplicates_never_give_nan():
    x = torch.tensor([[0.0, 0, 0], [1, 2, 3], [1, 2, 3], [0, 0, 0]])
    for materialize in (None, True):
        dense = CosineAdjacency(x, materialize=materialize).to_dense()
        assert torch.isfinite(dense).all()
        assert torch.equal(dense[0], torch.tensor([1.0, 0, 0, 0]))


def test_factored_is_refused_for_signed_features():
    with pytest.raises(InvalidParameterError, match="'materialize'"):
        CosineAdjacency(torch.tensor([[1.0, -1.0], [1.0, 1.0]]), materialize=False)


def test_unknown_normalization():
    with pytest.raises(InvalidParameterError, match="'normalization'.*Got 'sym'"):
        CosineAdjacency(FEATURES, "sym")


def test_l2_normalize_keeps_zero_rows():
    v = l2_normalize(torch.tensor([[3.0, 4.0], [0.0, 0.0]]))
    assert torch.allclose(v, torch.tensor([[0.6, 0.8], [0.0, 0.0]]))


def test_adjacency_follows_features_dtype_and_leaves_input_alone():
    x = FEATURES.double().clone()
    before = x.clone()
    adj = cosine_adjacency(x)
    assert adj.dtype == torch.float32 and torch.equal(x, before)
