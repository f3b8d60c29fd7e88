"""The original Sequential GCN sampler's path, re-implemented for timing.

What the authors' code does each cycle (main.py / selection_methods.py of
github.com/razvancaramalau/Sequential-GCN-for-Active-Learning), on the same
CPU torch as gcnal:

1. ``aff_to_adj``: ``adj = x @ x.T - I`` in numpy, then the column
   normalisation as a dense matrix product ``adj @ np.diag(1 / colsum)``
   (an O(N^3) product with a diagonal matrix), then ``+ I``.
2. 200 full-batch Adam steps of the pygcn-style GCN, each computing
   ``adj @ (x @ W1)`` and ``adj @ (h @ W2)`` with the dense N x N adjacency,
   forwards and backwards, with ``log(sigmoid)`` in the loss.
3. UncertainGCN: the unlabelled items with scores closest to ``s_margin``.
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn


def aff_to_adj(x: np.ndarray) -> np.ndarray:
    adj = np.matmul(x, x.transpose())
    adj += -1.0 * np.eye(adj.shape[0])
    adj_diag = np.sum(adj, axis=0)
    adj = np.matmul(adj, np.diag(1 / adj_diag))
    return adj + np.eye(adj.shape[0])


class GraphConvolution(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.empty(out_features))
        stdv = 1.0 / math.sqrt(out_features)
        self.weight.data.uniform_(-stdv, stdv)
        self.bias.data.uniform_(-stdv, stdv)

    def forward(self, x, adj):
        return torch.mm(adj, torch.mm(x, self.weight)) + self.bias


class GCN(nn.Module):
    def __init__(self, nfeat: int, nhid: int, dropout: float):
        super().__init__()
        self.gc1 = GraphConvolution(nfeat, nhid)
        self.gc3 = GraphConvolution(nhid, 1)
        self.dropout = dropout

    def forward(self, x, adj):
        x = torch.relu(self.gc1(x, adj))
        feat = x
        x = nn.functional.dropout(x, self.dropout, training=self.training)
        return torch.sigmoid(self.gc3(x, adj)), feat


def bce_adj_loss(scores, lbl, nlbl, l_adj):
    lnl = torch.log(scores[lbl])
    lnu = torch.log(1 - scores[nlbl])
    return -torch.mean(lnl) - l_adj * torch.mean(lnu)


def uncertain_gcn(features: torch.Tensor, num_unlabelled: int, budget: int,
                  epochs: int = 200, s_margin: float = 0.1, lambda_loss: float = 1.2):
    """Pool layout as in the original code: the subset's unlabelled items
    first, then the labelled ones. Returns (picks, timings)."""
    timings = {}
    start = time.perf_counter()
    x = nn.functional.normalize(features)
    adj = torch.tensor(aff_to_adj(x.numpy()), dtype=torch.float32)
    timings["graph"] = time.perf_counter() - start

    start = time.perf_counter()
    model = GCN(x.size(1), 128, 0.3)
    optim = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=5e-4)
    nlbl = np.arange(0, num_unlabelled)
    lbl = np.arange(num_unlabelled, x.size(0))
    model.train()
    for _ in range(epochs):
        optim.zero_grad()
        outputs, _ = model(x, adj)
        loss = bce_adj_loss(outputs, lbl, nlbl, lambda_loss)
        loss.backward()
        optim.step()
    timings["train"] = time.perf_counter() - start

    start = time.perf_counter()
    model.eval()
    with torch.no_grad():
        scores, _ = model(x, adj)
    distance = np.squeeze(torch.abs(scores[:num_unlabelled] - s_margin).numpy())
    arg = np.argsort(-distance)
    picks = arg[-budget:][::-1]
    timings["select"] = time.perf_counter() - start
    return picks.copy(), timings
