"""Task-aware signals from your own model: a loss-prediction module, a TJLS
joint head and MC dropout on one small learner, each passed to gcnal.select.

Run: python examples/task_aware_learner.py   (a few seconds on a CPU)
"""
import torch
import torch.nn.functional as F
from torch import nn

import gcnal
from gcnal.learner import (BatchTransformer, JointHead, LossPredictionModule, MCDropout,
                           collect_signals, joint_loss, loss_prediction_loss, mc_dropout_probs)


class Learner(nn.Module):
    """Any model that exposes its features; MCDropout instead of nn.Dropout."""

    def __init__(self, d=10, classes=3):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(d, 32), nn.ReLU(), MCDropout(0.3))
        self.fc = nn.Linear(32, classes)

    def forward_features(self, x):
        feat = self.body(x)
        return self.fc(feat), feat


torch.manual_seed(0)
x = torch.randn(300, 10)                                     # the pool
y = (x[:, 0] > 0).long() + (x[:, 1] > 1).long()              # its (hidden) labels
labelled = torch.zeros(300, dtype=torch.bool)
labelled[:40] = True

model, loss_module = Learner(), LossPredictionModule([32])
head = JointHead(32, 3, bottleneck=BatchTransformer(32))     # bottleneck=None: JLS
parts = [*model.parameters(), *loss_module.parameters(), *head.parameters()]
opt = torch.optim.Adam(parts, lr=1e-2)
for epoch in range(12):
    for batch in torch.randperm(300).split(100):
        logits, feat = model.forward_features(x[batch])
        lab = labelled[batch]
        task = F.cross_entropy(logits[lab], y[batch][lab], reduction="none")
        pred = loss_module(feat[lab], detach=epoch > 7)      # the paper: epoch 120 of 200
        class_logits, u = head(feat)
        loss = (task.mean() + loss_prediction_loss(pred, task)
                + joint_loss(class_logits, u, y[batch], lab))
        opt.zero_grad()
        loss.backward()
        opt.step()

signals = collect_signals(lambda b: model.forward_features(b)[1], x,
                          loss_module=loss_module, joint_head=head)
feats = model.forward_features(x)[1].detach()
print("learning_loss", gcnal.select(feats, labelled, 5, method="learning_loss",
                                    predicted_loss=signals["predicted_loss"]).tolist())
print("tjls", gcnal.select(feats, labelled, 5, method="tjls",
                           labelled_scores=signals["labelled_scores"]).tolist())
mc = mc_dropout_probs(model, x, samples=10, seed=0, forward=lambda b: model.forward_features(b)[0])
print("bald", gcnal.select(feats, labelled, 5, method="bald", mc_probs=mc, seed=0).tolist())
