import pytest
import torch
from torch import nn

from gcnal import InvalidParameterError
from gcnal.learner import MCDropout, convert_dropout, mc_dropout, mc_dropout_probs


def _model(p=0.5):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), MCDropout(p), nn.Linear(16, 3))


X = torch.randn(7, 4, generator=torch.Generator().manual_seed(1))


def test_shape_rows_and_samples_differ():
    probs = mc_dropout_probs(_model(), X, samples=5, seed=0)
    assert probs.shape == (7, 5, 3) and probs.dtype == torch.float32
    assert torch.allclose(probs.sum(dim=-1), torch.ones(7, 5), atol=1e-6)
    assert not torch.allclose(probs[:, 0], probs[:, 1])


def test_same_seed_same_samples_and_global_rng_untouched():
    model = _model()
    state = torch.get_rng_state()
    a = mc_dropout_probs(model, X, samples=4, seed=3)
    b = mc_dropout_probs(model, X, samples=4, seed=torch.Generator().manual_seed(9))
    c = mc_dropout_probs(model, X, samples=4, seed=3, batch_size=3)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(a, mc_dropout_probs(model, X, samples=4, seed=3))
    assert not torch.equal(a, b)
    assert c.shape == a.shape


def test_modes_and_generators_are_restored():
    model = _model().train()
    layer = model[2]
    own = torch.Generator()
    layer.generator = own
    with mc_dropout(model, torch.Generator()):
        assert not model.training and not model[0].training and layer.sampling
    assert model.training and model[0].training and layer.generator is own
    assert not layer.sampling
    model.eval()
    assert torch.equal(model(X), model(X))  # off in eval mode outside the context


def test_only_dropout_is_stochastic():
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), MCDropout(0.0), nn.Linear(8, 3))
    model.train()
    probs = mc_dropout_probs(model, X, samples=3, seed=0)
    assert torch.allclose(probs[:, 0], probs[:, 2])  # p = 0, BatchNorm in eval mode


def test_convert_dropout_swaps_torch_dropout():
    model = convert_dropout(nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.3), nn.Linear(8, 3)))
    assert isinstance(model[1], MCDropout) and model[1].p == 0.3
    assert mc_dropout_probs(model, X, samples=2, seed=0).shape == (7, 2, 3)
    assert isinstance(convert_dropout(nn.Dropout(0.2)), MCDropout)


def test_forward_picks_the_logits():
    model = _model()
    probs = mc_dropout_probs(model, X, samples=2, seed=0, forward=lambda x: model(x) * 2)
    assert probs.shape == (7, 2, 3)


def test_bad_inputs_name_the_parameter():
    with pytest.raises(InvalidParameterError, match="'model'.*MCDropout"):
        mc_dropout_probs(nn.Sequential(nn.Linear(4, 3), nn.Dropout()), X)
    with pytest.raises(InvalidParameterError, match="'samples'"):
        mc_dropout_probs(_model(), X, samples=1)
    with pytest.raises(InvalidParameterError, match="'inputs'"):
        mc_dropout_probs(_model(), X.numpy())
    with pytest.raises(InvalidParameterError, match="'seed'"):
        mc_dropout_probs(_model(), X, seed=-1)
    with pytest.raises(InvalidParameterError, match="'forward'"):
        mc_dropout_probs(_model(), X, forward=lambda x: x.sum(dim=1))
    with pytest.raises(InvalidParameterError, match="'p'"):
        MCDropout(1.0)
    with pytest.raises(InvalidParameterError, match="'generator'"):
        with mc_dropout(_model(), 0):
            pass
