"""One call from a trained learner to the signals :func:`gcnal.select` reads."""
from __future__ import annotations

from typing import Callable, Dict, Optional, Sequence, Union

import torch
from torch import Tensor, nn

from ..errors import InvalidParameterError
from ..validation import check_positive_int
from .functional import check_batch, eval_mode
from .joint_head import JointHead
from .loss_prediction import LossPredictionModule


@torch.no_grad()
def collect_signals(features: Callable[[Tensor], Union[Tensor, Sequence[Tensor]]],
                    inputs: Tensor, *, loss_module: Optional[LossPredictionModule] = None,
                    joint_head: Optional[JointHead] = None,
                    batch_size: int = 128) -> Dict[str, Tensor]:
    r"""Score the pool with the learner's task-aware heads, batch by batch.

    Args:
        features (callable): ``features(batch)`` returns the learner's
            features of a batch: a tensor, or a list of feature levels. The
            ``loss_module`` reads all levels, the ``joint_head`` the last one.
            An ``nn.Module`` (or a bound method of one, such as
            ``model.forward_features``-like helpers) is put in eval mode for
            the call.
        inputs (torch.Tensor): The pool, :math:`(N, \dots)`, on the model's
            device.
        loss_module (LossPredictionModule, optional): Gives
            ``"predicted_loss"``.
        joint_head (JointHead, optional): Gives ``"labelled_scores"``,
            :math:`P(\text{labelled})`.
        batch_size (int): Items per forward pass; with a TJLS head this is
            the batch the transformer mixes (the paper trains with 128).
            (default: :obj:`128`)

    Returns:
        ``{"predicted_loss": (N,), "labelled_scores": (N,)}``, float32 on the
        inputs' device, with the keys of the heads given: pass the one the
        method reads, e.g. ``gcnal.select(x, mask, b, method="learning_loss",
        predicted_loss=out["predicted_loss"])``.
    """
    owner = "collect_signals"
    inputs = check_batch(inputs, owner)
    batch_size = check_positive_int(batch_size, "batch_size", owner)
    if not callable(features):
        raise InvalidParameterError("features", "a callable batch -> features",
                                    type(features).__name__, owner)
    heads = {"predicted_loss": loss_module, "labelled_scores": joint_head}
    for name, cls, head in (("loss_module", LossPredictionModule, loss_module),
                            ("joint_head", JointHead, joint_head)):
        if head is not None and not isinstance(head, cls):
            raise InvalidParameterError(name, f"None or a {cls.__name__}", type(head).__name__,
                                        owner)
    if loss_module is None and joint_head is None:
        raise InvalidParameterError("loss_module", "a LossPredictionModule when joint_head is "
                                    "None (at least one head)", None, owner)
    model = features if isinstance(features, nn.Module) else getattr(features, "__self__", None)
    modules = [m for m in (model, loss_module, joint_head) if isinstance(m, nn.Module)]
    out: Dict[str, list] = {name: [] for name, head in heads.items() if head is not None}
    with eval_mode(*modules):
        for batch in inputs.split(batch_size):
            levels = features(batch)
            levels = [levels] if isinstance(levels, Tensor) else list(levels)
            if loss_module is not None:
                out["predicted_loss"].append(loss_module(levels).float())
            if joint_head is not None:
                out["labelled_scores"].append(joint_head.labelled_scores(levels[-1]).float())
    return {name: torch.cat(values) for name, values in out.items()}
