import pytest
import torch

from gcnal import CosineAdjacency
from gcnal.samplers import GCNSampler, PoolConv, dropout, score_sampler, train_sampler


def test_shapes_and_repr(clustered_pool):
    x, _, _ = clustered_pool()
    adj = CosineAdjacency(x)
    model = GCNSampler(16, hidden_channels=8)
    assert model(adj.vectors, adj).shape == (200,)
    assert model.embed(adj.vectors, adj).shape == (200, 8)
    assert "hidden_channels=8" in repr(model)


def test_embeddings_are_post_relu(clustered_pool):
    x, _, _ = clustered_pool()
    adj = CosineAdjacency(x)
    assert (GCNSampler(16).embed(adj.vectors, adj) >= 0).all()


def test_training_is_deterministic_per_generator(clustered_pool):
    x, labelled, _ = clustered_pool()
    adj = CosineAdjacency(x)
    runs = []
    for _ in range(2):
        model = GCNSampler(16, cached=True)
        train_sampler(model, adj.vectors, adj, labelled, epochs=20,
                      generator=torch.Generator().manual_seed(3))
        runs.append(score_sampler(model, adj.vectors, adj)[0])
    assert torch.equal(runs[0], runs[1])


def test_cached_conv_equals_uncached(clustered_pool):
    x, _, _ = clustered_pool()
    adj = CosineAdjacency(x)
    plain, cached = PoolConv(16, 4), PoolConv(16, 4, cached=True)
    cached.load_state_dict(plain.state_dict())
    for _ in range(2):
        assert torch.allclose(plain(adj.vectors, adj), cached(adj.vectors, adj), atol=1e-5)


def test_pool_conv_on_a_dense_matrix_by_hand():
    conv = PoolConv(2, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[1.0], [2.0]]))
        conv.bias.fill_(0.5)
    adj = torch.tensor([[1.0, 1.0], [0.0, 1.0]])
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert torch.allclose(conv(x, adj), torch.tensor([[3.5], [2.5]]))


def test_dropout_scales_and_is_reproducible():
    x = torch.ones(1000, 10)
    a = dropout(x, 0.3, True, torch.Generator().manual_seed(1))
    b = dropout(x, 0.3, True, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    kept = a[a != 0]
    assert torch.allclose(kept, torch.full_like(kept, 1 / 0.7))
    assert abs(float((a == 0).float().mean()) - 0.3) < 0.02
    assert dropout(x, 0.3, False) is x


def test_bfloat16_first_layer_trains_close_to_float32(clustered_pool):
    from sklearn.metrics import roc_auc_score

    from gcnal import CosineAdjacency
    from gcnal.samplers import score_sampler, train_sampler

    x, labelled, _ = clustered_pool()
    adj = CosineAdjacency(x)
    scores = []
    for dtype in (None, torch.bfloat16):
        model = GCNSampler(16, cached=True, compute_dtype=dtype)
        train_sampler(model, adj.vectors, adj, labelled, epochs=50,
                      generator=torch.Generator().manual_seed(0))
        assert model.conv1.weight.dtype == torch.float32
        s, h = score_sampler(model, adj.vectors, adj)
        assert s.dtype == torch.float32 and h.dtype == torch.float32
        scores.append(s)
    assert roc_auc_score(labelled.numpy(), scores[1].numpy()) > 0.9
    assert (scores[0] - scores[1]).abs().max() < 0.05


def test_compute_dtype_needs_the_cached_first_layer():
    from gcnal import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'compute_dtype' parameter of PoolConv"):
        GCNSampler(16, compute_dtype=torch.bfloat16)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("with_bias", [True, False])
def test_fused_hidden_layer_equals_the_unfused_expression(monkeypatch, training, with_bias):
    from gcnal.samplers import functional

    monkeypatch.setattr(functional, "_CHUNK_ELEMENTS", 7 * 8)  # 7-row chunks, a short last one
    g = torch.Generator().manual_seed(0)
    x = torch.randn(45, 5, generator=g)
    w1 = torch.randn(5, 8, generator=g, requires_grad=True)
    b1 = torch.randn(8, generator=g, requires_grad=True) if with_bias else None
    w2 = torch.randn(8, 2, generator=g, requires_grad=True)
    upstream = torch.randn(45, 2, generator=g)
    params = [w1, w2] + ([b1] if with_bias else [])

    fused = functional.relu_dropout_linear(x, w1, b1, w2, 0.3, training,
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
    from gcnal.samplers import functional

    monkeypatch.setattr(functional, "_CHUNK_ELEMENTS", 7 * 8)
    g = torch.Generator().manual_seed(0)
    w1 = torch.randn(5, 8, generator=g, requires_grad=True)
    b1 = torch.randn(8, generator=g, requires_grad=True)
    w2 = torch.randn(8, outputs, generator=g, requires_grad=True)
    steps = [(torch.randn(n, 5, generator=g), torch.randn(n, outputs, generator=g))
             for n in (45, 45, 30, 45)]
    workspace = functional.Workspace()
    runs = []
    for space in (None, workspace):
        rng, run = torch.Generator().manual_seed(5), []
        for x, upstream in steps:
            out = functional.relu_dropout_linear(x, w1, b1, w2, 0.3, True, rng, space)
            run.append((out.detach().clone(),
                        torch.autograd.grad((out * upstream).sum(), [w1, b1, w2])))
        runs.append(run)
    for (out_a, grads_a), (out_b, grads_b) in zip(*runs):
        assert torch.equal(out_a, out_b)
        assert all(torch.equal(a, b) for a, b in zip(grads_a, grads_b))


def test_workspace_lends_a_buffer_once_and_reuses_it_when_given_back():
    from gcnal.samplers.functional import Workspace

    space = Workspace()
    first = space.take("hidden", (4, 3), torch.float32, "cpu")
    space.give_back("hidden")
    again = space.take("hidden", (2, 3), torch.float32, "cpu")  # fits: same memory
    assert again.data_ptr() == first.data_ptr() and again.shape == (2, 3)
    other = space.take("hidden", (2, 3), torch.float32, "cpu")  # lent: new memory
    assert other.data_ptr() != again.data_ptr()


def test_cached_sampler_trains_like_the_uncached_one(clustered_pool):
    # the cached sampler takes the fused hidden layer; the uncached one the plain modules
    x, labelled, _ = clustered_pool()
    adj = CosineAdjacency(x)
    cached, plain = GCNSampler(16, cached=True), GCNSampler(16)
    plain.load_state_dict(cached.state_dict())
    for model in (cached, plain):
        model.train()
    fused = cached(adj.vectors, adj, torch.Generator().manual_seed(2))
    unfused = plain(adj.vectors, adj, torch.Generator().manual_seed(2))
    assert torch.allclose(fused, unfused, atol=1e-5)
    fused.sum().backward()
    unfused.sum().backward()
    for a, b in zip(cached.parameters(), plain.parameters()):
        assert torch.allclose(a.grad, b.grad, atol=1e-4)


def test_fused_hidden_layer_rejects_an_input_that_needs_a_gradient():
    from gcnal import InvalidParameterError
    from gcnal.samplers.functional import relu_dropout_linear

    x = torch.ones(3, 2, requires_grad=True)
    with pytest.raises(InvalidParameterError, match="'x'.*requires_grad=False"):
        relu_dropout_linear(x, torch.ones(2, 4), None, torch.ones(4, 1), 0.3, True)
