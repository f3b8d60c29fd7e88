r"""The networks of VAAL and TA-VAAL: a VAE (any encoder / decoder pair) and
a discriminator on its latent space.

Two encoder / decoder pairs are provided. :class:`MLPEncoder` and
:class:`MLPDecoder` are gcnal's adaptation to the :math:`(N, d)` feature
vectors that :func:`gcnal.select` receives. :class:`ConvEncoder` and
:class:`ConvDecoder` work on raw :math:`(C, H, W)` images, the setting of
the papers (a smaller version of VAAL's, see their docstrings).
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from ..errors import InvalidParameterError
from ..nn import reset_uniform_


def mlp(in_channels: int, hidden_channels: int, out_channels: int) -> nn.Sequential:
    r"""The three-layer perceptron of VAAL's networks,
    :math:`\text{in} \to \text{hidden} \to \text{hidden} \to \text{out}`,
    ReLU between layers."""
    return nn.Sequential(nn.Linear(in_channels, hidden_channels), nn.ReLU(),
                         nn.Linear(hidden_channels, hidden_channels), nn.ReLU(),
                         nn.Linear(hidden_channels, out_channels))


class MLPEncoder(nn.Module):
    r"""gcnal's VAE encoder for feature vectors (the papers encode images,
    see :class:`ConvEncoder`): two ReLU layers, then the Gaussian posterior's
    mean and log-variance,

    .. math::
        [\boldsymbol{\mu} \,\Vert\, \boldsymbol{\ell}] = \mathbf{W}_3
        \operatorname{ReLU}(\mathbf{W}_2 \operatorname{ReLU}(\mathbf{W}_1
        \mathbf{x} + \mathbf{b}_1) + \mathbf{b}_2) + \mathbf{b}_3.

    Args:
        in_channels (int): Feature size :math:`d`.
        z_dim (int): Latent size :math:`z`. (default: :obj:`32`)
        hidden_channels (int): Width of the hidden layers. (default: :obj:`256`)

    Shapes:
        - **input:** :math:`(B, d)`
        - **output:** :math:`(B, 2z)`, the means then the log-variances
    """

    def __init__(self, in_channels: int, z_dim: int = 32, hidden_channels: int = 256):
        super().__init__()
        self.in_channels = in_channels
        self.z_dim = z_dim
        self.hidden_channels = hidden_channels
        self.net = mlp(in_channels, hidden_channels, 2 * z_dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class MLPDecoder(nn.Module):
    r"""gcnal's VAE decoder for feature vectors, the mirror of
    :class:`MLPEncoder`: latent (with TA-VAAL's ranking appended)
    :math:`\to` hidden :math:`\to` hidden :math:`\to d`, ReLU between.

    Args:
        in_channels (int): Decoder input size, :math:`z` (VAAL) or
            :math:`z + 1` (TA-VAAL).
        out_channels (int): Feature size :math:`d`.
        hidden_channels (int): Width of the hidden layers. (default: :obj:`256`)

    Shapes:
        - **input:** :math:`(B, z)` or :math:`(B, z + 1)`
        - **output:** :math:`(B, d)`
    """

    def __init__(self, in_channels: int, out_channels: int, hidden_channels: int = 256):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.hidden_channels = hidden_channels
        self.net = mlp(in_channels, hidden_channels, out_channels)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


def conv_sizes(image_shape: Sequence[int], depth: int,
               owner: str = "ConvEncoder") -> List[Tuple[int, int]]:
    r"""Spatial sizes :math:`(H_k, W_k)`, :math:`k = 0..\text{depth}`, of an
    image through ``depth`` convolutions of kernel 4, stride 2, padding 1:
    :math:`H_{k+1} = \lfloor H_k / 2 \rfloor` (28 :math:`\to` 14, 7, 3;
    32 :math:`\to` 16, 8, 4)."""
    if len(image_shape) != 3 or not all(isinstance(s, int) and s >= 1 for s in image_shape):
        raise InvalidParameterError("image_shape", "(C, H, W), three positive ints",
                                    repr(tuple(image_shape)), owner)
    size = min(image_shape[1:])
    if size < 2 ** depth:
        raise InvalidParameterError("image_shape", f"H and W of at least {2 ** depth} for "
                                    f"{depth} stride-2 convolutions", repr(tuple(image_shape)),
                                    owner)
    sizes = [(image_shape[1], image_shape[2])]
    for _ in range(depth):
        sizes.append((sizes[-1][0] // 2, sizes[-1][1] // 2))
    return sizes


class ConvEncoder(nn.Module):
    r"""A VAE encoder for raw images, after VAAL's (Sinha et al., ICCV 2019,
    https://arxiv.org/abs/1904.00370): convolutions of kernel 4, stride 2,
    padding 1, each followed by batch norm and ReLU, then a linear layer to
    :math:`[\boldsymbol{\mu} \,\Vert\, \boldsymbol{\ell}]`. VAAL's code uses
    four such layers of 128 to 1024 channels on 32 x 32 images; this one is
    smaller (32, 64, 128 channels by default) to train on a CPU, and accepts
    any :math:`H, W \ge 2^{\text{depth}}` (e.g. 1 x 28 x 28 and 3 x 32 x 32).

    Args:
        image_shape (tuple): :math:`(C, H, W)`.
        z_dim (int): Latent size :math:`z`. (default: :obj:`32`)
        channels (tuple): Output channels of each convolution.
            (default: :obj:`(32, 64, 128)`)

    Shapes:
        - **input:** :math:`(B, C, H, W)`
        - **output:** :math:`(B, 2z)`
    """

    def __init__(self, image_shape: Sequence[int], z_dim: int = 32,
                 channels: Sequence[int] = (32, 64, 128)):
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.z_dim = z_dim
        self.channels = tuple(channels)
        height, width = conv_sizes(self.image_shape, len(self.channels))[-1]
        layers: List[nn.Module] = []
        previous = self.image_shape[0]
        for out in self.channels:
            layers += [nn.Conv2d(previous, out, 4, 2, 1, bias=False), nn.BatchNorm2d(out),
                       nn.ReLU()]
            previous = out
        self.convs = nn.Sequential(*layers)
        self.head = nn.Linear(previous * height * width, 2 * z_dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.convs(x).flatten(1))


class ConvDecoder(nn.Module):
    r"""The mirror of :class:`ConvEncoder`, after VAAL's decoder: a linear
    layer to the encoder's last feature map, then transposed convolutions of
    kernel 4, stride 2, padding 1 (batch norm and ReLU between) back to
    :math:`(C, H, W)`, each sized to the encoder's map at that depth so odd
    sizes round-trip (7 :math:`\to` 14 :math:`\to` 28, 3 :math:`\to` 7).
    The output has no activation (images are compared by squared error).

    Args:
        in_channels (int): Decoder input size, :math:`z` (VAAL) or
            :math:`z + 1` (TA-VAAL).
        image_shape (tuple): :math:`(C, H, W)`.
        channels (tuple): The encoder's channels, in the encoder's order.
            (default: :obj:`(32, 64, 128)`)

    Shapes:
        - **input:** :math:`(B, z)` or :math:`(B, z + 1)`
        - **output:** :math:`(B, C, H, W)`
    """

    def __init__(self, in_channels: int, image_shape: Sequence[int],
                 channels: Sequence[int] = (32, 64, 128)):
        super().__init__()
        self.in_channels = in_channels
        self.image_shape = tuple(image_shape)
        self.channels = tuple(channels)
        self.sizes = conv_sizes(self.image_shape, len(self.channels), "ConvDecoder")
        height, width = self.sizes[-1]
        self.head = nn.Linear(in_channels, self.channels[-1] * height * width)
        targets = (self.image_shape[0],) + self.channels[:-1]
        self.deconvs = nn.ModuleList(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1)
                                     for c_in, c_out in zip(self.channels[::-1], targets[::-1]))
        self.norms = nn.ModuleList(nn.BatchNorm2d(c) for c in targets[::-1][:-1])

    def forward(self, z: Tensor) -> Tensor:
        height, width = self.sizes[-1]
        h = self.head(z).view(z.size(0), self.channels[-1], height, width)
        for depth, deconv in enumerate(self.deconvs):
            h = deconv(h, output_size=list(self.sizes[-2 - depth]))
            if depth < len(self.norms):
                h = torch.relu(self.norms[depth](h))
        return h


class Discriminator(nn.Module):
    r"""VAAL's discriminator: an MLP that tells latents of labelled items (1)
    from unlabelled ones (0),

    .. math::
        D(\mathbf{u}) = \sigma\big(\mathbf{w}_3^\top \operatorname{ReLU}(
        \mathbf{W}_2 \operatorname{ReLU}(\mathbf{W}_1 \mathbf{u} +
        \mathbf{b}_1) + \mathbf{b}_2) + b_3\big),

    with :math:`\mathbf{u} = \boldsymbol{\mu}` (VAAL) or
    :math:`[\boldsymbol{\mu} \,\Vert\, r]` (TA-VAAL). :meth:`forward`
    returns the logits.

    Args:
        in_channels (int): :math:`z` or :math:`z + 1`.
        hidden_channels (int): Width of both hidden layers. (default: :obj:`512`)

    Shapes:
        - **input:** :math:`(B, \text{in\_channels})`
        - **output:** logits :math:`(B,)`
    """

    def __init__(self, in_channels: int, hidden_channels: int = 512):
        super().__init__()
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.net = mlp(in_channels, hidden_channels, 1)

    def forward(self, u: Tensor) -> Tensor:
        return self.net(u).squeeze(-1)


class VAAL(nn.Module):
    r"""VAAL's VAE and discriminator (Sinha et al., ICCV 2019), optionally
    conditioned on TA-VAAL's normalised loss ranking :math:`r` (Kim et al.,
    CVPR 2021, https://arxiv.org/abs/2002.04709), which is appended to the
    decoder's and the discriminator's inputs:

    .. math::
        [\boldsymbol{\mu} \,\Vert\, \boldsymbol{\ell}] = E(\mathbf{x}), \quad
        \mathbf{z} = \boldsymbol{\mu} + e^{\boldsymbol{\ell}/2} \odot
        \boldsymbol{\epsilon}, \quad \hat{\mathbf{x}} = G([\mathbf{z}
        \,\Vert\, r]), \quad P(\text{labelled}) = D([\boldsymbol{\mu}
        \,\Vert\, r]).

    The discriminator sees the mean :math:`\boldsymbol{\mu}`, as in both
    papers' code.

    Args:
        encoder (nn.Module): :math:`(B, *) \to (B, 2z)`, e.g.
            :class:`MLPEncoder` or :class:`ConvEncoder`.
        decoder (nn.Module): :math:`(B, z + c) \to (B, *)`, e.g.
            :class:`MLPDecoder` or :class:`ConvDecoder`.
        discriminator (nn.Module): :math:`(B, z + c) \to` logits
            :math:`(B,)`, e.g. :class:`Discriminator`.

    :math:`c` is 1 when a ranking is passed (TA-VAAL), else 0.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, discriminator: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.discriminator = discriminator

    def reset_parameters(self, generator: Optional[torch.Generator] = None) -> None:
        reset_uniform_(self, generator)

    def encode(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        r"""The posterior's mean and log-variance, each :math:`(B, z)`."""
        out = self.encoder(x)
        if out.dim() != 2 or out.size(1) % 2:
            raise InvalidParameterError("encoder", "a module whose output is (B, 2 z_dim): "
                                        "the means then the log-variances",
                                        f"output of shape {tuple(out.shape)}", "VAAL")
        mu, logvar = out.chunk(2, dim=1)
        return mu, logvar

    def reconstruct(self, x: Tensor, ranking: Optional[Tensor] = None,
                    generator: Optional[torch.Generator] = None
                    ) -> Tuple[Tensor, Tensor, Tensor]:
        r""":math:`(\hat{\mathbf{x}}, \boldsymbol{\mu}, \boldsymbol{\ell})`,
        the reparameterisation noise :math:`\boldsymbol{\epsilon}` drawn from
        ``generator``."""
        mu, logvar = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + (0.5 * logvar).exp() * eps
        return self.decoder(_condition(z, ranking)), mu, logvar

    def discriminate(self, mu: Tensor, ranking: Optional[Tensor] = None) -> Tensor:
        r"""Discriminator logits :math:`(B,)` of latents ``mu``."""
        return self.discriminator(_condition(mu, ranking))

    def forward(self, x: Tensor, ranking: Optional[Tensor] = None) -> Tensor:
        r"""Logits of :math:`P(\text{labelled})` for items ``x``, :math:`(B,)`."""
        return self.discriminate(self.encode(x)[0], ranking)


def _condition(z: Tensor, ranking: Optional[Tensor]) -> Tensor:
    """``z`` with the ranking appended as one more column (TA-VAAL)."""
    return z if ranking is None else torch.cat([z, ranking.to(z.dtype).unsqueeze(-1)], dim=1)
