import math

import pytest
import torch

from gcnal import InvalidParameterError
from gcnal.learner import LossPredictionModule, loss_prediction_loss, ranking_loss

# Pairs (0, 3) and (1, 2): pred differences 3 - 0 = 3 and 1 - 2 = -1;
# target differences 0.5 - 0.1 > 0 and 2.0 - 1.0 > 0, so both pairs have I = +1.
PRED = torch.tensor([3.0, 1.0, 2.0, 0.0])
TARGET = torch.tensor([0.5, 2.0, 1.0, 0.1])


def test_loss_prediction_loss_matches_hand_computation():
    # max(0, -(+1)(3) + 1) = 0 and max(0, -(+1)(-1) + 1) = 2; mean over 2 pairs
    assert float(loss_prediction_loss(PRED, TARGET)) == pytest.approx(1.0)
    # margin 0.5: max(0, -3 + 0.5) = 0, max(0, 1 + 0.5) = 1.5
    assert float(loss_prediction_loss(PRED, TARGET, margin=0.5)) == pytest.approx(0.75)


def test_loss_prediction_loss_sign_follows_the_target_order():
    # swap the targets of pair (1, 2): now l_1 < l_2, I = -1, max(0, (-1) + 1) = 0
    target = torch.tensor([0.5, 1.0, 2.0, 0.1])
    assert float(loss_prediction_loss(PRED, target)) == pytest.approx(0.0)


def test_ranking_loss_matches_hand_computation():
    sigmoid = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    expected = -(math.log(sigmoid(3.0)) + math.log(sigmoid(-1.0))) / 2
    assert float(ranking_loss(PRED, TARGET)) == pytest.approx(expected, rel=1e-6)
    target = torch.tensor([0.5, 1.0, 2.0, 0.1])  # pair (1, 2) now has I = 0
    expected = -(math.log(sigmoid(3.0)) + math.log(1 - sigmoid(-1.0))) / 2
    assert float(ranking_loss(PRED, target)) == pytest.approx(expected, rel=1e-6)


def test_odd_batch_leaves_the_middle_item_out():
    pred = torch.tensor([3.0, 1.0, 99.0, 2.0, 0.0])
    target = torch.tensor([0.5, 2.0, -7.0, 1.0, 0.1])
    assert float(loss_prediction_loss(pred, target)) == pytest.approx(1.0)


def test_target_losses_are_detached():
    pred = PRED.clone().requires_grad_()
    target = TARGET.clone().requires_grad_()
    (loss_prediction_loss(pred, target) + ranking_loss(pred, target)).backward()
    assert target.grad is None and pred.grad is not None


@pytest.mark.parametrize("loss", [loss_prediction_loss, ranking_loss])
def test_bad_inputs_name_the_parameter(loss):
    with pytest.raises(InvalidParameterError, match="'pred'"):
        loss(torch.ones(1), torch.ones(1))
    with pytest.raises(InvalidParameterError, match="'target'"):
        loss(torch.ones(4), torch.ones(3))
    with pytest.raises(InvalidParameterError, match="'pred'"):
        loss(torch.ones(4, 1), torch.ones(4, 1))


def test_negative_margin_is_refused():
    with pytest.raises(InvalidParameterError, match="'margin'"):
        loss_prediction_loss(PRED, TARGET, margin=-1.0)


def test_module_shapes_with_maps_and_vectors():
    module = LossPredictionModule([4, 8, 16], hidden_channels=5)
    levels = [torch.randn(6, 4, 8, 8), torch.randn(6, 8, 4, 4), torch.randn(6, 16)]
    assert module(levels).shape == (6,)
    assert LossPredictionModule([16])(torch.randn(3, 16)).shape == (3,)
    assert len(module.lins) == 3 and module.out.in_features == 15
    assert "hidden_channels=5" in repr(module)


def test_module_pools_maps_by_their_mean():
    module = LossPredictionModule([3, 2])
    maps = [torch.randn(4, 3, 5, 5), torch.randn(4, 2, 3, 3)]
    pooled = [m.mean(dim=(2, 3)) for m in maps]
    assert torch.allclose(module(maps), module(pooled), atol=1e-6)


def test_detach_stops_the_gradient_into_the_features():
    module = LossPredictionModule([3])
    x = torch.randn(4, 3, requires_grad=True)
    module([x], detach=True).sum().backward()
    assert x.grad is None
    module([x]).sum().backward()
    assert x.grad is not None


def test_reset_parameters_follows_the_generator():
    a, b = LossPredictionModule([3, 4]), LossPredictionModule([3, 4])
    a.reset_parameters(torch.Generator().manual_seed(0))
    b.reset_parameters(torch.Generator().manual_seed(0))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_module_bad_inputs_name_the_parameter():
    with pytest.raises(InvalidParameterError, match="'in_channels'"):
        LossPredictionModule(64)
    with pytest.raises(InvalidParameterError, match=r"'in_channels\[1\]'"):
        LossPredictionModule([4, 0])
    module = LossPredictionModule([4, 8])
    with pytest.raises(InvalidParameterError, match="'features'"):
        module([torch.randn(2, 4)])
    with pytest.raises(InvalidParameterError, match=r"'features\[1\]'"):
        module([torch.randn(2, 4), torch.randn(2, 7)])
