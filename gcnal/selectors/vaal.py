r"""VAAL and TA-VAAL as a selector on feature vectors."""
from __future__ import annotations

import logging
from typing import Optional, Sequence

import torch
from torch import Tensor

from ..errors import InvalidParameterError
from ..vaal import ConvDecoder, ConvEncoder, labelled_probability, normalize_ranking, train_vaal
from .random_sampling import random_sampling
from .ranking import rank_unlabelled

log = logging.getLogger(__name__)


def vaal(scores: Optional[Tensor], embeddings: Tensor, labelled_mask: Tensor, budget: int, *,
         generator: Optional[torch.Generator] = None, epochs: int = 5, batch_size: int = 128,
         z_dim: int = 32, hidden_channels: int = 256, lr: float = 5e-4, beta: float = 1.0,
         adversary_weight: float = 1.0, vae_steps: int = 2,
         image_shape: Optional[Sequence[int]] = None) -> Tensor:
    r"""VAAL (Sinha et al., ICCV 2019, https://arxiv.org/abs/1904.00370) and,
    given a predicted loss, TA-VAAL (Kim et al., CVPR 2021,
    https://arxiv.org/abs/2002.04709), on feature vectors: gcnal's
    adaptation of the papers' image models (an MLP VAE, see
    :func:`gcnal.vaal.train_vaal`, which also trains the papers' image
    variant).

    A VAE on ``embeddings`` (the raw features for the ``vaal`` and
    ``ta_vaal`` presets) and a discriminator on its latent means are
    trained adversarially; the unlabelled items the discriminator finds
    least likely to be labelled come first,

    .. math::
        x^*_{1..b} = \operatorname*{arg\,min}_{x \in U} D([\boldsymbol{\mu}(x)
        \,\Vert\, r(x)]),

    with TA-VAAL's :math:`r = \sigma(\operatorname{standardise}(\hat l))`
    (:func:`gcnal.vaal.normalize_ranking`) of the learner's predicted loss
    ``scores`` (``predicted_loss=`` for ``method="ta_vaal"``), or without
    :math:`r` when ``scores`` is ``None`` (``method="vaal"``). Ties go to the
    lowest index. All randomness comes from ``generator``. With no labelled
    item there is nothing to tell apart: the picks are uniformly random
    (VAAL's own first round) and a warning is logged.

    Time: :math:`\text{epochs} \cdot \lceil N / \text{batch\_size} \rceil`
    iterations of 2 VAE steps and 1 discriminator step (395 for the defaults
    on a pool of 10,000 with 1,000 labelled), linear in ``epochs`` and
    :math:`N`.

    Args:
        epochs (int): Passes of :math:`N` items; :math:`\text{epochs} \cdot
            \lceil N / \text{batch\_size} \rceil` iterations (VAAL's
            papers use 100 to 200 on images, far beyond a CPU budget).
            (default: :obj:`5`)
        batch_size (int): Labelled and unlabelled items per batch, each.
            (default: :obj:`128`)
        z_dim (int): Latent size. (default: :obj:`32`)
        hidden_channels (int): Width of the MLP encoder and decoder.
            (default: :obj:`256`)
        lr (float): Adam's learning rate, VAE and discriminator.
            (default: :obj:`5e-4`)
        beta (float): KL weight :math:`\beta`. (default: :obj:`1.0`)
        adversary_weight (float): Adversarial weight :math:`\lambda`.
            (default: :obj:`1.0`)
        vae_steps (int): VAE steps per discriminator step. (default: :obj:`2`)
        image_shape (tuple, optional): :math:`(C, H, W)` when each row of
            ``embeddings`` is a flattened image: the rows are viewed as
            images and the papers' convolutional VAE
            (:class:`~gcnal.vaal.ConvEncoder` / :class:`~gcnal.vaal.ConvDecoder`)
            replaces the MLP pair. (default: :obj:`None`, feature vectors)

    Returns:
        :math:`(\text{budget},)` int64 indices, unique, all unlabelled, in
        pick order.
    """
    n = embeddings.size(0)
    if scores is not None and (scores.dim() != 1 or scores.size(0) != n):
        raise InvalidParameterError("scores", f"None (VAAL) or a predicted loss of shape ({n},) "
                                    "(TA-VAAL)", f"shape {tuple(scores.shape)}", "vaal")
    if not bool(labelled_mask.any()):
        log.warning("vaal: no labelled item, so the discriminator cannot be trained; "
                    "picking uniformly at random")
        return random_sampling(None, embeddings, labelled_mask, budget, generator=generator)
    ranking = None if scores is None else normalize_ranking(scores)
    items, networks = embeddings, {}
    if image_shape is not None:
        items = _as_images(embeddings, image_shape)
        extra = 0 if ranking is None else 1
        networks = {"encoder": ConvEncoder(items.shape[1:], z_dim),
                    "decoder": ConvDecoder(z_dim + extra, items.shape[1:])}
    trained = train_vaal(items, labelled_mask, ranking=ranking, **networks, z_dim=z_dim,
                         hidden_channels=hidden_channels, epochs=epochs, batch_size=batch_size,
                         lr=lr, beta=beta, adversary_weight=adversary_weight,
                         vae_steps=vae_steps, generator=generator)
    return rank_unlabelled(labelled_probability(trained.model, items, ranking),
                           labelled_mask, budget)


def _as_images(embeddings: Tensor, image_shape: Sequence[int]) -> Tensor:
    """The rows of ``embeddings`` viewed as :math:`(N, C, H, W)` images."""
    shape = tuple(image_shape) if isinstance(image_shape, (tuple, list)) else ()
    if len(shape) != 3 or not all(isinstance(v, int) and v > 0 for v in shape) or \
            shape[0] * shape[1] * shape[2] != embeddings.size(1):
        raise InvalidParameterError("image_shape", f"None or (C, H, W) positive ints with "
                                    f"C * H * W = {embeddings.size(1)} (the feature size)",
                                    repr(image_shape), "vaal")
    return embeddings.reshape(embeddings.size(0), *shape)
