import numpy as np
import pytest
import torch
from torch import nn

import gcnal
from gcnal import InvalidParameterError
from gcnal.learner import BatchTransformer, JointHead, LossPredictionModule, collect_signals


class Learner(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4, 8)

    def levels(self, x):
        maps = torch.relu(self.conv(x))
        return [maps, torch.relu(self.fc(maps.mean(dim=(2, 3))))]


def test_signals_feed_select():
    torch.manual_seed(0)
    model, x = Learner().train(), torch.randn(20, 1, 5, 5)
    loss_module = LossPredictionModule([4, 8])
    head = JointHead(8, 3, bottleneck=BatchTransformer(8, 4))
    out = collect_signals(model.levels, x, loss_module=loss_module, joint_head=head,
                          batch_size=8)
    assert set(out) == {"predicted_loss", "labelled_scores"}
    assert out["predicted_loss"].shape == (20,) and out["labelled_scores"].shape == (20,)
    assert model.training and loss_module.training  # modes restored
    feats = model.levels(x)[1].detach().numpy()
    mask = np.zeros(20, dtype=bool)
    mask[:5] = True
    picks = gcnal.select(feats, mask, 3, method="learning_loss",
                         predicted_loss=out["predicted_loss"].numpy())
    unlabelled = out["predicted_loss"][5:]
    assert picks.tolist() == (5 + unlabelled.argsort(descending=True)[:3]).tolist()
    assert len(gcnal.select(feats, mask, 3, method="tjls",
                            labelled_scores=out["labelled_scores"].numpy())) == 3


def test_one_head_gives_one_signal():
    out = collect_signals(lambda x: x, torch.randn(6, 8), joint_head=JointHead(8, 2))
    assert list(out) == ["labelled_scores"]


def test_bad_inputs_name_the_parameter():
    with pytest.raises(InvalidParameterError, match="'loss_module'"):
        collect_signals(lambda x: x, torch.randn(6, 8))
    with pytest.raises(InvalidParameterError, match="'joint_head'"):
        collect_signals(lambda x: x, torch.randn(6, 8), joint_head=nn.Linear(8, 1))
    with pytest.raises(InvalidParameterError, match="'batch_size'"):
        collect_signals(lambda x: x, torch.randn(6, 8), joint_head=JointHead(8, 2), batch_size=0)
