r"""Learner hooks: task-aware parts to add to your own model, and the helpers
that turn it into the signals :func:`gcnal.select` reads.

================================ ====================== =========================
part                             train it with          signal / method
================================ ====================== =========================
:class:`LossPredictionModule`    :func:`loss_prediction ``predicted_loss`` /
                                 _loss` or              ``learning_loss``
                                 :func:`ranking_loss`
:class:`JointHead` (JLS), with   :func:`joint_loss`     ``labelled_scores`` /
a :class:`BatchTransformer`                             ``jls``, ``tjls``
bottleneck (TJLS)
:class:`MCDropout` layers        the task loss          ``mc_probs`` /
                                                        ``bald``, ``mc_entropy``
================================ ====================== =========================

:func:`collect_signals` scores the pool with the heads and
:func:`mc_dropout_probs` draws the MC-dropout samples, each in one call.
"""
from ..nn import BatchTransformer
from .collect import collect_signals
from .joint_head import JointHead, joint_loss
from .loss_prediction import LossPredictionModule, loss_prediction_loss, ranking_loss
from .mc_dropout import MCDropout, convert_dropout, mc_dropout, mc_dropout_probs

__all__ = [
    "BatchTransformer",
    "JointHead",
    "LossPredictionModule",
    "MCDropout",
    "collect_signals",
    "convert_dropout",
    "joint_loss",
    "loss_prediction_loss",
    "mc_dropout",
    "mc_dropout_probs",
    "ranking_loss",
]
