"""Training a sampler to tell labelled from unlabelled pool items, and scoring."""
from __future__ import annotations

import logging
from typing import Any, List, Optional, Tuple, Union

import torch
from torch import Tensor, nn

from ..errors import InvalidParameterError
from ..losses import weighted_bce_with_logits
from ..nn import Workspace
from ..options import supported_kwargs
from ..progress import log_stage, progress_bar

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


def train_sampler(sampler: nn.Module, x: Tensor, adj: Any, labelled_mask: Tensor, *,
                  epochs: int = 200, lr: float = 1e-3, weight_decay: float = 5e-4,
                  lambda_unlabelled: float = 1.2,
                  generator: Optional[torch.Generator] = None,
                  batch_size: Optional[int] = None,
                  progress: Optional[bool] = None) -> List[float]:
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

    The training mode, epochs and time are logged at INFO.

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
        losses = [epoch_loss() for _ in progress_bar(range(epochs), "training sampler",
                                                     enabled=progress)]
        stage["detail"] = (f"{type(sampler).__name__}, {mode}, {epochs} epochs, "
                           f"final loss {losses[-1]:.4f}" if losses else "no epoch")
    return losses


@torch.no_grad()
def score_sampler(sampler: nn.Module, x: Tensor, adj: Any) -> Tuple[Tensor, Tensor]:
    r"""Eval-mode scores :math:`\sigma(\mathbf{z})` of shape :math:`(N,)` and
    embeddings :math:`(N, h)` of a trained sampler."""
    sampler.eval()
    return torch.sigmoid(sampler(x, adj)), sampler.embed(x, adj)
