"""The SimCLR encoder of the cifar_ssl study: augmentations, loss, resumable training, weights."""
import logging

import numpy as np
import pytest
import torch

from benchmarks import ssl_encoder as ssl
from benchmarks.datasets import _decode_jpegs, default_data_dir

CIFAR = default_data_dir() / "cifar10" / "cifar10-jpeg75.npz"
TINY = ssl.SSLConfig(width=4, projection=8, batch_size=8, steps=4, warmup=1, lr=1e-2, seed=3)


@pytest.fixture(scope="module")
def images():
    """48 real CIFAR-10 (JPEG q75) training images, uint8 (N, 32, 32, 3), from three classes."""
    if not CIFAR.exists():
        pytest.skip(f"no offline CIFAR-10 at {default_data_dir()} (set GCNAL_DATA)")
    with np.load(CIFAR) as d:
        offsets, blob = d["train_offsets"], d["train_jpeg"]
        return np.concatenate([_decode_jpegs(blob, offsets[start:start + 17])
                               for start in (0, 5000, 10000)])


def _nchw(images):
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()


def test_full_area_square_crop_is_the_image_or_its_mirror(images):
    x = _nchw(images[:16]).float() / 255.0
    out = ssl.random_resized_crop_flip(x, torch.Generator().manual_seed(0), scale=(1.0, 1.0),
                                       ratio=(1.0, 1.0))
    same = (out - x).abs().amax(dim=(1, 2, 3)) < 1e-5
    mirrored = (out - x.flip(3)).abs().amax(dim=(1, 2, 3)) < 1e-5
    assert bool((same | mirrored).all())
    assert 0 < int(mirrored.sum()) < 16  # both happen


def test_augmentations_are_seeded_in_range_and_change_the_images(images):
    batch = _nchw(images[:16])
    first = ssl.augment_views(batch, torch.Generator().manual_seed(7))
    again = ssl.augment_views(batch, torch.Generator().manual_seed(7))
    other = ssl.augment_views(batch, torch.Generator().manual_seed(8))
    assert first.shape == (16, 3, 32, 32) and first.dtype == torch.float32
    assert torch.equal(first, again) and not torch.equal(first, other)
    assert float(first.min()) >= 0.0 and float(first.max()) <= 1.0
    assert float((first - batch.float() / 255.0).abs().mean()) > 0.02
    assert ssl.augment_views(batch, torch.Generator().manual_seed(7), 24).shape == (16, 3, 24, 24)


def test_colour_jitter_off_is_the_identity_and_grayscale_on_equalises_channels(images):
    x = _nchw(images[:8]).float() / 255.0
    generator = torch.Generator().manual_seed(0)
    assert torch.allclose(ssl.colour_jitter(x, generator, p=0.0), x, atol=1e-5)
    gray = ssl.random_grayscale(x, generator, p=1.0)
    assert torch.equal(gray[:, 0], gray[:, 1]) and torch.equal(gray[:, 1], gray[:, 2])
    jittered = ssl.colour_jitter(x, generator, p=1.0)
    assert float((jittered - x).abs().mean()) > 0.01


def test_nt_xent_is_low_for_matching_views_and_high_for_unrelated_ones():
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(32, 16, generator=generator)
    matched = ssl.nt_xent(z, z + 0.01 * torch.randn(32, 16, generator=generator), 0.1)
    unrelated = ssl.nt_xent(z, torch.randn(32, 16, generator=generator), 0.1)
    assert float(matched) < 0.1 < np.log(63) - 1 < float(unrelated)


def test_encoder_features_have_eight_times_the_width():
    model = ssl.build_simclr(TINY)
    x = torch.randn(5, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    assert model.encoder(x).shape == (5, 32) and model(x).shape == (5, 8)


def _weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_a_resumed_run_continues_from_the_checkpoint_step_and_matches_one_run(images, tmp_path, caplog):
    mean, std = (0.49, 0.48, 0.45), (0.25, 0.24, 0.26)
    interrupted = tmp_path / "a.pt"
    ssl.train(TINY, images, mean, std, interrupted, stop_at=2, log_every=1)
    assert torch.load(interrupted, weights_only=True)["step"] == 2
    with caplog.at_level(logging.INFO, logger="benchmarks.ssl_encoder"):
        resumed = ssl.train(TINY, images, mean, std, interrupted, log_every=1)
    steps_run = [r.getMessage().split()[1] for r in caplog.records if r.getMessage().startswith("step ")]
    assert steps_run == ["3/4", "4/4"]  # not restarted from step 1
    assert torch.load(interrupted, weights_only=True)["step"] == 4
    whole = ssl.train(TINY, images, mean, std, tmp_path / "b.pt")
    fresh = ssl.build_simclr(TINY)
    for name, value in _weights(whole).items():
        assert torch.equal(resumed.state_dict()[name], value), name
    assert any(not torch.equal(fresh.state_dict()[k], v) for k, v in _weights(whole).items())
    with pytest.raises(ValueError, match="different run"):
        ssl.train(ssl.SSLConfig(width=4, projection=8, batch_size=8, steps=5, seed=3), images,
                  mean, std, interrupted)


def test_exported_weights_give_the_trained_encoder_features(images, tmp_path):
    mean, std = (0.49, 0.48, 0.45), (0.25, 0.24, 0.26)
    model = ssl.train(TINY, images, mean, std, tmp_path / "run.pt")
    path = ssl.export_weights(tmp_path / "run.pt", tmp_path / "weights.pt")
    encoder, record = ssl.load_encoder(path)
    assert record["step"] == 4 and record["config"]["width"] == 4
    expected = ssl.encode(model.encoder, images, mean, std)
    got = ssl.encode(encoder, images, mean, std)
    assert got.shape == (48, 32)
    assert np.allclose(got, expected, rtol=1e-2, atol=1e-2)  # float16 storage
