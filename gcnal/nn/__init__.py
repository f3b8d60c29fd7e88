r"""Layers and kernels shared by the samplers, the learner hooks and VAAL:
generator-driven initialisation and dropout, the fused hidden layer of the
GCN sampler and its buffers, the batch transformer, and the memory layout of
matrices read by repeated products. Depends only on torch,
:mod:`gcnal.errors` and :mod:`gcnal.validation`."""
from .batch_transformer import BatchSelfAttention, BatchTransformer, BatchTransformerLayer
from .fused_linear import relu_dropout_linear
from .init import reset_uniform_
from .layout import BLOCK_ELEMENTS, column_major, rows_per_block
from .seeded_dropout import dropout, keep_mask
from .threads import one_thread, torch_threads
from .workspace import Workspace

__all__ = [
    "BLOCK_ELEMENTS",
    "BatchSelfAttention",
    "BatchTransformer",
    "BatchTransformerLayer",
    "Workspace",
    "column_major",
    "dropout",
    "keep_mask",
    "one_thread",
    "torch_threads",
    "relu_dropout_linear",
    "reset_uniform_",
    "rows_per_block",
]
