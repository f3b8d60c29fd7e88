r"""Losses for training samplers and VAAL's networks."""
from __future__ import annotations

from typing import Optional, Tuple

import torch.nn.functional as F
from torch import Tensor


def weighted_bce_with_logits(logits: Tensor, labelled_mask: Tensor,
                             lambda_unlabelled: float = 1.2, *,
                             class_sizes: Optional[Tuple[int, int]] = None) -> Tensor:
    r"""The sampler's labelled-vs-unlabelled loss of Sequential GCN (Eq. 4),

    .. math::
        \mathcal{L} = -\frac{1}{N_L} \sum_{i \in L} \log \sigma(z_i)
        - \lambda \frac{1}{N_U} \sum_{i \in U} \log\big(1 - \sigma(z_i)\big),

    computed from the logits :math:`z` as
    :math:`\operatorname{softplus}(-z)` and :math:`\operatorname{softplus}(z)`,
    which never takes :math:`\log 0`.

    Args:
        logits (torch.Tensor): Sampler outputs before the sigmoid, :math:`(N,)`.
        labelled_mask (torch.Tensor): :math:`(N,)` booleans; labelled items
            are the positives. Both classes must be present.
        lambda_unlabelled (float): Weight :math:`\lambda` of the unlabelled
            term. (default: :obj:`1.2`)
        class_sizes ((int, int), optional): :math:`(N_L, N_U)` of the whole
            pool when ``logits`` are a mini-batch :math:`B` of it. The loss is
            then the unbiased estimate of the pool's loss,

            .. math::
                \frac{N}{|B|} \Big(\frac{1}{N_L} \sum_{i \in B \cap L}
                \log(1 + e^{-z_i}) + \frac{\lambda}{N_U} \sum_{i \in B \cap U}
                \log(1 + e^{z_i})\Big),

            equal to the full-batch loss when :math:`B` is the whole pool, and
            a batch may miss a class. (default: :obj:`None`, the batch is the pool)
    """
    if class_sizes is None:
        labelled = F.softplus(-logits[labelled_mask]).mean()
        unlabelled = F.softplus(logits[~labelled_mask]).mean()
        return labelled + lambda_unlabelled * unlabelled
    num_labelled, num_unlabelled = class_sizes
    scale = (num_labelled + num_unlabelled) / logits.numel()
    labelled = F.softplus(-logits[labelled_mask]).sum() / num_labelled
    unlabelled = F.softplus(logits[~labelled_mask]).sum() / num_unlabelled
    return scale * (labelled + lambda_unlabelled * unlabelled)


def kl_to_standard_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    r"""The KL divergence of each item's diagonal Gaussian
    :math:`q = \mathcal{N}(\boldsymbol{\mu}, \operatorname{diag}
    e^{\boldsymbol{\ell}})` from the prior :math:`\mathcal{N}(0, I)`,

    .. math::
        \operatorname{KL}(q \,\Vert\, \mathcal{N}(0, I)) = -\frac{1}{2}
        \sum_{k=1}^{z} \big(1 + \ell_k - \mu_k^2 - e^{\ell_k}\big).

    Shapes:
        - **input:** :math:`\boldsymbol{\mu}`, log-variances
          :math:`\boldsymbol{\ell}`: :math:`(B, z)`
        - **output:** :math:`(B,)`
    """
    return -0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1)


def vae_loss(x: Tensor, recon: Tensor, mu: Tensor, logvar: Tensor, beta: float = 1.0) -> Tensor:
    r"""VAAL's transductive VAE loss on one batch (Sinha et al., ICCV 2019,
    Eq. 1; TA-VAAL Eq. 4): reconstruction plus :math:`\beta` times the KL
    to the prior, both summed over an item's entries and averaged over the
    batch,

    .. math::
        \mathcal{L}_{\text{VAE}} = \frac{1}{B} \sum_{i=1}^{B} \Big(
        \lVert \mathbf{x}_i - \hat{\mathbf{x}}_i \rVert_2^2
        + \beta \operatorname{KL}\big(q(\mathbf{z}_i \mid \mathbf{x}_i)
        \,\Vert\, \mathcal{N}(0, I)\big)\Big),

    the negative Gaussian ELBO up to constants (KL from
    :func:`kl_to_standard_normal`). The papers' code takes the mean squared
    error over all entries but the KL summed over the batch, which weighs
    the KL by the batch size times the item size; per item, as here, the
    balance does not depend on either.

    Shapes:
        - **input:** ``x``, ``recon``: :math:`(B, *)`; ``mu``, ``logvar``:
          :math:`(B, z)`
        - **output:** a scalar
    """
    squared_error = (x - recon).pow(2).flatten(1).sum(dim=1)
    return (squared_error + beta * kl_to_standard_normal(mu, logvar)).mean()


def vaal_adversarial_loss(labelled_logits: Tensor, unlabelled_logits: Tensor) -> Tensor:
    r"""The VAE's adversarial loss (TA-VAAL Eq. 5, VAAL Eq. 2): the encoder
    is rewarded when the discriminator :math:`D` calls latents of *both*
    pools labelled,

    .. math::
        \mathcal{L}^{adv}_{\text{VAE}} = -\frac{1}{B_L} \sum_{i \in L}
        \log D(\mathbf{z}_i) - \frac{1}{B_U} \sum_{i \in U}
        \log D(\mathbf{z}_i),

    computed from the logits as :math:`\operatorname{softplus}(-\cdot)`.
    The discriminator's own loss (Eq. 6) is
    :func:`weighted_bce_with_logits` with :math:`\lambda = 1`.
    """
    return F.softplus(-labelled_logits).mean() + F.softplus(-unlabelled_logits).mean()
