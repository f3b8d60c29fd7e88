"""A sampler whose tokens are pool items: self-attention across random batches (TJLS)."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..nn import BatchTransformer, dropout, reset_uniform_
from ..validation import check_hyper_parameters


def random_batches(num_items: int, batch_size: int, generator: Optional[torch.Generator],
                   device: Optional[torch.device] = None) -> Tensor:
    r"""A random partition of :math:`N` items into
    :math:`m = \lceil N / B \rceil` batches whose sizes differ by at most one.

    Returns:
        :math:`(m, \lceil N / m \rceil)` int64 item indices, padded with
        :math:`N` (an index past the last item) where a batch is one short.
    """
    m = max(1, -(-num_items // batch_size))
    size = -(-num_items // m)
    perm = torch.randperm(num_items, generator=generator, device=device)
    padded = torch.full((m * size,), num_items, dtype=torch.long, device=device)
    padded[:num_items] = perm
    return padded.view(size, m).T


class BatchTransformerSampler(nn.Module):
    r"""The batch-transformer sampler of "Visual Transformer for Task-aware
    Active Learning" (TJLS, Caramalau et al., https://arxiv.org/abs/2106.03801):
    every pool item is a token, and a transformer encoder lets the items of a
    random batch, labelled and unlabelled mixed, attend to one another before
    a discriminator tells labelled (1) from unlabelled (0). With
    :math:`\mathbf{T}_0 = \mathbf{X}_B\mathbf{W}_{in}` the tokens of batch
    :math:`B`, each of the ``depth`` encoder layers computes (TJLS Eqs. 1-2,
    post-norm as in Vaswani et al.)

    .. math::
        \mathbf{T}_{att} = \operatorname{LN}\big(\mathbf{T} +
        \operatorname{MHA}(\mathbf{T})\big), \qquad
        \mathbf{T}' = \operatorname{LN}\big(\mathbf{T}_{att} +
        \sigma(\mathbf{T}_{att}\mathbf{W}_{h_1})\mathbf{W}_{h_2}\big),

    with the paper's sigmoid :math:`\sigma` in the feed-forward block; then
    :math:`z = \mathbf{w}_2^\top \operatorname{ReLU}(\mathbf{W}_1 \mathbf{t}'
    + \mathbf{b}_1) + b_2` and score :math:`\sigma(z)`.

    The whole pool is scored at once: the items are split into random
    batches of about ``batch_size`` (:func:`random_batches`), a new split per
    call while training (one per epoch of
    :func:`~gcnal.samplers.train_sampler`), drawn from the ``generator``
    passed to :meth:`forward`. At inference the output of ``draws`` splits
    is averaged, probabilities for :meth:`forward` (it returns the logit of
    the mean probability, :math:`\operatorname{logit}(\frac1R\sum_r
    \sigma(z^{(r)}))`) and tokens for :meth:`embed`, so an item's score does
    not hinge on the company it happened to get. Inference splits come from
    a seed drawn in :meth:`reset_parameters`, so scores are deterministic per
    generator and :meth:`forward` and :meth:`embed` see the same splits.
    The adjacency is ignored: the attention is the graph.

    Args:
        in_channels (int): Feature size :math:`d` of each pool item.
        hidden_channels (int): Token size :math:`h`, also of the feed-forward
            block and the discriminator (TJLS uses 128). (default: :obj:`128`)
        dropout (float): Dropout probability on the attention weights and
            on the residual branches while training. (default: :obj:`0.3`)
        heads (int): Attention heads. (default: :obj:`4`)
        depth (int): Encoder layers (TJLS: 1). (default: :obj:`1`)
        batch_size (int): Tokens per batch, :math:`B` (TJLS: 128).
            (default: :obj:`128`)
        draws (int): Random splits averaged at inference, :math:`R`.
            (default: :obj:`8`)

    Shapes:
        - **input:** node features :math:`(N, d)`, any adjacency (unused)
        - **output:** logits :math:`(N,)`; :meth:`embed`: :math:`(N, h)`
    """

    def __init__(self, in_channels: int, hidden_channels: int = 128, dropout: float = 0.3,
                 heads: int = 4, depth: int = 1, batch_size: int = 128, draws: int = 8):
        super().__init__()
        check_hyper_parameters("BatchTransformerSampler", dropout, in_channels=in_channels,
                               hidden_channels=hidden_channels, heads=heads, depth=depth,
                               batch_size=batch_size, draws=draws)
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.dropout = dropout
        self.heads = heads
        self.depth = depth
        self.batch_size = batch_size
        self.draws = draws
        self.encoder = BatchTransformer(in_channels, hidden_channels, heads, depth, dropout)
        self.head1 = nn.Linear(hidden_channels, hidden_channels)
        self.head2 = nn.Linear(hidden_channels, 1)
        self.inference_seed = 0
        self._own_generator: Optional[torch.Generator] = None
        self.reset_parameters()

    def reset_parameters(self, generator: Optional[torch.Generator] = None) -> None:
        r"""Linear layers uniform in :math:`\pm 1/\sqrt{F_{in}}` (PyTorch's
        default bound), LayerNorms to the identity, all drawn from
        ``generator``, which also seeds the inference splits."""
        reset_uniform_(self, generator)
        self.inference_seed = int(torch.randint(2**62, (1,), generator=generator))
        self._own_generator = None

    def _generator(self, device: torch.device,
                   generator: Optional[torch.Generator]) -> torch.Generator:
        r"""``generator``, or without one a private generator seeded from
        :attr:`inference_seed` (never the global RNG)."""
        if generator is not None:
            return generator
        if self._own_generator is None or self._own_generator.device != device:
            self._own_generator = torch.Generator(device=device)
            self._own_generator.manual_seed(self.inference_seed + 1)
        return self._own_generator

    def _encode(self, x: Tensor, batches: Tensor,
                generator: Optional[torch.Generator]) -> Tensor:
        r"""Transformer tokens :math:`(N, h)` for one split of the pool."""
        n = x.size(0)
        key_mask = batches < n
        # padding rows (index n) are zeros; as masked keys they reach no real token
        padded = torch.cat([x, x.new_zeros(1, x.size(1))])[batches]
        tokens = self.encoder(padded, key_mask, generator)
        out = x.new_empty(n, self.hidden_channels)
        out[batches[key_mask]] = tokens[key_mask]
        return out

    def _discriminate(self, tokens: Tensor, generator: Optional[torch.Generator]) -> Tensor:
        h = dropout(F.relu(self.head1(tokens)), self.dropout, self.training, generator)
        return self.head2(h).squeeze(-1)

    def _splits(self, x: Tensor, generator: torch.Generator) -> Tuple[Tensor, ...]:
        if self.training:
            return (random_batches(x.size(0), self.batch_size, generator, x.device),)
        g = torch.Generator(device=x.device).manual_seed(self.inference_seed)
        return tuple(random_batches(x.size(0), self.batch_size, g, x.device)
                     for _ in range(self.draws))

    def embed(self, x: Tensor, adj: Any = None,
              generator: Optional[torch.Generator] = None) -> Tensor:
        generator = self._generator(x.device, generator)
        splits = self._splits(x, generator)
        return torch.stack([self._encode(x, b, generator) for b in splits]).mean(dim=0)

    def forward(self, x: Tensor, adj: Any = None,
                generator: Optional[torch.Generator] = None) -> Tensor:
        generator = self._generator(x.device, generator)
        splits = self._splits(x, generator)
        z = torch.stack([self._discriminate(self._encode(x, b, generator), generator)
                         for b in splits])
        if z.size(0) == 1:
            return z[0]
        # logit of the mean probability, stably: log(mean p) - log(mean (1 - p))
        return (torch.logsumexp(F.logsigmoid(z), dim=0)
                - torch.logsumexp(F.logsigmoid(-z), dim=0))

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, "
                f"hidden_channels={self.hidden_channels}, heads={self.heads}, "
                f"depth={self.depth}, batch_size={self.batch_size}, draws={self.draws}, "
                f"dropout={self.dropout})")
