r"""The GNN presets (``uncertain_*``, ``core_*``): the pool becomes a graph,
a sampler learns to tell labelled from unlabelled nodes, and the selector
turns its outputs into picks.

1. **Nodes.** Every labelled item and ``subset`` random unlabelled ones (the
   whole pool by default), drawn from the selection's generator.
2. **Graph.** :func:`~gcnal.build_adjacency` with the :class:`GraphOptions`.
3. **Sampler.** Built from its factory with the :class:`TrainingOptions`'
   ``hidden`` and ``dropout`` and its own options, trained by
   :func:`~gcnal.samplers.train_sampler`, scored by
   :func:`~gcnal.samplers.score_sampler`: scores :math:`\sigma(z)` and
   embeddings.
4. **Selector** on the scores and embeddings. With no labelled node there is
   nothing to train on (cold start): ``cold_start`` picks on the
   graph-propagated features :math:`A V` instead.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict, List, Mapping

import torch
from torch import Tensor

from ..graph import build_adjacency
from ..options import Option, dataclass_options, merge_options, signature_options, \
    supported_kwargs
from ..registry import SELECTORS
from ..samplers import score_sampler, train_sampler
from ..samplers.early_stop import PickWatch
from ..samplers.training import check_trained_output, resolve_batch_size
from ..selectors import closest_to_margin
from ..selectors.ranking import rank_unlabelled
from ..seeding import global_rng_restored
from ..subset import draw_subset
from .base import Outcome, SelectionMethod, elapsed, run_selector, selector_options
from .gnn_options import GraphOptions, PoolOptions, TrainingOptions

log = logging.getLogger(__name__)

#: Selectors that read only the sampler's scores: ``early_stop`` watches
#: their own picks.
SCORE_SELECTORS = (closest_to_margin,)

#: Sampler keywords gcnal sets itself (from ``hidden``, ``dropout``; cached
#: propagation, since the pool is fixed during training).
_SET_BY_GCNAL = ("hidden_channels", "dropout", "cached")


def training_options(sampler: Any) -> List[Option]:
    """The :class:`TrainingOptions` a sampler reads: ``hidden`` and
    ``dropout`` only if its factory takes ``hidden_channels`` and ``dropout``
    (never for a built ``nn.Module``), ``batch_size`` only if it trains in
    mini-batches (has ``forward_rows``)."""
    built = isinstance(sampler, torch.nn.Module)
    takes = set() if built else set(supported_kwargs(sampler, {"hidden_channels": 0,
                                                                "dropout": 0}))
    reads = {"hidden": "hidden_channels" in takes, "dropout": "dropout" in takes,
             "batch_size": hasattr(sampler, "forward_rows")}
    return [o for o in dataclass_options(TrainingOptions, "training") if reads.get(o.name, True)]


def sampler_options(sampler: Any) -> List[Option]:
    """A sampler factory's own options: its parameters after ``in_channels``
    with defaults, but those gcnal sets; none for a built ``nn.Module``."""
    if isinstance(sampler, torch.nn.Module):
        return []
    return signature_options(sampler, "sampler", keyword_only=False, skip=_SET_BY_GCNAL)


class GNNMethod(SelectionMethod):
    """A preset with a sampler. Its options, in order: ``subset`` and
    ``cold_start`` (:class:`PoolOptions`), the :class:`GraphOptions`, the
    :class:`TrainingOptions` the sampler reads, the sampler's own and the
    selector's; a sampler or selector option whose name is taken is
    prefixed (GAT's ``k`` is ``sampler_k``).

    Args:
        name: The preset's name.
        sampler: A sampler factory (class) or a built ``nn.Module``.
        selector: The selector function.
    """

    def __init__(self, name: str, sampler: Any, selector: Callable):
        options = merge_options(dataclass_options(PoolOptions, "gnn"),
                                dataclass_options(GraphOptions, "graph"),
                                training_options(sampler), sampler_options(sampler),
                                selector_options(selector))
        super().__init__(name, selector, options)
        self.sampler = sampler

    def build_sampler(self, in_channels: int, training: TrainingOptions,
                      options: Dict[str, Any]) -> torch.nn.Module:
        """The sampler for features of size ``in_channels``."""
        if isinstance(self.sampler, torch.nn.Module):
            return self.sampler
        set_by_gcnal = {"hidden_channels": training.hidden, "dropout": training.dropout,
                        "cached": True}
        return self.sampler(in_channels, **supported_kwargs(self.sampler, set_by_gcnal),
                            **options)

    def run(self, x: Tensor, labelled: Tensor, budget: int, signals: Mapping[str, Tensor],
            settings: Mapping[str, Any], generator: torch.Generator) -> Outcome:
        pool = PoolOptions(**self.values(settings, "gnn"))
        graph = GraphOptions(**self.values(settings, "graph"))
        timings = {"graph": 0.0, "train": 0.0, "select": 0.0}
        info: Dict[str, Any] = {"signals_used": []}
        nodes = draw_subset(labelled, pool.subset, budget, generator)
        x_nodes, labelled_nodes = x[nodes], labelled[nodes]

        start = time.perf_counter()
        adj, info["graph"] = build_adjacency(x_nodes, graph.graph, graph.normalization, graph.k,
                                             knn_backend=graph.knn_backend)
        timings["graph"] = elapsed(start, x.device)
        scores, losses = None, []
        if bool(labelled_nodes.any()):
            start = time.perf_counter()
            scores, embeddings, losses, info["training"] = self.train_and_score(
                adj, labelled_nodes, budget, settings, generator)
            timings["train"] = elapsed(start, x.device)
            selector, options = self.selector, self.values(settings, "selector")
        else:  # nothing to train on: the cold-start selector on the propagated features
            info["cold_start"] = self._cold_start_note(pool.cold_start)
            embeddings, options = adj @ adj.vectors, {}
            selector = SELECTORS.resolve(pool.cold_start, "cold_start") \
                if isinstance(pool.cold_start, str) else pool.cold_start

        local, info["pick_scores"], timings["select"] = run_selector(
            selector, scores, embeddings, labelled_nodes, budget, generator, options)
        return Outcome(nodes[local.to(x.device)], nodes, scores, embeddings, timings, info,
                       losses)

    def train_and_score(self, adj: Any, labelled: Tensor, budget: int,
                        settings: Mapping[str, Any], generator: torch.Generator):
        """Build the sampler, train it on the graph ``adj`` to tell the
        ``labelled`` nodes from the others (until the ``budget`` would-be
        picks settle, with ``early_stop``), and score every node:
        ``(scores, embeddings, losses, training mode)``."""
        training = TrainingOptions(**self.values(settings, "training"))
        # constructors draw initial weights from the global generator; train_sampler
        # re-initialises them from `generator`, so those draws are undone here
        with global_rng_restored(adj.vectors.device):
            model = self.build_sampler(adj.vectors.size(1), training,
                                       self.values(settings, "sampler")).to(adj.vectors.device)
        batch_size, mode = resolve_batch_size(training.batch_size, model, adj)
        watch = None if training.early_stop is None else PickWatch(
            self.would_be_picks(labelled, budget, settings), training.early_stop)
        losses = train_sampler(model, adj.vectors, adj, labelled, epochs=training.epochs,
                               lr=training.lr, weight_decay=training.weight_decay,
                               lambda_unlabelled=training.lambda_unlabelled,
                               generator=generator, batch_size=batch_size, early_stop=watch)
        if watch is not None and watch.stopped_at is not None:
            mode += (f", stopped after {watch.stopped_at} of {training.epochs} epochs "
                     f"({watch.history[-1][1]:.1%} of the picks unchanged)")
        scores, embeddings = score_sampler(model, adj.vectors, adj)
        check_trained_output(scores, embeddings, lr=training.lr,
                             weight_decay=training.weight_decay,
                             lambda_unlabelled=training.lambda_unlabelled)
        return scores, embeddings, losses, mode

    def would_be_picks(self, labelled: Tensor, budget: int,
                       settings: Mapping[str, Any]) -> Callable[[Tensor], Tensor]:
        """``picks(scores)`` that ``early_stop`` watches: the selector's own
        picks when it reads only the scores (:data:`SCORE_SELECTORS`), else
        the ``budget`` unlabelled nodes of highest score, a proxy that needs
        no embeddings."""
        if self.selector in SCORE_SELECTORS:
            options = self.values(settings, "selector")
            return lambda scores: self.selector(scores, None, labelled, budget, **options)[0]
        return lambda scores: rank_unlabelled(-scores, labelled, budget)

    def _cold_start_note(self, cold_start: Any) -> str:
        """Log why the cold-start selector runs; the note for ``Selection.info``."""
        name = cold_start if isinstance(cold_start, str) else \
            getattr(cold_start, "__name__", "cold_start")
        log.warning("select(method=%r): no labelled item, so the sampler cannot be trained; "
                    "cold start picks with %r on the graph-propagated features A V",
                    self.name, name)
        return f"{name} on graph-propagated features"
