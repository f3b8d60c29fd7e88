import math

import pytest
import torch

from gcnal.losses import weighted_bce_with_logits


def test_weighted_bce_equals_formula():
    logits = torch.tensor([2.0, -1.0, 0.5, -3.0, 0.0])
    mask = torch.tensor([True, True, False, False, False])
    s = torch.sigmoid(logits).tolist()
    expected = (-(math.log(s[0]) + math.log(s[1])) / 2
                - 1.2 * (math.log(1 - s[2]) + math.log(1 - s[3]) + math.log(1 - s[4])) / 3)
    assert float(weighted_bce_with_logits(logits, mask, 1.2)) == pytest.approx(expected, rel=1e-6)


def test_weighted_bce_is_finite_for_saturated_logits():
    logits = torch.tensor([-200.0, 200.0], requires_grad=True)
    loss = weighted_bce_with_logits(logits, torch.tensor([True, False]), 1.2)
    loss.backward()
    assert torch.isfinite(loss) and loss.item() == pytest.approx(200 + 1.2 * 200)
    assert torch.isfinite(logits.grad).all()


def test_lambda_weights_only_the_unlabelled_term():
    logits = torch.tensor([1.0, -1.0])
    mask = torch.tensor([True, False])
    l0 = weighted_bce_with_logits(logits, mask, 0.0)
    l2 = weighted_bce_with_logits(logits, mask, 2.0)
    unlabelled = torch.nn.functional.softplus(torch.tensor(-1.0))
    assert float(l2 - l0) == pytest.approx(2 * float(unlabelled), rel=1e-6)
