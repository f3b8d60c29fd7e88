import torch

from gcnal.nn import column_major


def test_column_major_keeps_values_and_stores_columns(generator):
    x = torch.randn(300, 7, generator=generator)
    stored = column_major(x)
    assert torch.equal(stored, x)
    assert stored.T.is_contiguous() and not stored.is_contiguous()
    assert x.is_contiguous()  # the input is not touched
    v, y = torch.randn(7, generator=generator), torch.randn(300, generator=generator)
    assert torch.allclose(stored @ v, x @ v, atol=1e-5)
    assert torch.allclose(stored.T @ y, x.T @ y, atol=1e-4)


def test_column_major_input_is_returned_as_is(generator):
    x = torch.randn(7, 300, generator=generator).T
    assert column_major(x) is x
