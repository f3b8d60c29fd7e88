"""Transfer-feature pools: the encoder never sees a pool image, features are cached."""
import numpy as np
import pytest

from benchmarks import transfer
from benchmarks.datasets import default_data_dir


@pytest.mark.parametrize("per_trial", [True, False])
def test_pool_and_side_set_are_disjoint_and_trials_draw_different_pools(per_trial):
    encoder = transfer.Encoder(pool=20000, side=5000, epochs=1, per_trial=per_trial)
    pools = [transfer.pool_indices(50000, encoder, t) for t in (0, 1)]
    sides = [transfer.side_indices(50000, encoder, t) for t in (0, 1)]
    for pool, side in zip(pools, sides):
        assert len(pool) == 20000 and len(np.unique(pool)) == 20000 and len(side) == 5000
        assert not np.isin(pool, side).any()
    assert not np.array_equal(pools[0], pools[1])
    assert np.array_equal(sides[0], sides[1]) == (not per_trial)


def test_more_than_the_training_split_is_refused():
    with pytest.raises(ValueError, match="exceeds"):
        transfer.side_indices(1000, transfer.Encoder(pool=900, side=200, epochs=1), 0)


def test_tiny_encoder_features_are_post_relu_cached_and_probed(tmp_path):
    if not (default_data_dir() / "fashion-mnist").exists():
        pytest.skip(f"no offline FashionMNIST at {default_data_dir()} (set GCNAL_DATA)")
    encoder = transfer.Encoder(pool=300, side=200, epochs=2)
    feats = transfer.transfer_features("fashion_mnist", 0, encoder, cache=tmp_path)
    assert feats["train_x"].shape == (300, 128) and feats["test_x"].shape == (10000, 128)
    assert feats["train_x"].min() >= 0 and feats["train_x"].max() > 0  # post-ReLU, not dead
    assert not np.isin(feats["pool_index"], feats["side_index"]).any()
    again = transfer.transfer_features("fashion_mnist", 0, encoder, cache=tmp_path)
    assert np.array_equal(again["train_x"], feats["train_x"])
    assert len(list(tmp_path.glob("*.npz"))) == 1 and len(list(tmp_path.glob("*.pt"))) == 1
    # a CNN trained on 200 labelled images gives features a linear probe reads far above chance
    probe = transfer.linear_probe(feats["train_x"], feats["train_y"], feats["test_x"], feats["test_y"])
    assert probe > 0.5
