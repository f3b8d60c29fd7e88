import torch

from gcnal.nn import BatchSelfAttention


def test_attention_ignores_padded_keys():
    att = BatchSelfAttention(4, heads=2)
    tokens = torch.randn(1, 3, 4)
    mask = torch.tensor([[True, True, False]])
    changed = tokens.clone()
    changed[0, 2] = 100.0
    assert torch.allclose(att(tokens, mask)[0, :2], att(changed, mask)[0, :2])
