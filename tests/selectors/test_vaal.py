import logging

import numpy as np
import pytest
import torch

import gcnal
from gcnal import InvalidParameterError
from gcnal.selectors import vaal

FAST = {"epochs": 5, "hidden_channels": 32}


def _two_clusters(n=200, d=8, seed=0):
    """Clusters at +-3 e_1, items alternating; labelled: 30 items of cluster 0 only."""
    g = torch.Generator().manual_seed(seed)
    cluster = torch.arange(n) % 2
    centre = torch.zeros(2, d)
    centre[0, 0], centre[1, 0] = 3.0, -3.0
    x = centre[cluster] + torch.randn(n, d, generator=g)
    mask = torch.zeros(n, dtype=torch.bool)
    mask[torch.nonzero(cluster == 0, as_tuple=True)[0][:30]] = True
    return x, mask, cluster


def test_picks_come_mostly_from_the_cluster_without_labels(gen):
    x, mask, cluster = _two_clusters()
    picks = vaal(None, x, mask, 20, generator=gen(0), **FAST)[0]
    assert not mask[picks].any() and picks.unique().numel() == 20
    assert float(cluster[picks].float().mean()) >= 0.8


def test_ta_vaal_prefers_the_high_predicted_loss_group_more_than_vaal(gen):
    g = gen(0)
    x = torch.randn(240, 8, generator=g)
    mask = torch.zeros(240, dtype=torch.bool)
    mask[torch.randperm(240, generator=g)[:40]] = True
    group = torch.arange(240) % 2 == 1
    loss = 2.0 * (group & ~mask) + 0.1 * torch.randn(240, generator=g)
    plain = vaal(None, x, mask, 20, generator=gen(1), **FAST)[0]
    aware = vaal(loss, x, mask, 20, generator=gen(1), **FAST)[0]
    assert float(group[aware].float().mean()) > float(group[plain].float().mean())
    assert float(group[aware].float().mean()) >= 0.8


def test_same_seed_same_picks_other_seed_other_picks_no_global_rng():
    x, mask, _ = _two_clusters()
    features, labelled = x.numpy(), mask.numpy()
    state = torch.random.get_rng_state()
    run = lambda seed: gcnal.select(features, labelled, 15, method="vaal", seed=seed,  # noqa: E731
                                    options=FAST)
    a, b, c = run(0), run(0), run(1)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_ta_vaal_preset_reads_predicted_loss():
    x, mask, _ = _two_clusters(n=60)
    loss = np.linspace(0, 1, 60).astype(np.float32)
    picks = gcnal.select(x.numpy(), mask.numpy(), 5, method="ta_vaal", seed=0,
                         predicted_loss=loss, options={"epochs": 1})
    assert len(set(picks.tolist())) == 5
    with pytest.raises(InvalidParameterError, match="'predicted_loss'"):
        gcnal.select(x.numpy(), mask.numpy(), 5, method="ta_vaal")
    vaal = gcnal.select(x.numpy(), mask.numpy(), 5, method="vaal", seed=0,
                        predicted_loss=loss, options={"epochs": 1}, return_info=True)
    assert vaal.info["signals_used"] == []  # vaal accepts the signal but does not read it


@pytest.mark.parametrize("name, value", [("epochs", 0), ("beta", -0.5), ("lr", "fast"),
                                         ("vae_steps", 0), ("z_dim", 2.5)])
def test_option_errors_name_the_parameter(name, value):
    x, mask, _ = _two_clusters(n=40)
    with pytest.raises(InvalidParameterError, match=f"'{name}'"):
        gcnal.select(x.numpy(), mask.numpy(), 3, method="vaal", options={name: value})
    with pytest.raises(InvalidParameterError, match="'options'.*unknown \\['epoch'\\]"):
        gcnal.select(x.numpy(), mask.numpy(), 3, method="vaal", options={"epoch": 1})


def test_scores_of_the_wrong_shape_are_refused(gen):
    x, mask, _ = _two_clusters(n=40)
    with pytest.raises(InvalidParameterError, match="'scores' parameter of vaal.*\\(40,\\)"):
        vaal(torch.rand(40, 3), x, mask, 3, generator=gen(0))


def test_no_labelled_item_picks_at_random_with_a_warning(gen, caplog):
    x, _, _ = _two_clusters(n=40)
    none = torch.zeros(40, dtype=torch.bool)
    with caplog.at_level(logging.WARNING):
        picks = vaal(None, x, none, 6, generator=gen(0))[0]
    assert picks.unique().numel() == 6 and "no labelled item" in caplog.text
    assert torch.equal(picks, vaal(None, x, none, 6, generator=gen(0))[0])


def test_image_shape_trains_the_convolutional_vae_on_flattened_images(gen):
    g = gen(0)
    images = torch.rand(120, 1, 8, 8, generator=g)
    images[60:] += 1.0                                   # a brighter second group
    mask = torch.zeros(120, dtype=torch.bool)
    mask[:30] = True                                     # labels from the first group only
    picks = vaal(None, images.flatten(1), mask, 10, generator=gen(1), epochs=5,
                 image_shape=(1, 8, 8))[0]
    assert picks.unique().numel() == 10 and not mask[picks].any()
    assert float((picks >= 60).float().mean()) >= 0.7


@pytest.mark.parametrize("shape", [(1, 8), (2, 8, 8), (1, 8, 8.0)])
def test_image_shape_must_match_the_feature_size(gen, shape):
    mask = torch.zeros(20, dtype=torch.bool)
    mask[:5] = True
    with pytest.raises(InvalidParameterError, match="image_shape"):
        vaal(None, torch.rand(20, 64), mask, 3, generator=gen(0), image_shape=shape)
