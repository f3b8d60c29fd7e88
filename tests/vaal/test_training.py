import pytest
import torch

from gcnal import InvalidParameterError
from gcnal.vaal import (ConvDecoder, ConvEncoder, labelled_probability, normalize_ranking,
                        train_vaal)

FAST = {"epochs": 2, "hidden_channels": 16, "batch_size": 16}


def _pool(n=40, d=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    mask = torch.zeros(n, dtype=torch.bool)
    mask[: n // 4] = True
    return torch.randn(n, d, generator=g), mask


def test_normalize_ranking_is_sigmoid_of_standardised_loss():
    loss = torch.tensor([1.0, 3.0, 5.0, 3.0])
    # mean 3, population std sqrt(2)
    expected = torch.sigmoid(torch.tensor([-2.0, 0.0, 2.0, 0.0]) / 2 ** 0.5)
    assert torch.allclose(normalize_ranking(loss), expected)
    # only the ranking matters: any positive affine map gives the same r
    assert torch.allclose(normalize_ranking(100 * loss - 7), expected)
    assert torch.equal(normalize_ranking(torch.full((3,), 2.0)), torch.full((3,), 0.5))


def test_same_generator_same_training_and_global_rng_untouched():
    x, mask = _pool()
    state = torch.random.get_rng_state()
    a = train_vaal(x, mask, generator=torch.Generator().manual_seed(0), **FAST)
    b = train_vaal(x, mask, generator=torch.Generator().manual_seed(0), **FAST)
    c = train_vaal(x, mask, generator=torch.Generator().manual_seed(1), **FAST)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert a.vae_losses == b.vae_losses and a.discriminator_losses == b.discriminator_losses
    assert a.vae_losses != c.vae_losses
    # epochs * ceil(N / batch_size) iterations
    assert len(a.vae_losses) == 2 * 3
    p = labelled_probability(a.model, x)
    assert p.shape == (40,) and bool(((p > 0) & (p < 1)).all())


def test_images_train_with_the_conv_pair():
    g = torch.Generator().manual_seed(0)
    images = torch.randn(12, 1, 8, 8, generator=g)
    mask = torch.arange(12) < 4
    ranking = normalize_ranking(torch.randn(12, generator=g))
    trained = train_vaal(images, mask, ranking=ranking, z_dim=4, epochs=1, batch_size=4,
                         encoder=ConvEncoder((1, 8, 8), 4, channels=(4, 8)),
                         decoder=ConvDecoder(5, (1, 8, 8), channels=(4, 8)), generator=g)
    assert len(trained.vae_losses) == 3
    assert labelled_probability(trained.model, images, ranking, batch_size=5).shape == (12,)


@pytest.mark.parametrize("name, value, match", [
    ("epochs", 0, "positive int"), ("batch_size", 1.5, "positive int"),
    ("z_dim", True, "positive int"), ("vae_steps", -1, "positive int"),
    ("hidden_channels", "8", "positive int"), ("lr", 0.0, "\\(0.0, inf\\)"),
    ("beta", -1.0, "\\[0.0, inf\\)"), ("adversary_weight", float("inf"), "\\[0.0, inf\\)"),
])
def test_bad_options_name_the_parameter(name, value, match):
    x, mask = _pool()
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of train_vaal.*{match}"):
        train_vaal(x, mask, **{**FAST, name: value})


def test_bad_inputs_name_the_parameter():
    x, mask = _pool()
    with pytest.raises(InvalidParameterError, match="'labelled_mask'.*one labelled and one"):
        train_vaal(x, torch.zeros(40, dtype=torch.bool), **FAST)
    with pytest.raises(InvalidParameterError, match="'ranking'.*\\(40,\\)"):
        train_vaal(x, mask, ranking=torch.zeros(39), **FAST)
    with pytest.raises(InvalidParameterError, match="'decoder'.*together"):
        train_vaal(x, mask, encoder=torch.nn.Linear(5, 64), **FAST)
    with pytest.raises(InvalidParameterError, match="'items'.*ConvEncoder"):
        train_vaal(x.view(40, 5, 1), mask, **FAST)
