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


def test_kl_and_vae_loss_equal_the_formula_on_hand_made_numbers():
    from gcnal.losses import kl_to_standard_normal, vae_loss

    mu = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    logvar = torch.tensor([[0.0, math.log(2.0)], [0.0, 0.0]])
    # item 0: -1/2 (1 + 0 - 1 - 1) - 1/2 (1 + ln 2 - 0 - 2); item 1: 0 + 2
    kl0 = 0.5 + -0.5 * (math.log(2.0) - 1.0)
    assert kl_to_standard_normal(mu, logvar).tolist() == pytest.approx([kl0, 2.0])
    x = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    recon = torch.tensor([[1.0, 1.0, 1.0], [0.5, 0.0, 0.0]])
    # squared errors per item: 0 + 1 + 4 = 5 and 0.25
    expected = ((5.0 + 0.5 * kl0) + (0.25 + 0.5 * 2.0)) / 2
    assert float(vae_loss(x, recon, mu, logvar, beta=0.5)) == pytest.approx(expected, rel=1e-6)


def test_vae_loss_sums_over_the_entries_of_images():
    from gcnal.losses import vae_loss

    x = torch.ones(2, 1, 2, 2)
    zeros = torch.zeros(2, 3)
    assert float(vae_loss(x, torch.zeros_like(x), zeros, zeros)) == pytest.approx(4.0)


def test_vaal_adversarial_and_discriminator_losses():
    from gcnal.losses import vaal_adversarial_loss

    zl, zu = torch.tensor([0.0, 2.0]), torch.tensor([-1.0])
    s = torch.sigmoid(torch.tensor([0.0, 2.0, -1.0])).tolist()
    # the VAE wants D = 1 on both pools
    adv = -(math.log(s[0]) + math.log(s[1])) / 2 - math.log(s[2])
    assert float(vaal_adversarial_loss(zl, zu)) == pytest.approx(adv, rel=1e-6)
    # the discriminator wants labelled = 1, unlabelled = 0 (Eq. 6)
    disc = -(math.log(s[0]) + math.log(s[1])) / 2 - math.log(1 - s[2])
    mask = torch.tensor([True, True, False])
    assert float(weighted_bce_with_logits(torch.cat([zl, zu]), mask, 1.0)) == pytest.approx(
        disc, rel=1e-6)
