r"""Task-aware methods in the benchmark: what a learner trains beside its
classifier, and the signal it hands to ``gcnal.select``.

Every method still selects through ``gcnal.select``; a task-aware method only
changes how the cycle's learner is trained and which learner signal (see
:mod:`gcnal.signals`) goes with the features. The parts come from
:mod:`gcnal.learner`, wired as a user would wire them into their own model:

========================== ====================================== ====================
method                     learner                                signal
========================== ====================================== ====================
``learning_loss``          + ``LossPredictionModule`` on the      ``predicted_loss``
                           learner's levels, margin loss (Yoo &
                           Kweon), detached after 60% of epochs
``ta_vaal``                + the same module trained with TA-VAAL ``predicted_loss``
                           's ranking loss (its "ranker")
``bald``, ``mc_entropy``   ``MCDropout(0.5)`` before the          ``mc_probs``
                           classifier; 20 samples at selection
``jls`` / ``tjls``         the classifier replaced by a           ``labelled_scores``
                           ``JointHead`` (TJLS: behind a
                           ``BatchTransformer``), trained on
                           batches of labelled + unlabelled items
========================== ====================================== ====================

``vaal`` and ``ta_vaal`` also select on the pool's **images** (flattened, with
``options={"image_shape": (C, H, W)}``: the papers' convolutional
VAE), not on the learner's features. Every other method keeps the plain
learner (cross-entropy) and its penultimate features.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gcnal.learner import (BatchTransformer, JointHead, LossPredictionModule, MCDropout,
                           collect_signals, joint_loss, loss_prediction_loss,
                           mc_dropout_probs, ranking_loss)

__all__ = ["IMAGE_METHODS", "LEARNER_OVERRIDES", "TASK_LEARNERS", "TaskLearner", "task_learner"]

#: Methods whose selection reads the pool's images rather than the learner's features.
IMAGE_METHODS = frozenset({"vaal", "ta_vaal"})

#: Learning Loss detaches its module from the learner after 120 of 200 epochs.
DETACH_AFTER = 0.6
#: MC-dropout rate before the classifier, and samples drawn at selection (BALD).
MC_DROPOUT_P = 0.5
MC_SAMPLES = 20
#: Items per forward pass of a TJLS head (its transformer mixes a batch; the paper's 128).
JOINT_BATCH = 128
#: Training settings a method's paper sets apart from the profile's (stored in
#: each row's ``config``): the TJLS paper trains its joint learner with SGD at
#: lr 0.01; at the profile's 0.1 it diverged in 2 of 10 cycles on FashionMNIST.
LEARNER_OVERRIDES: Dict[str, Dict[str, float]] = {"tjls": {"lr": 0.01}}


class TaskLearner(nn.Module):
    r"""A benchmark learner with the training loss and the learner signal of
    one method. The base class is the plain learner: cross-entropy on the
    labelled items, no signal.

    ``training_loss`` receives a batch whose first items are labelled; only
    learners with ``needs_unlabelled`` get unlabelled items after them.
    """

    signal: Optional[str] = None
    needs_unlabelled = False

    def __init__(self, learner: nn.Module):
        super().__init__()
        self.learner = learner

    def forward_features(self, x: Tensor):
        return self.learner.forward_features(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_features(x)[0]

    def training_loss(self, x: Tensor, y: Tensor, labelled: Tensor, progress: float) -> Tensor:
        """The batch loss; ``progress`` is the fraction of epochs done, in [0, 1)."""
        return F.cross_entropy(self(x), y)

    def signals(self, inputs: Tensor, seed: int) -> Dict[str, Tensor]:
        """``{signal: values}`` for ``gcnal.select`` over the pool ``inputs``
        (called in eval mode)."""
        return {}


class LossPredictionLearner(TaskLearner):
    r"""Learning Loss (Yoo & Kweon, CVPR 2019): a loss-prediction module on
    the learner's levels, trained with
    :math:`\operatorname{CE} + \operatorname{loss\_prediction\_loss}` (weight 1,
    margin 1), or with TA-VAAL's ranking loss (``ranking=True``, Kim et al.,
    CVPR 2021, Eq. 1), its input detached after :data:`DETACH_AFTER` of the
    epochs."""

    signal = "predicted_loss"

    def __init__(self, learner: nn.Module, ranking: bool = False):
        super().__init__(learner)
        self.ranking = ranking
        self.loss_module = LossPredictionModule(list(learner.level_channels))

    def training_loss(self, x: Tensor, y: Tensor, labelled: Tensor, progress: float) -> Tensor:
        logits, _, levels = self.learner.forward_levels(x)
        task = F.cross_entropy(logits, y, reduction="none")
        predicted = self.loss_module(levels, detach=progress >= DETACH_AFTER)
        pair_loss = ranking_loss if self.ranking else loss_prediction_loss
        return task.mean() + pair_loss(predicted, task)

    def signals(self, inputs: Tensor, seed: int) -> Dict[str, Tensor]:
        return collect_signals(lambda b: self.learner.forward_levels(b)[2], inputs,
                               loss_module=self.loss_module, batch_size=1024)


class MCDropoutLearner(TaskLearner):
    r"""MC dropout (Gal et al., ICML 2017): :class:`~gcnal.learner.MCDropout`
    on the features before the classifier; at selection :data:`MC_SAMPLES`
    softmax samples per item with the masks on."""

    signal = "mc_probs"

    def __init__(self, learner: nn.Module, seed: int, device: torch.device):
        super().__init__(learner)
        generator = torch.Generator(device=device).manual_seed(seed)
        self.drop = MCDropout(MC_DROPOUT_P, generator=generator)

    def forward_features(self, x: Tensor):
        _, feat = self.learner.forward_features(x)
        return self.learner.linear(self.drop(feat)), feat

    def signals(self, inputs: Tensor, seed: int) -> Dict[str, Tensor]:
        # The masks act on the features only, so the backbone runs once and
        # the T samples redraw dropout + classifier on its output.
        with torch.no_grad():
            feats = torch.cat([self.learner.forward_features(part)[1]
                               for part in inputs.split(1024)])
        return {"mc_probs": mc_dropout_probs(self, feats, MC_SAMPLES, seed=seed,
                                             forward=lambda f: self.learner.linear(self.drop(f)))}


class JointLearner(TaskLearner):
    r"""JLS / TJLS (Caramalau et al., 2021): the learner's classifier is
    replaced by a :class:`~gcnal.learner.JointHead` (with a
    :class:`~gcnal.learner.BatchTransformer` bottleneck for TJLS) trained
    with :func:`~gcnal.learner.joint_loss` on batches of labelled and as many
    unlabelled items. Predictions go through the head in batches of
    :data:`JOINT_BATCH` (the transformer mixes the items of a batch)."""

    signal = "labelled_scores"
    needs_unlabelled = True

    def __init__(self, learner: nn.Module, num_classes: int, transformer: bool):
        super().__init__(learner)
        d = learner.feature_dim
        self.head = JointHead(d, num_classes, bottleneck=BatchTransformer(d) if transformer
                              else None)

    def forward_features(self, x: Tensor):
        _, feat = self.learner.forward_features(x)
        logits = torch.cat([self.head(part)[0] for part in feat.split(JOINT_BATCH)])
        return logits, feat

    def training_loss(self, x: Tensor, y: Tensor, labelled: Tensor, progress: float) -> Tensor:
        class_logits, labelled_logits = self.head(self.learner.forward_features(x)[1])
        return joint_loss(class_logits, labelled_logits, y, labelled)

    def signals(self, inputs: Tensor, seed: int) -> Dict[str, Tensor]:
        return collect_signals(lambda b: self.learner.forward_features(b)[1], inputs,
                               joint_head=self.head, batch_size=JOINT_BATCH)


#: method -> ``build(learner, num_classes, seed, device)`` of its task learner.
TASK_LEARNERS: Dict[str, Callable[..., TaskLearner]] = {
    "learning_loss": lambda learner, c, seed, device: LossPredictionLearner(learner),
    "ta_vaal": lambda learner, c, seed, device: LossPredictionLearner(learner, ranking=True),
    "bald": lambda learner, c, seed, device: MCDropoutLearner(learner, seed, device),
    "mc_entropy": lambda learner, c, seed, device: MCDropoutLearner(learner, seed, device),
    "jls": lambda learner, c, seed, device: JointLearner(learner, c, transformer=False),
    "tjls": lambda learner, c, seed, device: JointLearner(learner, c, transformer=True),
}


def task_learner(method: str, learner: nn.Module, num_classes: int, seed: int,
                 device: torch.device) -> TaskLearner:
    """The learner ``method`` trains, on ``device`` (its extra parts
    initialised from ``seed`` inside :func:`torch.random.fork_rng`, so the
    global RNG is untouched); the plain :class:`TaskLearner` for methods
    not in :data:`TASK_LEARNERS`."""
    build = TASK_LEARNERS.get(method, lambda learner, c, seed, device: TaskLearner(learner))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build(learner, num_classes, seed, torch.device(device)).to(device)
