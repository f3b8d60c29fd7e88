r"""Losses for training samplers."""
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
