import pytest
import torch

from gcnal import CosineAdjacency
from gcnal.samplers import GCNSampler, PoolConv, score_sampler, train_sampler


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
