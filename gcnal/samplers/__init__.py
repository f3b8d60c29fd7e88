r"""Samplers: ``nn.Module``\ s with ``forward(x, adj) -> logits (N,)`` and
``embed(x, adj) -> (N, h)``, trained to tell labelled from unlabelled items."""
from .functional import dropout
from .gcn import GCNSampler
from .pool_conv import PoolConv
from .training import score_sampler, train_sampler

__all__ = ["GCNSampler", "PoolConv", "dropout", "score_sampler", "train_sampler"]
