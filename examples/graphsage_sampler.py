"""A GraphSAGE sampler plugged into gcnal (docs/plugins.md): any ``nn.Module`` with
``forward(x, adj) -> logits (N,)`` and ``embed(x, adj) -> (N, h)`` is a sampler."""
import numpy as np
import torch
from torch_geometric.nn import SAGEConv

import gcnal
from gcnal.samplers import dropout, pool_edge_index


class SAGESampler(torch.nn.Module):
    def __init__(self, in_channels: int, hidden_channels: int = 128, dropout: float = 0.3):
        super().__init__()
        self.dropout, self.conv2 = dropout, SAGEConv(hidden_channels, 1)
        self.conv1 = SAGEConv(in_channels, hidden_channels)

    def reset_parameters(self, generator=None):  # gcnal passes its seeded generator
        for p in self.parameters():
            torch.nn.init.uniform_(p, -0.1, 0.1, generator=generator)

    def embed(self, x, adj):  # the pool graph's edges: its own (kNN) or the top-k (dense)
        return self.conv1(x, pool_edge_index(adj, k=10)).relu()

    def forward(self, x, adj, generator=None):
        h = dropout(self.embed(x, adj), self.dropout, self.training, generator)
        return self.conv2(h, pool_edge_index(adj, k=10)).squeeze(-1)


gcnal.register_sampler("sage", SAGESampler)
gcnal.register_method("uncertain_sage", sampler="sage", selector="closest_to_margin")

rng = np.random.default_rng(0)
features = np.abs(rng.normal(size=(300, 16)) + np.repeat(rng.normal(size=(3, 16)) * 3, 100, 0))
labelled = np.zeros(300, dtype=bool)
labelled[rng.choice(100, 20, replace=False)] = True  # all from the first cluster
# by name through the preset, or the class with any selector
print(gcnal.select(features, labelled, 10, method="uncertain_sage", seed=0))
print(gcnal.select(features, labelled, 10, sampler=SAGESampler, selector="k_center", seed=0))
