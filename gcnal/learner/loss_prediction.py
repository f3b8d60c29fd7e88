r"""Learning Loss (Yoo & Kweon, CVPR 2019, https://arxiv.org/abs/1905.03677):
a small module on the learner's intermediate features that predicts each
item's task loss; the unlabelled items with the highest predicted loss are
annotated first (``gcnal.select(..., method="learning_loss",
predicted_loss=...)``).

The paper's recipe, trained jointly with the learner on each labelled batch
of per-item task losses :math:`l` (``reduction="none"``):

.. code-block:: python

    logits, levels = model.forward_features(x)          # levels: list of maps
    task = F.cross_entropy(logits, y, reduction="none")
    pred = loss_module(levels, detach=epoch > 120)      # stop its gradient into
    loss = task.mean() + 1.0 * loss_prediction_loss(pred, task)  # the learner late

(weight :math:`\lambda = 1`, margin :math:`\xi = 1`, 200 epochs, the
features detached from epoch 120 on so that the module stops steering the
learner once the learning rate drops). TA-VAAL's :func:`ranking_loss` is a
drop-in replacement for :func:`loss_prediction_loss` ("learning loss v2").
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import InvalidParameterError
from ..nn import reset_uniform_
from ..validation import check_positive_int, check_positive_ints, check_real
from .functional import global_average_pool, mirror_pairs


class LossPredictionModule(nn.Module):
    r"""The loss prediction module of Learning Loss: each of the :math:`L`
    feature levels is global-average-pooled, mapped by its own fully
    connected layer and a ReLU, and the concatenation is mapped to one
    number, the predicted loss,

    .. math::
        \hat l = \mathbf{w}^\top \big[\operatorname{ReLU}(\mathbf{W}_1
        \operatorname{GAP}(\mathbf{F}_1) + \mathbf{b}_1) \,\Vert\, \dots
        \,\Vert\, \operatorname{ReLU}(\mathbf{W}_L
        \operatorname{GAP}(\mathbf{F}_L) + \mathbf{b}_L)\big] + b.

    Attach it to any learner that exposes its intermediate features (e.g. the
    outputs of a ResNet's four stages, or only the penultimate vector); train
    it with :func:`loss_prediction_loss` or :func:`ranking_loss`.

    Args:
        in_channels (sequence of int): Channels :math:`C_l` of each feature
            level, in the order :meth:`forward` receives them.
        hidden_channels (int): Output size of each level's fully connected
            layer (the paper: 128). (default: :obj:`128`)

    Shapes:
        - **input:** a list of :math:`L` feature maps :math:`(B, C_l, H_l,
          W_l)` or vectors :math:`(B, C_l)` (one tensor when :math:`L = 1`)
        - **output:** predicted losses :math:`(B,)`
    """

    def __init__(self, in_channels: Sequence[int], hidden_channels: int = 128):
        super().__init__()
        self.in_channels = check_positive_ints(in_channels, "in_channels", "LossPredictionModule",
                                               nonempty=True,
                                               detail="the channels of each feature level")
        check_positive_int(hidden_channels, "hidden_channels", "LossPredictionModule")
        self.hidden_channels = hidden_channels
        self.lins = nn.ModuleList(nn.Linear(c, hidden_channels) for c in self.in_channels)
        self.out = nn.Linear(hidden_channels * len(self.in_channels), 1)
        self.reset_parameters()

    def reset_parameters(self, generator: Optional[torch.Generator] = None) -> None:
        reset_uniform_(self, generator)

    def forward(self, features: Union[Tensor, Sequence[Tensor]], detach: bool = False) -> Tensor:
        r"""Predicted losses of a batch.

        Args:
            features: The :math:`L` feature levels (see the class).
            detach (bool): Cut the gradient from this module into the
                learner (the paper does so from epoch 120 of 200).
                (default: :obj:`False`)
        """
        levels = [features] if isinstance(features, Tensor) else list(features)
        if len(levels) != len(self.in_channels):
            raise InvalidParameterError("features", f"{len(self.in_channels)} feature level(s) "
                                        f"with channels {list(self.in_channels)}",
                                        f"{len(levels)} level(s)", "LossPredictionModule")
        hidden = []
        for i, (level, lin) in enumerate(zip(levels, self.lins)):
            if not isinstance(level, Tensor) or level.dim() < 2 \
                    or level.size(1) != self.in_channels[i]:
                shape = tuple(level.shape) if isinstance(level, Tensor) else type(level).__name__
                raise InvalidParameterError(f"features[{i}]", f"a tensor (B, {self.in_channels[i]}"
                                            ", ...)", shape, "LossPredictionModule")
            pooled = global_average_pool(level.detach() if detach else level)
            hidden.append(F.relu(lin(pooled)))
        return self.out(torch.cat(hidden, dim=1)).squeeze(-1)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({list(self.in_channels)}, "
                f"hidden_channels={self.hidden_channels})")


def loss_prediction_loss(pred: Tensor, target: Tensor, margin: float = 1.0) -> Tensor:
    r"""Learning Loss's margin ranking loss. The batch is split into the
    pairs :math:`(i, j) = (i, B-1-i)`, :math:`i < \lfloor B/2 \rfloor` (as
    in the original code; an odd batch leaves its middle item out), and

    .. math::
        \mathcal{L} = \frac{1}{\lfloor B/2 \rfloor} \sum_{(i, j)}
        \max\big(0,\ -\mathbb{1}_{ij} \cdot (\hat l_i - \hat l_j) + \xi\big),
        \qquad \mathbb{1}_{ij} = \begin{cases} +1 & l_i > l_j \\ -1 &
        \text{otherwise,} \end{cases}

    (the paper's and the original code's sign, so a tie counts as
    :math:`-1`). The true losses :math:`l` are detached: only the module
    learns from this loss.

    Args:
        pred (torch.Tensor): Predicted losses :math:`\hat l`, :math:`(B,)`,
            :math:`B \geq 2`.
        target (torch.Tensor): True per-item task losses :math:`l`,
            :math:`(B,)`.
        margin (float): :math:`\xi \geq 0` (the paper: 1).
            (default: :obj:`1.0`)
    """
    margin = check_real(margin, "margin", 0.0, float("inf"), "loss_prediction_loss")
    d_pred, d_target = mirror_pairs(pred, target, "loss_prediction_loss")
    sign = torch.where(d_target > 0, 1.0, -1.0).to(d_pred.dtype)
    return torch.clamp(margin - sign * d_pred, min=0).mean()


def ranking_loss(pred: Tensor, target: Tensor) -> Tensor:
    r"""TA-VAAL's ranking loss (Kim et al., CVPR 2021, Eq. 1): over the same
    pairs :math:`(i, B-1-i)` as :func:`loss_prediction_loss`, the binary
    cross-entropy of :math:`\sigma(\hat l_i - \hat l_j)` against
    :math:`I_i = \mathbb{1}[l_i > l_j]`,

    .. math::
        \mathcal{L}_R = -\frac{1}{\lfloor B/2 \rfloor} \sum_{(i, j)}
        I_i \log \sigma(\hat l_i - \hat l_j)
        + (1 - I_i) \log\big(1 - \sigma(\hat l_i - \hat l_j)\big),

    computed from the differences as logits (never :math:`\log 0`); the true
    losses are detached. Smooth, margin-free: it asks only for the order of
    the losses, not their values.

    Args:
        pred (torch.Tensor): Predicted losses :math:`\hat l`, :math:`(B,)`,
            :math:`B \geq 2`.
        target (torch.Tensor): True per-item task losses :math:`l`,
            :math:`(B,)`.
    """
    d_pred, d_target = mirror_pairs(pred, target, "ranking_loss")
    return F.binary_cross_entropy_with_logits(d_pred, (d_target > 0).to(d_pred.dtype))
