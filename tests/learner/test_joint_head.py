import math

import pytest
import torch

from gcnal import InvalidParameterError
from gcnal.learner import BatchTransformer, JointHead, joint_loss


def _head(bottleneck=None, seed=0):
    head = JointHead(6, 3, bottleneck=bottleneck, discriminator_channels=(8, 8))
    head.reset_parameters(torch.Generator().manual_seed(seed))
    return head.eval()


def test_shapes_of_jls_and_tjls():
    x = torch.randn(5, 6)
    for head in (_head(), _head(BatchTransformer(6, hidden_channels=4))):
        logits, labelled = head(x)
        assert logits.shape == (5, 3) and labelled.shape == (5,)
        assert head.labelled_scores(x).shape == (5,)
        assert ((head.labelled_scores(x) > 0) & (head.labelled_scores(x) < 1)).all()
    assert _head()(torch.randn(5, 6, 3, 3))[0].shape == (5, 3)  # maps are pooled


def test_paper_defaults():
    head = JointHead(512, 10, bottleneck=BatchTransformer(512))
    assert head.bottleneck.out_channels == 128 and head.discriminator_channels == (512, 512)
    widths = [m.out_features for m in head.discriminator if isinstance(m, torch.nn.Linear)]
    assert widths == [512, 512, 1]


def test_tjls_mixes_items_within_a_batch_and_jls_does_not():
    x = torch.randn(5, 6)
    changed = x.clone()
    changed[4] += 3.0
    tjls, jls = _head(BatchTransformer(6, hidden_channels=4)), _head()
    for head, mixes in ((tjls, True), (jls, False)):
        before, after = head(x), head(changed)
        for out_before, out_after in zip(before, after):
            assert torch.allclose(out_before[:4], out_after[:4], atol=1e-6) != mixes


def test_reset_parameters_follows_the_generator():
    a, b = _head(BatchTransformer(6, 4), seed=3), _head(BatchTransformer(6, 4), seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_joint_loss_matches_hand_computation():
    class_logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [5.0, -5.0], [0.0, 0.0]])
    u = torch.tensor([1.0, -2.0, 0.5, -1.0])
    targets = torch.tensor([0, 1, 1, 0])
    labelled = torch.tensor([True, True, False, False])
    log_sig = lambda z: -math.log1p(math.exp(-z))  # noqa: E731
    ce = (-(2.0 - math.log(math.exp(2.0) + 1)) - (1.0 - math.log(1 + math.exp(1.0)))) / 2
    bce_l = -(log_sig(1.0) + log_sig(-2.0)) / 2
    bce_u = -(log_sig(-0.5) + log_sig(1.0)) / 2  # log(1 - sigma(z)) = log sigma(-z)
    expected = ce + 0.5 * bce_l + 0.5 * bce_u
    loss = joint_loss(class_logits, u, targets, labelled)
    assert float(loss) == pytest.approx(expected, rel=1e-6)
    assert float(joint_loss(class_logits, u, targets, labelled, sampler_weight=0.0)) \
        == pytest.approx(ce, rel=1e-6)


def test_joint_loss_on_one_sided_batches_is_finite():
    class_logits, u, targets = torch.randn(4, 3), torch.randn(4), torch.zeros(4, dtype=torch.long)
    for labelled in (torch.ones(4, dtype=torch.bool), torch.zeros(4, dtype=torch.bool)):
        assert torch.isfinite(joint_loss(class_logits, u, targets, labelled))


def test_joint_loss_ignores_targets_of_unlabelled_items():
    class_logits, u = torch.randn(4, 3), torch.randn(4)
    labelled = torch.tensor([True, False, True, False])
    a = joint_loss(class_logits, u, torch.tensor([0, 2, 1, 2]), labelled)
    b = joint_loss(class_logits, u, torch.tensor([0, 0, 1, 1]), labelled)
    assert torch.equal(a, b)


def test_bad_inputs_name_the_parameter():
    with pytest.raises(InvalidParameterError, match="'bottleneck'"):
        JointHead(6, 3, bottleneck=torch.nn.Linear(6, 4))
    with pytest.raises(InvalidParameterError, match="'num_classes'"):
        JointHead(6, 0)
    with pytest.raises(InvalidParameterError, match=r"'discriminator_channels\[0\]'"):
        JointHead(6, 3, discriminator_channels=(-1,))
    with pytest.raises(InvalidParameterError, match="'features'"):
        _head()(torch.randn(5, 7))
    logits, u, y = torch.randn(4, 3), torch.randn(4), torch.zeros(4, dtype=torch.long)
    with pytest.raises(InvalidParameterError, match="'labelled'"):
        joint_loss(logits, u, y, torch.ones(4))
    with pytest.raises(InvalidParameterError, match="'labelled_logits'"):
        joint_loss(logits, u[:3], y, torch.ones(4, dtype=torch.bool))
    with pytest.raises(InvalidParameterError, match="'sampler_weight'"):
        joint_loss(logits, u, y, torch.ones(4, dtype=torch.bool), sampler_weight=-1)
