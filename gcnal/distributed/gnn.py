r"""``uncertain_gcn`` and ``core_gcn`` over a sharded pool: the GCN sampler
trained on the factored dense cosine graph, with all-reduced products and
gradients.

On non-negative features the paper's dense graph is exactly

.. math::
    A \mathbf{y} = D^{-1} \big(V (V^\top \mathbf{y}) - \mathbf{s} \odot
    \mathbf{y}\big) + \mathbf{y}, \qquad
    D = \operatorname{diag}\big(V (V^\top \mathbf{1}) - \mathbf{s}\big),

so a rank holding rows :math:`V_r` computes its rows of :math:`A\mathbf{y}`
from the all-reduced :math:`V^\top \mathbf{y} = \sum_r V_r^\top \mathbf{y}_r`
(:math:`d \times k` floats; its backward all-reduces the gradient the same
way). Per epoch: one forward and one backward product (:math:`8 d (P-1)/P`
bytes each), the gradients of the sampler's weights all-reduced
(:math:`8 (d h + 2 h + 1)(P-1)/P`), the loss (one float); once, :math:`A X`
(:math:`8 d^2 (P-1)/P`) and the degrees' :math:`V^\top \mathbf{1}`. Each
rank draws the dropout decisions of the whole pool from the shared seed and
keeps its rows' (:math:`N h / 4` random int64 per epoch on every rank), so
training follows :func:`gcnal.select`'s up to the order of float sums.
"""
from __future__ import annotations

import math
from dataclasses import replace
from functools import partial
from typing import Any, List, Mapping, Optional

import torch
import torch.distributed as dist
from torch import Tensor

from ..errors import InvalidParameterError
from ..graph import l2_normalize
from ..graph.base import PoolAdjacency
from ..losses import weighted_bce_with_logits
from ..methods.gnn_options import GraphOptions, PoolOptions, TrainingOptions
from ..nn import column_major
from ..nn.fused_linear import _ReluDropoutLinear
from ..nn.seeded_dropout import random_lanes
from ..samplers import GCNSampler
from ..samplers.training import check_trained_output, diverged_error
from ..seeding import global_rng_restored
from ..selectors import closest_to_margin
from .comm import Communicator
from .kcenter import k_center
from .shard import OWNER, Shard


class _AllReduceSum(torch.autograd.Function):
    """The sum over the ranks; its gradient is the sum of the ranks' gradients."""

    @staticmethod
    def forward(ctx, comm: Communicator, tensor: Tensor) -> Tensor:
        ctx.comm = comm
        return comm.all_reduce(tensor)

    @staticmethod
    def backward(ctx, grad: Tensor):
        return None, ctx.comm.all_reduce(grad)


class ShardedCosineAdjacency(PoolAdjacency):
    r"""This rank's rows of the factored cosine adjacency of the whole pool
    (:class:`~gcnal.graph.CosineAdjacency` on the concatenated pool, factored
    form only): ``adj @ y`` takes this rank's rows of :math:`\mathbf{y}`
    and returns its rows of :math:`A\mathbf{y}`; every rank must call it."""

    def __init__(self, comm: Communicator, features: Tensor, normalization: str = "row"):
        self.comm = comm
        self.normalization = normalization
        self.vectors = column_major(l2_normalize(features.float()))
        self.num_nodes = self.vectors.size(0)
        self.self_similarity = (self.vectors * self.vectors).sum(dim=1)
        negative = comm.all_reduce(torch.tensor([float(bool((self.vectors < 0).any()))]),
                                   op=dist.ReduceOp.MAX)
        if float(negative[0]) > 0:
            raise InvalidParameterError(
                "features", "non-negative on every rank (the sharded GCN presets use the "
                "factored dense graph, exact only without negative similarities; signed "
                "features need the N x N graph of gcnal.select)", "negative entries", OWNER)
        v = self.vectors.double()
        total = v @ comm.all_reduce(v.sum(dim=0))
        degree = total - self.self_similarity.double()
        degree = torch.where(degree > 1e-9 * total.clamp_min(1.0), degree,
                             torch.zeros_like(degree)).float()
        self.degree = degree
        self.inv_degree = torch.where(degree > 0, 1.0 / degree, torch.zeros_like(degree))

    def _product(self, y: Tensor) -> Tensor:
        v, s, inv = self.vectors, self.self_similarity[:, None], self.inv_degree[:, None]
        if self.normalization == "row":
            return inv * (v @ _AllReduceSum.apply(self.comm, v.T @ y) - s * y) + y
        z = inv * y
        return v @ _AllReduceSum.apply(self.comm, v.T @ z) - s * z + y


class _ShardedGCNSampler(GCNSampler):
    """:class:`~gcnal.samplers.GCNSampler` on this rank's rows of a pool of
    ``num_items``: its dropout decisions are the whole pool's, drawn from the
    shared generator, at the rows ``offset:offset + n``."""

    def __init__(self, in_channels: int, offset: int, num_items: int, **kwargs):
        super().__init__(in_channels, cached=True, **kwargs)
        self.offset, self.num_items = offset, num_items

    def _hidden_times_weight(self, ax: Tensor, generator: Optional[torch.Generator],
                             workspace=None) -> Tensor:
        lanes = None
        if self.training and self.dropout > 0:
            lanes = random_lanes((self.num_items, self.hidden_channels), generator,
                                 ax.device)[self.offset:self.offset + ax.size(0)]
        return _ReluDropoutLinear.apply(ax, self.conv1.weight, self.conv1.bias,
                                        self.conv2.weight, lanes, self.dropout, None)


def train_sharded(shard: Shard, model: GCNSampler, adj: ShardedCosineAdjacency,
                  training: TrainingOptions, generator: torch.Generator) -> List[float]:
    r"""Full-batch Adam on the pool's :func:`~gcnal.losses.weighted_bce_with_logits`:
    each rank's share of the loss (its rows, the pool's class sizes), the
    gradients summed over the ranks before every step; the loss of every
    epoch (summed over the ranks)."""
    comm, labelled = shard.comm, shard.labelled
    sizes = (shard.num_labelled, sum(shard.unlabelled_counts))
    model.reset_parameters(generator=generator)
    parameters = list(model.parameters())
    optimizer = torch.optim.Adam(parameters, lr=training.lr, weight_decay=training.weight_decay)
    model.train()
    losses = []
    for epoch in range(training.epochs):
        optimizer.zero_grad()
        logits = model(adj.vectors, adj, generator=generator)
        share = weighted_bce_with_logits(logits, labelled, training.lambda_unlabelled,
                                         class_sizes=sizes) * (logits.numel() / shard.num_items) \
            if logits.numel() else logits.sum()
        share.backward()
        grads = comm.all_reduce(torch.cat([p.grad.flatten() for p in parameters]))
        for p, g in zip(parameters, grads.split([p.numel() for p in parameters])):
            p.grad.copy_(g.view_as(p))
        optimizer.step()
        losses.append(float(comm.all_reduce(share.detach().reshape(1))[0]))
        if not math.isfinite(losses[-1]):
            raise diverged_error(f"the loss of epoch {epoch + 1}", training.lr,
                                 training.weight_decay, training.lambda_unlabelled)
    return losses


def _refuse(parameter: str, expected: str, value) -> None:
    raise InvalidParameterError(parameter, expected + " (when the pool is sharded)",
                                repr(value), OWNER)


def gnn_picks(kind: str, shard: Shard, scores: Optional[Tensor], *, chosen: Any,
              settings: Mapping[str, Any]) -> Tensor:
    r"""``uncertain_gcn`` (``kind="margin"``) or ``core_gcn`` (``"kcenter"``):
    the GCN sampler trained across the shards, then the selector on its
    scores or first-layer embeddings; the global picks in pick order."""
    pool = PoolOptions(**chosen.values(settings, "gnn"))
    graph = GraphOptions(**chosen.values(settings, "graph"))
    training = TrainingOptions(**chosen.values(settings, "training"))
    selector_options = chosen.values(settings, "selector")
    if pool.subset is not None:
        _refuse("subset", "None", pool.subset)
    if graph.graph not in ("dense", "auto"):
        _refuse("graph", "'dense' or 'auto' (the factored dense graph)", graph.graph)
    if training.batch_size not in (None, "auto"):
        _refuse("batch_size", "None or 'auto' (full batch)", training.batch_size)
    if selector_options.get("candidates") is not None:
        _refuse("candidates", "None", selector_options["candidates"])
    if sum(shard.unlabelled_counts) == shard.num_items:
        raise InvalidParameterError("labelled_mask", "at least one labelled item on some rank "
                                    f"({chosen.name} trains on them; its cold start runs in one "
                                    "process, with gcnal.select)", "no labelled item", OWNER)
    comm, generator = shard.comm, shard.generator()
    with comm.stage("graph"):
        adj = ShardedCosineAdjacency(comm, shard.x, graph.normalization)
    with comm.stage("train"):
        with global_rng_restored(shard.x.device):
            model = _ShardedGCNSampler(adj.vectors.size(1), shard.offset, shard.num_items,
                                       hidden_channels=training.hidden, dropout=training.dropout,
                                       **chosen.values(settings, "sampler"))
        shard.losses = train_sharded(shard, model, adj, training, generator)
        model.eval()
        with torch.no_grad():
            sigma = torch.sigmoid(model(adj.vectors, adj))
            embeddings = model.embed(adj.vectors, adj)
        check_trained_output(sigma, embeddings, lr=training.lr,
                             weight_decay=training.weight_decay,
                             lambda_unlabelled=training.lambda_unlabelled)
    if kind == "kcenter":
        return k_center(replace(shard, x=embeddings))
    from .methods import ranked_picks

    return ranked_picks(partial(closest_to_margin, **selector_options), "distance_to_margin",
                        1.0, shard, sigma)
