"""Training a sampler to tell labelled from unlabelled pool items, and scoring."""
from __future__ import annotations

import logging
import math
from typing import Any, List, Optional, Tuple, Union

import torch
from torch import Tensor, nn

from ..errors import InvalidParameterError
from ..losses import weighted_bce_with_logits
from ..nn import Workspace
from ..options import supported_kwargs
from ..progress import log_stage, progress_bar
from .early_stop import PickWatch

log = logging.getLogger(__name__)


def supports_mini_batches(sampler: nn.Module, adj: Any) -> bool:
    """Whether ``sampler`` can be trained in mini-batches on ``adj``: it has
    ``forward_rows`` (e.g. :class:`~gcnal.samplers.GCNSampler`) and the graph
    gives row blocks (:class:`~gcnal.graph.KNNAdjacency`)."""
    return hasattr(sampler, "forward_rows") and hasattr(adj, "rows")


#: Pool size past which ``batch_size="auto"`` trains in mini-batches: a full
#: batch holds the :math:`N \times h` hidden activations once (2 GiB of float32
#: at :math:`2^{22}` nodes and :math:`h = 128`), while a mini-batch pays for its
#: whole 1-hop neighbourhood (about :math:`25 |B|` nodes on the default kNN
#: graph), so an epoch in mini-batches costs several full epochs.
MINI_BATCH_NODES = 1 << 22

#: Mini-batch size ``batch_size="auto"`` takes past :data:`MINI_BATCH_NODES`.
AUTO_BATCH_SIZE = 1 << 16


def resolve_batch_size(batch_size: Union[int, str, None], sampler: nn.Module,
                       adj: Any) -> Tuple[Optional[int], str]:
    r"""The ``batch_size`` for :func:`train_sampler` and a sentence for
    :attr:`gcnal.Selection.info`. ``"auto"`` is full batch up to
    :data:`MINI_BATCH_NODES` nodes (:math:`2^{22}`) and mini-batches of
    :data:`AUTO_BATCH_SIZE` (:math:`2^{16}`) beyond, when the sampler and
    graph support them (:func:`supports_mini_batches`); an int or ``None``
    is taken as given."""
    n = adj.num_nodes
    if batch_size == "auto":
        batch_size = AUTO_BATCH_SIZE if n > MINI_BATCH_NODES and \
            supports_mini_batches(sampler, adj) else None
    if batch_size is None or batch_size >= n:
        return None, "full batch"
    return batch_size, f"mini-batches of {batch_size} ({-(-n // batch_size)} per epoch)"


#: ``lambda_unlabelled`` above this is blamed first for a diverged training
#: (its weight alone can overflow the loss); ``weight_decay`` above
#: :data:`SUSPECT_WEIGHT_DECAY` next; otherwise ``lr``.
SUSPECT_LAMBDA = 1e6
SUSPECT_WEIGHT_DECAY = 1.0


def diverged_error(what: str, lr: float, weight_decay: float,
                   lambda_unlabelled: float) -> InvalidParameterError:
    """The error for a training that produced a non-finite ``what`` (a loss,
    the scores or the embeddings), naming the training option most likely
    at fault: ``lambda_unlabelled`` above :data:`SUSPECT_LAMBDA`, else
    ``weight_decay`` above :data:`SUSPECT_WEIGHT_DECAY`, else ``lr``."""
    if lambda_unlabelled > SUSPECT_LAMBDA:
        parameter, value = "lambda_unlabelled", lambda_unlabelled
    elif weight_decay > SUSPECT_WEIGHT_DECAY:
        parameter, value = "weight_decay", weight_decay
    else:
        parameter, value = "lr", lr
    return InvalidParameterError(
        parameter, f"small enough for the sampler's training to stay finite ({what} became NaN "
                   f"or inf with lr={lr:g}, weight_decay={weight_decay:g}, "
                   f"lambda_unlabelled={lambda_unlabelled:g}; no selection is made on it)",
        f"{value:g}", "train_sampler")


def check_trained_output(scores: Tensor, embeddings: Tensor, *, lr: float, weight_decay: float,
                         lambda_unlabelled: float) -> None:
    """Raise :func:`diverged_error` unless a trained sampler's ``scores`` and
    ``embeddings`` (:func:`score_sampler`) are all finite."""
    for what, values in (("the scores", scores), ("the embeddings", embeddings)):
        if not bool(torch.isfinite(values).all()):
            raise diverged_error(what, lr, weight_decay, lambda_unlabelled)


def train_sampler(sampler: nn.Module, x: Tensor, adj: Any, labelled_mask: Tensor, *,
                  epochs: int = 200, lr: float = 1e-3, weight_decay: float = 5e-4,
                  lambda_unlabelled: float = 1.2,
                  generator: Optional[torch.Generator] = None,
                  batch_size: Optional[int] = None,
                  progress: Optional[bool] = None,
                  early_stop: Optional[PickWatch] = None) -> List[float]:
    r"""Training of ``sampler`` with Adam on
    :func:`~gcnal.losses.weighted_bce_with_logits` (labelled = 1,
    unlabelled = 0), dropout on. Parameters are re-initialised from
    ``generator`` first when the sampler's ``reset_parameters`` accepts one.

    Full batch by default: one step per epoch on every node. With
    ``batch_size``, each epoch shuffles the nodes with
    ``generator`` and takes one step per batch :math:`B` of ``batch_size``
    nodes on the sampler's exact logits of :math:`B` (``forward_rows``, which
    only touches :math:`B`'s neighbourhood), with the pool's class sizes in the
    loss so that each batch's loss is an unbiased estimate of the full one.

    Args:
        batch_size (int, optional): Nodes per mini-batch; needs a sampler
            with ``forward_rows`` on a graph with ``rows`` (see
            :func:`supports_mini_batches`). (default: :obj:`None`, full batch)
        progress (bool, optional): Show a bar over the epochs; ``None``
            follows :func:`gcnal.progress.showing_progress`. (default: :obj:`None`)
        early_stop (PickWatch, optional): Stop before ``epochs`` once the
            would-be picks stop changing (:mod:`gcnal.samplers.early_stop`).
            (default: :obj:`None`, every epoch)

    The training mode, epochs and time are logged at INFO. A non-finite
    epoch loss stops the training with :func:`diverged_error`, an
    :class:`~gcnal.errors.InvalidParameterError` naming ``lr``,
    ``weight_decay`` or ``lambda_unlabelled``: a diverged sampler never
    scores a pool.

    Returns:
        The loss of every epoch (for mini-batches, the sum over batches of
        :math:`\frac{|B|}{N}` times the batch loss: the full-batch loss of the
        changing model).
    """
    n = labelled_mask.numel()
    if batch_size is not None and not supports_mini_batches(sampler, adj):
        raise InvalidParameterError(
            "batch_size", "None for this sampler and graph (mini-batches need a sampler with "
            "forward_rows, such as GCNSampler, on a kNN graph)",
            f"{batch_size} with {type(sampler).__name__} on {type(adj).__name__}", "train_sampler")
    if hasattr(sampler, "reset_parameters"):
        sampler.reset_parameters(**supported_kwargs(sampler.reset_parameters,
                                                    {"generator": generator}))
    optimizer = torch.optim.Adam(sampler.parameters(), lr=lr, weight_decay=weight_decay)
    sampler.train()
    # buffers reused from step to step by samplers that take one (GCNSampler)
    loop_kwargs = {"generator": generator, "workspace": Workspace()}
    if batch_size is None:
        forward_kwargs = supported_kwargs(sampler.forward, loop_kwargs)

        def epoch_loss() -> float:
            optimizer.zero_grad()
            loss = weighted_bce_with_logits(sampler(x, adj, **forward_kwargs), labelled_mask,
                                            lambda_unlabelled)
            loss.backward()
            optimizer.step()
            return float(loss.detach())
    else:
        forward_kwargs = supported_kwargs(sampler.forward_rows, loop_kwargs)
        num_labelled = int(labelled_mask.sum())
        class_sizes = (num_labelled, n - num_labelled)

        def epoch_loss() -> float:
            total = 0.0
            order = torch.randperm(n, generator=generator, device=labelled_mask.device)
            for batch in order.split(batch_size):
                rows = batch.sort().values
                optimizer.zero_grad()
                logits = sampler.forward_rows(x, adj, rows, **forward_kwargs)
                loss = weighted_bce_with_logits(logits, labelled_mask[rows], lambda_unlabelled,
                                                class_sizes=class_sizes)
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * rows.numel() / n
            return total

    mode = "full batch" if batch_size is None else f"mini-batches of {batch_size}"
    with log_stage(log, "training", x.device) as stage:
        losses = []
        for epoch in progress_bar(range(epochs), "training sampler", enabled=progress):
            losses.append(epoch_loss())
            if not math.isfinite(losses[-1]):
                raise diverged_error(f"the loss of epoch {epoch + 1}", lr, weight_decay,
                                     lambda_unlabelled)
            if early_stop is not None and early_stop.converged(sampler, x, adj, epoch + 1):
                break
        trained = (f"{epochs} epochs" if len(losses) == epochs
                   else f"{len(losses)} of {epochs} epochs (early stop)")
        stage["detail"] = (f"{type(sampler).__name__}, {mode}, {trained}, "
                           f"final loss {losses[-1]:.4f}" if losses else "no epoch")
    return losses


@torch.no_grad()
def score_sampler(sampler: nn.Module, x: Tensor, adj: Any) -> Tuple[Tensor, Tensor]:
    r"""Eval-mode scores :math:`\sigma(\mathbf{z})` of shape :math:`(N,)` and
    embeddings :math:`(N, h)` of a trained sampler."""
    sampler.eval()
    return torch.sigmoid(sampler(x, adj)), sampler.embed(x, adj)
