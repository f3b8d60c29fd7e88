r"""JLS and TJLS ("Visual Transformer for Task-aware Active Learning",
Caramalau et al., https://arxiv.org/abs/2106.03801): the learner and the
sampler are trained jointly. Batches of labelled and unlabelled items pass
through the same feature extractor, an optional batch-transformer
bottleneck (TJLS; without it, JLS), then two branches: the task classifier
(trained on the labelled items) and a labelled-vs-unlabelled discriminator
(trained on all). Its :math:`P(\text{labelled})` on the pool is the
``labelled_scores`` signal of ``gcnal.select(..., method="jls" | "tjls")``.
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import InvalidParameterError
from ..nn import reset_uniform_
from ..validation import check_positive_int, check_positive_ints, check_real
from .functional import global_average_pool


class JointHead(nn.Module):
    r"""The two branches of JLS/TJLS on a batch of learner features
    :math:`\mathbf{X} \in \mathbb{R}^{B \times d}`. With
    :math:`\mathbf{Z} = g(\mathbf{X})` the bottleneck's output (the identity
    for JLS; :class:`~gcnal.learner.BatchTransformer` for TJLS, where each
    item attends to the other items of its batch),

    .. math::
        \mathbf{y} = \mathbf{W}_c \mathbf{z}_i + \mathbf{b}_c, \qquad
        u = \operatorname{MLP}_{512, 512}(\mathbf{z}_i) \in \mathbb{R},

    the class logits and the labelled-vs-unlabelled logit; train both with
    :func:`joint_loss`, and score the pool with
    :math:`\sigma(u) = P(\text{labelled})` (:meth:`labelled_scores`).

    The paper: transformer hidden size 128, one layer; "the label
    discriminator part of the sampler is composed of two layers. The hidden
    units of both of them are 512" (the original code's ``Discriminator2``
    has one hidden layer of 512: ``discriminator_channels=(512,)``).

    Args:
        in_channels (int): Feature size :math:`d` of the learner (feature
            maps :math:`(B, d, H, W)` are global-average-pooled first).
        num_classes (int): Classes of the task branch.
        bottleneck (torch.nn.Module, optional): Maps :math:`(B, d)` to
            :math:`(B, h)` and has an ``out_channels`` attribute :math:`h`;
            :obj:`None` for JLS, ``BatchTransformer(d)`` for TJLS.
            (default: :obj:`None`)
        discriminator_channels (sequence of int): Hidden sizes of the
            discriminator's ReLU layers. (default: :obj:`(512, 512)`)

    Shapes:
        - **input:** features :math:`(B, d)` or :math:`(B, d, *)`
        - **output:** class logits :math:`(B, C)` and labelled logits
          :math:`(B,)`
    """

    def __init__(self, in_channels: int, num_classes: int, *,
                 bottleneck: Optional[nn.Module] = None,
                 discriminator_channels: Sequence[int] = (512, 512)):
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels", "JointHead")
        self.num_classes = check_positive_int(num_classes, "num_classes", "JointHead")
        if bottleneck is not None and not (isinstance(bottleneck, nn.Module)
                                           and isinstance(getattr(bottleneck, "out_channels",
                                                                  None), int)):
            raise InvalidParameterError("bottleneck", "None or an nn.Module with an int "
                                        "'out_channels' attribute (e.g. BatchTransformer)",
                                        type(bottleneck).__name__, "JointHead")
        self.discriminator_channels = check_positive_ints(
            discriminator_channels, "discriminator_channels", "JointHead")
        self.bottleneck = bottleneck
        width = in_channels if bottleneck is None else bottleneck.out_channels
        self.classifier = nn.Linear(width, num_classes)
        layers = []
        for channels in self.discriminator_channels:
            layers += [nn.Linear(width, channels), nn.ReLU()]
            width = channels
        self.discriminator = nn.Sequential(*layers, nn.Linear(width, 1))
        self.reset_parameters()

    def reset_parameters(self, generator: Optional[torch.Generator] = None) -> None:
        if self.bottleneck is not None and hasattr(self.bottleneck, "reset_parameters"):
            self.bottleneck.reset_parameters(generator)
        reset_uniform_(self.classifier, generator)
        reset_uniform_(self.discriminator, generator)

    def forward(self, features: Tensor) -> Tuple[Tensor, Tensor]:
        if not isinstance(features, Tensor) or features.dim() < 2 \
                or features.size(1) != self.in_channels:
            shape = tuple(features.shape) if isinstance(features, Tensor) \
                else type(features).__name__
            raise InvalidParameterError("features", f"a tensor (B, {self.in_channels}, ...)",
                                        shape, "JointHead")
        z = global_average_pool(features)
        if self.bottleneck is not None:
            z = self.bottleneck(z)
        return self.classifier(z), self.discriminator(z).squeeze(-1)

    def labelled_scores(self, features: Tensor) -> Tensor:
        r""":math:`P(\text{labelled}) = \sigma(u)` of each item, :math:`(B,)`:
        the ``labelled_scores`` signal."""
        return torch.sigmoid(self(features)[1])

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.num_classes}, "
                f"bottleneck={self.bottleneck!r}, "
                f"discriminator_channels={self.discriminator_channels})")


def joint_loss(class_logits: Tensor, labelled_logits: Tensor, targets: Tensor,
               labelled: Tensor, sampler_weight: float = 0.5) -> Tensor:
    r"""The JLS/TJLS objective (Eqs. 3-4) on a batch mixing labelled
    (:math:`L`) and unlabelled (:math:`U`) items,

    .. math::
        \mathcal{L}_{JL} = \frac{1}{|L|}\sum_{i \in L} \operatorname{CE}(\mathbf{y}_i, y_i)
        + \lambda \Big( -\frac{1}{|L|}\sum_{i \in L} \log \sigma(u_i)
        - \frac{1}{|U|}\sum_{i \in U} \log\big(1 - \sigma(u_i)\big) \Big),

    with :math:`\lambda = 0.5`. Reading of the paper: the discriminator
    labels labelled items 1 and unlabelled items 0; "setting the weight of
    the sampler to 50% of the auxiliary loss", with the task loss at weight
    1 "when labelled images are inferred through the downstream task", is
    read as cross-entropy weight 1 and discriminator BCE weight 0.5. This is
    what the original code does: on an all-labelled batch
    ``CE + 0.5 * BCE(1)``, on an all-unlabelled batch ``0.5 * BCE(0)``; here
    one mixed batch holds both terms, each averaged over its own items. A
    batch without labelled (or unlabelled) items simply lacks those terms.
    The BCE is computed from the logits (never :math:`\log 0`).

    Args:
        class_logits (torch.Tensor): :math:`(B, C)` task logits.
        labelled_logits (torch.Tensor): :math:`(B,)` discriminator logits
            :math:`u`.
        targets (torch.Tensor): :math:`(B,)` int64 class labels; entries of
            unlabelled items are ignored (any value).
        labelled (torch.Tensor): :math:`(B,)` bool, ``True`` for labelled
            items.
        sampler_weight (float): :math:`\lambda`. (default: :obj:`0.5`)
    """
    owner = "joint_loss"
    sampler_weight = check_real(sampler_weight, "sampler_weight", 0.0, float("inf"), owner)
    if not isinstance(class_logits, Tensor) or class_logits.dim() != 2:
        raise InvalidParameterError("class_logits", "a (B, C) tensor",
                                    getattr(class_logits, "shape", type(class_logits).__name__),
                                    owner)
    b = class_logits.size(0)
    for name, value in (("labelled_logits", labelled_logits), ("targets", targets),
                        ("labelled", labelled)):
        if not isinstance(value, Tensor) or value.shape != (b,):
            raise InvalidParameterError(name, f"a tensor of shape ({b},) (one entry per item "
                                        "of class_logits)",
                                        getattr(value, "shape", type(value).__name__), owner)
    if labelled.dtype != torch.bool:
        raise InvalidParameterError("labelled", "a bool tensor", f"dtype {labelled.dtype}", owner)
    loss = labelled_logits.new_zeros(())
    if bool(labelled.any()):
        loss = loss + F.cross_entropy(class_logits[labelled], targets[labelled])
        loss = loss + sampler_weight * F.softplus(-labelled_logits[labelled]).mean()
    if not bool(labelled.all()):
        loss = loss + sampler_weight * F.softplus(labelled_logits[~labelled]).mean()
    return loss
