r"""The batch transformer: self-attention among the items of each batch, the
TJLS bottleneck (:class:`~gcnal.learner.JointHead`) and the encoder of the
batch-transformer sampler."""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor, nn

from ..validation import check_hyper_parameters
from .init import reset_uniform_
from .seeded_dropout import dropout


class BatchSelfAttention(nn.Module):
    r"""Multi-head scaled dot-product self-attention among the tokens of each
    batch (Vaswani et al., https://arxiv.org/abs/1706.03762),

    .. math::
        \operatorname{head}_m = \operatorname{softmax}\Big(
        \frac{(\mathbf{T}\mathbf{W}_Q^{(m)})(\mathbf{T}\mathbf{W}_K^{(m)})^\top}
        {\sqrt{d_k}}\Big)\mathbf{T}\mathbf{W}_V^{(m)}, \qquad
        \operatorname{MHA}(\mathbf{T}) = [\operatorname{head}_1 \Vert \dots \Vert
        \operatorname{head}_M]\,\mathbf{W}_O,

    written out (rather than :class:`torch.nn.MultiheadAttention`) so that
    padded keys are masked and attention dropout is drawn from a generator.

    Args:
        channels (int): Token size :math:`h`.
        heads (int): Number of heads :math:`M`; each has
            :math:`d_k = \lceil h / M \rceil` channels.
        dropout (float): Dropout on the attention weights while training.
            (default: :obj:`0.0`)

    Shapes:
        - **input:** tokens :math:`(m, S, h)`, key mask :math:`(m, S)`
          (``True`` for real tokens)
        - **output:** :math:`(m, S, h)`
    """

    def __init__(self, channels: int, heads: int, dropout: float = 0.0):
        super().__init__()
        self.channels = channels
        self.heads = heads
        self.dropout = dropout
        self.head_channels = -(-channels // heads)
        self.qkv = nn.Linear(channels, 3 * heads * self.head_channels)
        self.out = nn.Linear(heads * self.head_channels, channels)

    def forward(self, tokens: Tensor, key_mask: Tensor,
                generator: Optional[torch.Generator] = None) -> Tensor:
        m, s, _ = tokens.shape
        q, k, v = self.qkv(tokens).view(m, s, 3, self.heads, self.head_channels).unbind(2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # (m, M, S, d_k)
        logits = q @ k.transpose(-1, -2) / math.sqrt(self.head_channels)
        logits = logits.masked_fill(~key_mask[:, None, None, :], float("-inf"))
        weights = dropout(torch.softmax(logits, dim=-1), self.dropout, self.training, generator)
        out = (weights @ v).transpose(1, 2).reshape(m, s, self.heads * self.head_channels)
        return self.out(out)


class BatchTransformerLayer(nn.Module):
    r"""One post-norm encoder layer over the tokens of each batch (TJLS Eqs.
    1-2, Vaswani et al.), with the paper's sigmoid in the feed-forward block:

    .. math::
        \mathbf{T}_{att} = \operatorname{LN}\big(\mathbf{T} +
        \operatorname{MHA}(\mathbf{T})\big), \qquad
        \mathbf{T}' = \operatorname{LN}\big(\mathbf{T}_{att} +
        \sigma(\mathbf{T}_{att}\mathbf{W}_{h_1})\mathbf{W}_{h_2}\big).

    Args:
        channels (int): Token size :math:`h` (also of the feed-forward block).
        heads (int): Attention heads (:class:`BatchSelfAttention`).
        dropout (float): Dropout on the attention weights and on both
            residual branches while training, drawn from the ``generator``
            given to :meth:`forward`. (default: :obj:`0.0`)

    Shapes:
        - **input:** tokens :math:`(m, S, h)`, key mask :math:`(m, S)`
          (``True`` for real tokens)
        - **output:** :math:`(m, S, h)`
    """

    def __init__(self, channels: int, heads: int, dropout: float = 0.0):
        super().__init__()
        self.channels = channels
        self.heads = heads
        self.dropout = dropout
        self.attention = BatchSelfAttention(channels, heads, dropout)
        self.norm1 = nn.LayerNorm(channels)
        self.ffn1 = nn.Linear(channels, channels)
        self.ffn2 = nn.Linear(channels, channels)
        self.norm2 = nn.LayerNorm(channels)

    def forward(self, tokens: Tensor, key_mask: Tensor,
                generator: Optional[torch.Generator] = None) -> Tensor:
        a = self.attention(tokens, key_mask, generator)
        tokens = self.norm1(tokens + dropout(a, self.dropout, self.training, generator))
        f = self.ffn2(torch.sigmoid(self.ffn1(tokens)))
        return self.norm2(tokens + dropout(f, self.dropout, self.training, generator))


class BatchTransformer(nn.Module):
    r"""The TJLS batch transformer: items of a batch are the tokens, so each
    item's output depends on the other items of its batch. A linear input
    projection :math:`\mathbf{T}_0 = \mathbf{X}\mathbf{W}_{in}` followed by
    ``depth`` :class:`BatchTransformerLayer` s.

    It is the bottleneck of :class:`~gcnal.learner.JointHead` (TJLS, one batch
    of learner features at a time) and the encoder of
    :class:`~gcnal.samplers.BatchTransformerSampler` (random batches of the pool).

    Args:
        in_channels (int): Feature size :math:`d` of each item.
        hidden_channels (int): Token size :math:`h` (TJLS: 128).
            (default: :obj:`128`)
        heads (int): Attention heads. (default: :obj:`2`)
        depth (int): Encoder layers (TJLS: 1). (default: :obj:`1`)
        dropout (float): Dropout while training (see
            :class:`BatchTransformerLayer`). (default: :obj:`0.0`)

    Shapes:
        - **input:** one batch :math:`(B, d)`, or :math:`(m, S, d)` batches
          with a key mask :math:`(m, S)`
        - **output:** :math:`(B, h)`, or :math:`(m, S, h)`
    """

    def __init__(self, in_channels: int, hidden_channels: int = 128, heads: int = 2,
                 depth: int = 1, dropout: float = 0.0):
        super().__init__()
        check_hyper_parameters("BatchTransformer", dropout, in_channels=in_channels,
                               hidden_channels=hidden_channels, heads=heads, depth=depth)
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.heads = heads
        self.depth = depth
        self.dropout = dropout
        self.lin_in = nn.Linear(in_channels, hidden_channels)
        self.layers = nn.ModuleList(BatchTransformerLayer(hidden_channels, heads, dropout)
                                    for _ in range(depth))
        self.reset_parameters()

    @property
    def out_channels(self) -> int:
        """Output size :math:`h` (what :class:`~gcnal.learner.JointHead` reads)."""
        return self.hidden_channels

    def reset_parameters(self, generator: Optional[torch.Generator] = None) -> None:
        reset_uniform_(self, generator)

    def forward(self, x: Tensor, key_mask: Optional[Tensor] = None,
                generator: Optional[torch.Generator] = None) -> Tensor:
        one_batch = x.dim() == 2
        tokens = self.lin_in(x[None] if one_batch else x)
        if key_mask is None:
            key_mask = torch.ones(tokens.shape[:2], dtype=torch.bool, device=x.device)
        for layer in self.layers:
            tokens = layer(tokens, key_mask, generator)
        return tokens[0] if one_batch else tokens

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, "
                f"hidden_channels={self.hidden_channels}, heads={self.heads}, "
                f"depth={self.depth}, dropout={self.dropout})")
