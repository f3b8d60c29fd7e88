import pytest
import torch

from gcnal import InvalidParameterError
from gcnal.vaal import (VAAL, ConvDecoder, ConvEncoder, Discriminator, MLPDecoder, MLPEncoder,
                        conv_sizes)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_conv_pair_round_trips_image_shapes(shape):
    encoder, decoder = ConvEncoder(shape, z_dim=8), ConvDecoder(9, shape)
    model = VAAL(encoder, decoder, Discriminator(9, hidden_channels=16))
    x = torch.randn(4, *shape, generator=torch.Generator().manual_seed(0))
    ranking = torch.rand(4, generator=torch.Generator().manual_seed(1))
    recon, mu, logvar = model.reconstruct(x, ranking, torch.Generator().manual_seed(2))
    assert recon.shape == x.shape and mu.shape == logvar.shape == (4, 8)
    assert model(x, ranking).shape == (4,)


def test_conv_sizes_halve_and_floor():
    assert conv_sizes((1, 28, 28), 3) == [(28, 28), (14, 14), (7, 7), (3, 3)]
    assert conv_sizes((3, 32, 16), 2) == [(32, 16), (16, 8), (8, 4)]
    with pytest.raises(InvalidParameterError, match="'image_shape'.*at least 8"):
        ConvEncoder((1, 7, 7))
    with pytest.raises(InvalidParameterError, match="'image_shape'.*three positive ints"):
        ConvDecoder(4, (28, 28))


def test_mlp_vae_shapes_and_reparameterisation_noise_from_the_generator():
    model = VAAL(MLPEncoder(6, z_dim=4, hidden_channels=8), MLPDecoder(4, 6, hidden_channels=8),
                 Discriminator(4, hidden_channels=8))
    x = torch.randn(5, 6, generator=torch.Generator().manual_seed(0))
    a = model.reconstruct(x, None, torch.Generator().manual_seed(3))[0]
    b = model.reconstruct(x, None, torch.Generator().manual_seed(3))[0]
    c = model.reconstruct(x, None, torch.Generator().manual_seed(4))[0]
    assert a.shape == (5, 6) and torch.equal(a, b) and not torch.equal(a, c)


def test_encoder_of_odd_width_is_refused():
    model = VAAL(torch.nn.Linear(3, 5), MLPDecoder(2, 3), Discriminator(2))
    with pytest.raises(InvalidParameterError, match="'encoder'.*2 z_dim.*\\(2, 5\\)"):
        model.encode(torch.zeros(2, 3))


def test_reset_parameters_draws_from_the_generator():
    def fresh(seed):
        model = VAAL(MLPEncoder(3, 2, 4), MLPDecoder(2, 3, 4), Discriminator(2, 4))
        model.reset_parameters(torch.Generator().manual_seed(seed))
        return torch.cat([p.flatten() for p in model.parameters()])

    assert torch.equal(fresh(0), fresh(0)) and not torch.equal(fresh(0), fresh(1))
