r"""Adversarial training of VAAL / TA-VAAL, and the discriminator's scores."""
from __future__ import annotations

from typing import Iterator, List, NamedTuple, Optional

import torch
from torch import Tensor, nn

from ..errors import InvalidParameterError
from ..losses import vae_loss, vaal_adversarial_loss, weighted_bce_with_logits
from ..validation import check_positive_int, check_real
from .networks import VAAL, Discriminator, MLPDecoder, MLPEncoder


class TrainedVAAL(NamedTuple):
    """What :func:`train_vaal` returns: the trained networks and, per
    iteration, the last VAE loss and the discriminator loss."""

    model: VAAL
    vae_losses: List[float]
    discriminator_losses: List[float]


def normalize_ranking(predicted_loss: Tensor) -> Tensor:
    r"""TA-VAAL's conditioning variable :math:`r` from a learner's predicted
    losses :math:`\hat l` (Kim et al., CVPR 2021, Sec. 3.1 and Algorithm 2:
    "normalized so that the absolute loss value will not be preserved while
    the relative ranking information will be preserved"; their code applies
    a sigmoid to the ranker's output). gcnal standardises over the given
    items first, so that a predicted loss on any scale keeps its spread,

    .. math::
        r_i = \sigma\Big(\frac{\hat l_i - \operatorname{mean}(\hat l)}
        {\operatorname{std}(\hat l)}\Big) \in (0, 1),

    strictly increasing in :math:`\hat l_i` (ties stay ties); a constant
    :math:`\hat l` gives :math:`r = 1/2` everywhere.

    Shapes:
        - **input:** :math:`(N,)`
        - **output:** :math:`(N,)`
    """
    loss = predicted_loss.float()
    std = loss.std(unbiased=False)
    centred = loss - loss.mean()
    return torch.sigmoid(centred / std) if float(std) > 0 else torch.full_like(loss, 0.5)


def _batches(indices: Tensor, batch_size: int,
             generator: Optional[torch.Generator]) -> Iterator[Tensor]:
    """Endless mini-batches of ``indices``: consecutive slices of a fresh
    random permutation per pass (a short last slice is dropped, like VAAL's
    ``drop_last`` loaders); ``min(batch_size, n)`` items each."""
    n = indices.numel()
    size = min(batch_size, n)
    while True:
        perm = indices[torch.randperm(n, generator=generator, device=indices.device)]
        for start in range(0, n - size + 1, size):
            yield perm[start:start + size]


def _check(items: Tensor, labelled_mask: Tensor, ranking: Optional[Tensor],
           encoder: Optional[nn.Module], decoder: Optional[nn.Module]) -> None:
    n = items.size(0)
    if labelled_mask.shape != (n,) or labelled_mask.dtype != torch.bool:
        raise InvalidParameterError("labelled_mask", f"a bool tensor of shape ({n},)",
                                    f"{labelled_mask.dtype} of shape {tuple(labelled_mask.shape)}",
                                    "train_vaal")
    labelled = int(labelled_mask.sum())
    if labelled == 0 or labelled == n:
        raise InvalidParameterError("labelled_mask", "a mask with at least one labelled and one "
                                    "unlabelled item (the discriminator needs both)",
                                    f"{labelled} labelled of {n}", "train_vaal")
    if ranking is not None and ranking.shape != (n,):
        raise InvalidParameterError("ranking", f"None or a tensor of shape ({n},)",
                                    f"shape {tuple(ranking.shape)}", "train_vaal")
    if (encoder is None) != (decoder is None):
        raise InvalidParameterError("decoder" if decoder is None else "encoder",
                                    "given together with the other (or both None for the MLP "
                                    "pair)", "None" if decoder is None else "a module",
                                    "train_vaal")
    if encoder is None and items.dim() != 2:
        raise InvalidParameterError("items", "(N, d) feature vectors when no encoder/decoder is "
                                    "given (pass ConvEncoder/ConvDecoder for images)",
                                    f"shape {tuple(items.shape)}", "train_vaal")


def train_vaal(items: Tensor, labelled_mask: Tensor, *, ranking: Optional[Tensor] = None,
               encoder: Optional[nn.Module] = None, decoder: Optional[nn.Module] = None,
               z_dim: int = 32, hidden_channels: int = 256, epochs: int = 5,
               batch_size: int = 128, lr: float = 5e-4, beta: float = 1.0,
               adversary_weight: float = 1.0, vae_steps: int = 2,
               generator: Optional[torch.Generator] = None) -> TrainedVAAL:
    r"""Train VAAL (Sinha et al., ICCV 2019, https://arxiv.org/abs/1904.00370)
    or, with a ``ranking``, TA-VAAL (Kim et al., CVPR 2021, Algorithm 1,
    https://arxiv.org/abs/2002.04709) on a pool of ``items``.

    Each iteration takes ``vae_steps`` VAE steps, each on a fresh batch of
    ``batch_size`` labelled and ``batch_size`` unlabelled items, minimising

    .. math::
        \mathcal{L}_{\text{VAE}}(\mathbf{x}_L) + \mathcal{L}_{\text{VAE}}(
        \mathbf{x}_U) + \lambda\,\mathcal{L}^{adv}_{\text{VAE}},

    (:func:`~gcnal.losses.vae_loss`,
    :func:`~gcnal.losses.vaal_adversarial_loss`), then one discriminator step
    on the last batch's means, minimising
    :math:`-\operatorname{mean}_L \log D - \operatorname{mean}_U \log(1 - D)`
    (:func:`~gcnal.losses.weighted_bce_with_logits`, :math:`\lambda = 1`).
    Both use Adam with learning rate ``lr``. There are
    :math:`\text{epochs} \cdot \lceil N / \text{batch\_size} \rceil`
    iterations, as in VAAL's code. Parameters are initialised
    (:func:`~gcnal.nn.reset_uniform_`: linear, convolution
    and norm layers; other parameters of a given encoder or decoder keep
    their values), batches drawn and reparameterisation noise sampled from
    ``generator`` only; the global RNG is left as it was.

    The papers train on images with a convolutional VAE: pass
    :class:`~gcnal.vaal.ConvEncoder` and :class:`~gcnal.vaal.ConvDecoder`
    (their :math:`(C, H, W)` and ``z_dim`` matching ``items`` and
    ``z_dim``). Without them, an :class:`~gcnal.vaal.MLPEncoder` /
    :class:`~gcnal.vaal.MLPDecoder` pair of width ``hidden_channels`` is
    built for :math:`(N, d)` feature vectors: gcnal's adaptation, which
    :func:`gcnal.select` uses (``method="vaal"`` / ``"ta_vaal"``).

    Args:
        items (torch.Tensor): :math:`(N, *)` pool items (features or images).
        labelled_mask (torch.Tensor): :math:`(N,)` bools, at least one of
            each value.
        ranking (torch.Tensor, optional): TA-VAAL's :math:`r \in [0, 1]^N`
            (:func:`normalize_ranking`); ``None`` trains VAAL.
        encoder, decoder (nn.Module, optional): Together or not at all.
        z_dim (int): Latent size. (default: :obj:`32`)
        hidden_channels (int): Width of the default MLP pair. (default: :obj:`256`)
        epochs (int): Passes of :math:`N` items. (default: :obj:`5`)
        batch_size (int): Items per pool per batch. (default: :obj:`128`)
        lr (float): Adam's learning rate for both networks. (default: :obj:`5e-4`)
        beta (float): Weight :math:`\beta` of the KL term. (default: :obj:`1.0`)
        adversary_weight (float): Weight :math:`\lambda` of the adversarial
            term. (default: :obj:`1.0`)
        vae_steps (int): VAE steps per discriminator step. (default: :obj:`2`)
        generator (torch.Generator, optional): Source of all randomness, on
            ``items``' device.
    """
    owner = "train_vaal"
    for name, value in (("z_dim", z_dim), ("hidden_channels", hidden_channels),
                        ("epochs", epochs), ("batch_size", batch_size),
                        ("vae_steps", vae_steps)):
        check_positive_int(value, name, owner)
    check_real(lr, "lr", 0.0, float("inf"), owner, low_open=True, high_open=True)
    check_real(beta, "beta", 0.0, float("inf"), owner, high_open=True)
    check_real(adversary_weight, "adversary_weight", 0.0, float("inf"), owner, high_open=True)
    _check(items, labelled_mask, ranking, encoder, decoder)

    conditioned = int(ranking is not None)
    with torch.random.fork_rng(devices=[]):  # PyTorch's default init draws from the global RNG
        if encoder is None:
            encoder = MLPEncoder(items.size(1), z_dim, hidden_channels)
            decoder = MLPDecoder(z_dim + conditioned, items.size(1), hidden_channels)
        discriminator = Discriminator(z_dim + conditioned)
    model = VAAL(encoder, decoder, discriminator).to(items.device)
    model.reset_parameters(generator)
    vae_params = list(encoder.parameters()) + list(decoder.parameters())
    vae_optimizer = torch.optim.Adam(vae_params, lr=lr)
    disc_optimizer = torch.optim.Adam(model.discriminator.parameters(), lr=lr)
    labelled = _batches(torch.nonzero(labelled_mask, as_tuple=True)[0], batch_size, generator)
    unlabelled = _batches(torch.nonzero(~labelled_mask, as_tuple=True)[0], batch_size,
                          generator)
    disc_target = torch.cat([torch.ones(min(batch_size, int(labelled_mask.sum())),
                                        dtype=torch.bool, device=items.device),
                             torch.zeros(min(batch_size, int((~labelled_mask).sum())),
                                         dtype=torch.bool, device=items.device)])
    iterations = epochs * -(-items.size(0) // batch_size)
    vae_losses: List[float] = []
    disc_losses: List[float] = []
    model.train()
    for _ in range(iterations):
        for _ in range(vae_steps):
            idx_l, idx_u = next(labelled), next(unlabelled)
            r_l, r_u = (None, None) if ranking is None else (ranking[idx_l], ranking[idx_u])
            x_l, x_u = items[idx_l], items[idx_u]
            recon_l, mu_l, logvar_l = model.reconstruct(x_l, r_l, generator)
            recon_u, mu_u, logvar_u = model.reconstruct(x_u, r_u, generator)
            loss = (vae_loss(x_l, recon_l, mu_l, logvar_l, beta)
                    + vae_loss(x_u, recon_u, mu_u, logvar_u, beta)
                    + adversary_weight * vaal_adversarial_loss(model.discriminate(mu_l, r_l),
                                                               model.discriminate(mu_u, r_u)))
            vae_optimizer.zero_grad()
            loss.backward()
            vae_optimizer.step()
        with torch.no_grad():
            mu = torch.cat([model.encode(x_l)[0], model.encode(x_u)[0]])
        r = None if ranking is None else torch.cat([r_l, r_u])
        disc_loss = weighted_bce_with_logits(model.discriminate(mu, r), disc_target, 1.0)
        disc_optimizer.zero_grad()
        disc_loss.backward()
        disc_optimizer.step()
        vae_losses.append(float(loss.detach()))
        disc_losses.append(float(disc_loss.detach()))
    return TrainedVAAL(model, vae_losses, disc_losses)


@torch.no_grad()
def labelled_probability(model: VAAL, items: Tensor, ranking: Optional[Tensor] = None,
                         batch_size: int = 1024) -> Tensor:
    r"""The discriminator's :math:`P(\text{labelled}) = D([\boldsymbol{\mu}
    \,\Vert\, r])` of every item, in eval mode and batches of
    ``batch_size``; VAAL and TA-VAAL pick the unlabelled items where it is
    lowest (Eq. 7 of TA-VAAL).

    Shapes:
        - **input:** ``items`` :math:`(N, *)`, ``ranking`` :math:`(N,)`
        - **output:** :math:`(N,)`
    """
    model.eval()
    out = []
    for start in range(0, items.size(0), batch_size):
        r = None if ranking is None else ranking[start:start + batch_size]
        out.append(torch.sigmoid(model(items[start:start + batch_size], r)))
    return torch.cat(out)
