import pytest
import torch

from gcnal import InvalidParameterError
from gcnal.nn import Workspace, dropout, fused_linear, relu_dropout_linear


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("with_bias", [True, False])
def test_fused_hidden_layer_equals_the_unfused_expression(monkeypatch, training, with_bias):
    monkeypatch.setattr(fused_linear, "_CHUNK_ELEMENTS", 7 * 8)  # 7-row chunks, a short last one
    g = torch.Generator().manual_seed(0)
    x = torch.randn(45, 5, generator=g)
    w1 = torch.randn(5, 8, generator=g, requires_grad=True)
    b1 = torch.randn(8, generator=g, requires_grad=True) if with_bias else None
    w2 = torch.randn(8, 2, generator=g, requires_grad=True)
    upstream = torch.randn(45, 2, generator=g)
    params = [w1, w2] + ([b1] if with_bias else [])

    fused = relu_dropout_linear(x, w1, b1, w2, 0.3, training,
                                torch.Generator().manual_seed(5))
    fused_grads = torch.autograd.grad((fused * upstream).sum(), params)
    pre = x @ w1 + (b1 if with_bias else 0)
    plain = dropout(torch.relu(pre), 0.3, training, torch.Generator().manual_seed(5)) @ w2
    plain_grads = torch.autograd.grad((plain * upstream).sum(), params)

    assert torch.allclose(fused, plain, atol=1e-5)
    for a, b in zip(fused_grads, plain_grads):
        assert torch.allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("outputs", [1, 2])
def test_fused_layer_with_a_workspace_gives_the_same_steps(monkeypatch, outputs):
    # buffers reused over steps (and over a smaller mini-batch) change no value
    monkeypatch.setattr(fused_linear, "_CHUNK_ELEMENTS", 7 * 8)
    g = torch.Generator().manual_seed(0)
    w1 = torch.randn(5, 8, generator=g, requires_grad=True)
    b1 = torch.randn(8, generator=g, requires_grad=True)
    w2 = torch.randn(8, outputs, generator=g, requires_grad=True)
    steps = [(torch.randn(n, 5, generator=g), torch.randn(n, outputs, generator=g))
             for n in (45, 45, 30, 45)]
    workspace = Workspace()
    runs = []
    for space in (None, workspace):
        rng, run = torch.Generator().manual_seed(5), []
        for x, upstream in steps:
            out = relu_dropout_linear(x, w1, b1, w2, 0.3, True, rng, space)
            run.append((out.detach().clone(),
                        torch.autograd.grad((out * upstream).sum(), [w1, b1, w2])))
        runs.append(run)
    for (out_a, grads_a), (out_b, grads_b) in zip(*runs):
        assert torch.equal(out_a, out_b)
        assert all(torch.equal(a, b) for a, b in zip(grads_a, grads_b))


def test_fused_hidden_layer_rejects_an_input_that_needs_a_gradient():
    x = torch.ones(3, 2, requires_grad=True)
    with pytest.raises(InvalidParameterError, match="'x'.*requires_grad=False"):
        relu_dropout_linear(x, torch.ones(2, 4), None, torch.ones(4, 1), 0.3, True)
