r"""Losses for training samplers."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def weighted_bce_with_logits(logits: Tensor, labelled_mask: Tensor,
                             lambda_unlabelled: float = 1.2) -> Tensor:
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
    """
    labelled = F.softplus(-logits[labelled_mask]).mean()
    unlabelled = F.softplus(logits[~labelled_mask]).mean()
    return labelled + lambda_unlabelled * unlabelled
