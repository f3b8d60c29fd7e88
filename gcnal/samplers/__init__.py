r"""Samplers: ``nn.Module``\ s with ``forward(x, adj) -> logits (N,)`` and
``embed(x, adj) -> (N, h)``, trained to tell labelled from unlabelled items."""
from ..nn import BatchSelfAttention, dropout
from .batch_transformer import BatchTransformerSampler, random_batches
from .gat import GATSampler, pool_edge_index
from .gcn import GCNSampler
from .pool_conv import PoolConv
from .training import score_sampler, supports_mini_batches, train_sampler

__all__ = [
    "BatchSelfAttention",
    "BatchTransformerSampler",
    "GATSampler",
    "GCNSampler",
    "PoolConv",
    "dropout",
    "pool_edge_index",
    "random_batches",
    "score_sampler",
    "supports_mini_batches",
    "train_sampler",
]
