import pytest
import torch
import torch.nn.functional as F

from gcnal import InvalidParameterError
from gcnal.samplers import BatchTransformerSampler, random_batches, score_sampler, train_sampler


@pytest.mark.parametrize("n, batch_size", [(10, 4), (8, 4), (3, 8), (1, 1), (129, 128)])
def test_random_batches_partition_the_pool_evenly(n, batch_size):
    batches = random_batches(n, batch_size, torch.Generator().manual_seed(0))
    m = -(-n // batch_size)
    assert batches.size(0) == m
    real = batches[batches < n]
    assert sorted(real.tolist()) == list(range(n))
    sizes = (batches < n).sum(dim=1)
    assert int(sizes.max() - sizes.min()) <= 1
    assert ((batches == n) | (batches < n)).all()


def test_random_batches_follow_the_generator():
    a = random_batches(50, 8, torch.Generator().manual_seed(1))
    b = random_batches(50, 8, torch.Generator().manual_seed(1))
    c = random_batches(50, 8, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_shapes_and_repr(clustered_pool):
    x, _, _ = clustered_pool()
    model = BatchTransformerSampler(16, hidden_channels=8, heads=2, batch_size=32, draws=3)
    model.eval()
    assert model(x, None).shape == (200,)
    assert model.embed(x, None).shape == (200, 8)
    assert "batch_size=32" in repr(model) and "draws=3" in repr(model)


def test_items_attend_only_within_their_batch(clustered_pool):
    x, _, _ = clustered_pool(n=30)
    model = BatchTransformerSampler(16, hidden_channels=8, dropout=0.0, batch_size=8)
    model.train()
    batches = random_batches(30, 8, torch.Generator().manual_seed(5))
    base = model(x, None, generator=torch.Generator().manual_seed(5))
    changed = x.clone()
    j = int(batches[0, 0])
    changed[j] += 5.0
    moved = model(changed, None, generator=torch.Generator().manual_seed(5))
    same_batch = torch.zeros(30, dtype=torch.bool)
    same_batch[batches[0][batches[0] < 30]] = True
    differs = ~torch.isclose(base, moved, atol=1e-6)
    assert differs[same_batch].all() and not differs[~same_batch].any()


def test_inference_averages_probabilities_over_draws(clustered_pool):
    x, _, _ = clustered_pool(n=40)
    model = BatchTransformerSampler(16, hidden_channels=8, batch_size=8, draws=4)
    model.reset_parameters(torch.Generator().manual_seed(0))
    model.eval()
    g = torch.Generator().manual_seed(model.inference_seed)
    splits = [random_batches(40, 8, g) for _ in range(4)]
    with torch.no_grad():
        probs = torch.stack([torch.sigmoid(model._discriminate(model._encode(x, b, None), None))
                             for b in splits]).mean(dim=0)
        tokens = torch.stack([model._encode(x, b, None) for b in splits]).mean(dim=0)
        assert torch.allclose(torch.sigmoid(model(x, None)), probs, atol=1e-6)
        assert torch.allclose(model.embed(x, None), tokens, atol=1e-6)
        assert torch.equal(model(x, None), model(x, None))


def test_training_is_deterministic_per_generator_and_leaves_the_global_rng_alone(clustered_pool):
    x, labelled, _ = clustered_pool(n=60)
    runs = []
    for seed in (3, 3, 4):
        model = BatchTransformerSampler(16, hidden_channels=8, batch_size=16, draws=2)
        state = torch.get_rng_state()
        train_sampler(model, x, None, labelled, epochs=5,
                      generator=torch.Generator().manual_seed(seed))
        runs.append(score_sampler(model, x, None))
        assert torch.equal(state, torch.get_rng_state())
    assert torch.equal(runs[0][0], runs[1][0]) and torch.equal(runs[0][1], runs[1][1])
    assert not torch.equal(runs[0][0], runs[2][0])


def test_without_a_generator_training_still_avoids_the_global_rng(clustered_pool):
    x, _, _ = clustered_pool(n=20)
    model = BatchTransformerSampler(16, hidden_channels=8, batch_size=4)
    model.train()
    state = torch.get_rng_state()
    model(x, None)
    assert torch.equal(state, torch.get_rng_state())


def test_logit_of_the_mean_is_stable_for_confident_draws():
    z = torch.tensor([[40.0, -40.0], [30.0, -50.0]])
    got = torch.logsumexp(F.logsigmoid(z), 0) - torch.logsumexp(F.logsigmoid(-z), 0)
    assert torch.isfinite(got).all() and got[0] > 29 and got[1] < -39


@pytest.mark.parametrize("name, value", [("heads", 0), ("batch_size", 0), ("draws", 1.5),
                                         ("depth", False), ("dropout", -0.1)])
def test_bad_hyper_parameters(name, value):
    with pytest.raises(InvalidParameterError,
                       match=f"'{name}' parameter of BatchTransformerSampler"):
        BatchTransformerSampler(4, **{name: value})
