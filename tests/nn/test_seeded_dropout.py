import torch

from gcnal.nn import dropout


def test_dropout_scales_and_is_reproducible():
    x = torch.ones(1000, 10)
    a = dropout(x, 0.3, True, torch.Generator().manual_seed(1))
    b = dropout(x, 0.3, True, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    kept = a[a != 0]
    assert torch.allclose(kept, torch.full_like(kept, 1 / 0.7))
    assert abs(float((a == 0).float().mean()) - 0.3) < 0.02
    assert dropout(x, 0.3, False) is x
