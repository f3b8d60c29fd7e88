"""``gcnal.select``: one active-learning selection round."""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict, Optional, Union

import torch
from torch import Tensor

from .errors import InvalidParameterError
from .graph import GRAPHS, KNN_BACKENDS, NORMALIZATIONS, build_adjacency
from .options import supported_kwargs, user_options
from .progress import showing_progress
from .registry import METHODS, SAMPLERS, SELECTORS, Method
from .seeding import make_generator
from .samplers import score_sampler, train_sampler
from .samplers.training import resolve_batch_size
from .selection import Selection, split_selector_output
from .signals import check_signals
from .subset import draw_subset
from .validation import (as_feature_tensor, as_mask_tensor, check_budget, check_positive_int,
                         check_real, resolve_device)

log = logging.getLogger(__name__)


def _check_choices(**choices) -> None:
    """Each keyword is ``(value, allowed)``; a value not allowed is an error
    naming the keyword."""
    for parameter, (value, allowed) in choices.items():
        if value not in allowed:
            raise InvalidParameterError(parameter, f"one of {list(allowed)}", repr(value))


def _check_batch_size(batch_size):
    """``"auto"``, ``None`` or a positive int."""
    if isinstance(batch_size, str) and batch_size != "auto":
        raise InvalidParameterError("batch_size", "'auto', None or a positive int",
                                    repr(batch_size))
    return batch_size if batch_size == "auto" else \
        check_positive_int(batch_size, "batch_size", allow_none=True)


def _cold_start_note(method: str, cold_start) -> str:
    """Log why the cold-start selector runs; the note for ``Selection.info``."""
    name = cold_start if isinstance(cold_start, str) else \
        getattr(cold_start, "__name__", "cold_start")
    log.warning("select(method=%r): no labelled item, so the sampler cannot be trained; "
                "cold start picks with %r on the graph-propagated features A V", method, name)
    return f"{name} on graph-propagated features"


def _resolve(component: Union[str, Callable, None], registry, parameter: str) -> Any:
    return registry.resolve(component, parameter) if isinstance(component, str) else component


def _build_sampler(factory: Any, in_channels: int, hidden: int, dropout: float,
                   extra: Dict[str, Any]) -> torch.nn.Module:
    if isinstance(factory, torch.nn.Module):
        return factory
    options = {"hidden_channels": hidden, "dropout": dropout, "cached": True}
    return factory(in_channels, **{**supported_kwargs(factory, options), **extra})


def _elapsed(start: float, device: torch.device) -> float:
    """Seconds since ``start``, after the device's queued work has finished."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def _as_output(indices: Tensor, like_numpy: bool, device: torch.device):
    indices = indices.to(torch.int64)
    return indices.cpu().numpy() if like_numpy else indices.to(device)


def select(features, labelled_mask, budget: int, method: str = "typical_diverse", *,
           probs=None, mc_probs=None, predicted_loss=None, labelled_scores=None,
           sampler: Union[str, Callable, torch.nn.Module, None] = None,
           selector: Union[str, Callable, None] = None,
           sampler_options: Optional[Dict[str, Any]] = None,
           selector_options: Optional[Dict[str, Any]] = None,
           cold_start: Union[str, Callable] = "k_center", seed=None,
           subset: Optional[int] = None, graph: str = "auto", k: int = 15,
           knn_backend: str = "torch", normalization: str = "row",
           hidden: int = 128, dropout: float = 0.3, epochs: int = 200, lr: float = 1e-3,
           weight_decay: float = 5e-4, lambda_unlabelled: float = 1.2, s_margin: float = 0.1,
           batch_size: Union[int, str, None] = "auto", device=None, progress: bool = False,
           return_info: bool = False):
    r"""Pick ``budget`` unlabelled pool items to annotate next.

    The pool becomes a graph (:class:`~gcnal.graph.CosineAdjacency`), a GNN
    sampler learns to tell labelled from unlabelled nodes
    (:func:`~gcnal.samplers.train_sampler`), and a selector turns its node
    outputs into picks. Methods without a sampler (``random``, ``coreset``,
    ``entropy``, ``margin``, ``least_confidence``) skip the graph.

    Args:
        features (numpy.ndarray or torch.Tensor): :math:`(N, d)` real features
            of every pool item, e.g. the learner's penultimate layer.
        labelled_mask (numpy.ndarray or torch.Tensor): :math:`(N,)` booleans
            (or 0/1 integers), ``True`` for items already labelled.
        budget (int): How many items to pick, in
            :math:`[1, N_{unlabelled}]`.
        method (str): A preset from :func:`gcnal.available_methods`.
            (default: :obj:`"typical_diverse"`, gcnal's recommended method:
            docs/recommended.md)
        probs, mc_probs, predicted_loss, labelled_scores (array, optional):
            Learner signals (:mod:`gcnal.signals`): :math:`(N, C)` softmax
            probabilities (``entropy``, ``margin``, ``least_confidence``),
            :math:`(N, T, C)` MC-dropout samples, :math:`(N,)` predicted
            losses, :math:`(N,)` :math:`P(\text{labelled})` of a joint
            head. Each is required by the presets that read it and refused
            by the others.
        sampler, selector: Replace the preset's sampler (a name, a factory,
            or an ``nn.Module``) or selector (a name or a function).
        seed (int or torch.Generator, optional): Source of all randomness
            (subset draw, weight init, dropout, random picks); the same seed
            and inputs give the same picks. (default: :obj:`None`, fresh)
        subset (int, optional): Score only this many random unlabelled items
            (plus all labelled ones); the paper uses 10000.
            (default: :obj:`None`, the whole pool)
        graph (str): ``"dense"`` (the paper's cosine graph over all pairs,
            factorised in :math:`O(Nd)` when no feature is negative), ``"knn"``
            (each item's ``k`` most similar items, :math:`O(Nk)`), or
            ``"auto"`` (dense while exact-and-linear or under 1 GiB, else
            kNN; see :mod:`gcnal.graph.build`). (default: :obj:`"auto"`)
        k (int): Neighbours per item of the kNN graph. (default: :obj:`15`)
        knn_backend (str): How the kNN graph is searched: ``"torch"`` (exact,
            blocked matmul), ``"faiss"`` (exact, ``pip install 'gcnal[faiss]'``)
            or ``"faiss-approx"`` (inverted lists, for very large pools; see
            :func:`~gcnal.graph.knn_search`). (default: :obj:`"torch"`)
        normalization (str): ``"row"`` (:math:`D^{-1}(S-I)+I`) or ``"column"``
            (the original code's). (default: :obj:`"row"`)
        hidden, dropout, epochs, lr, weight_decay, lambda_unlabelled: The
            sampler and its training (paper defaults 128, 0.3, 200, 1e-3,
            5e-4, 1.2).
        s_margin (float): UncertainGCN's target score. (default: :obj:`0.1`)
        batch_size (int, str or None): Nodes per mini-batch of the sampler's
            training (exact mini-batches of the GCN on a kNN graph, see
            :meth:`~gcnal.samplers.GCNSampler.forward_rows`); ``None`` for full
            batch; ``"auto"`` for full batch up to 4,194,304 nodes and batches of
            65,536 beyond when the sampler and graph support it.
            ``Selection.info["training"]`` says which. (default: :obj:`"auto"`)
        device (torch.device or str, optional): Where to compute.
            (default: the features' device)
        progress (bool): Show a progress bar for each stage that runs longer
            than about a second (kNN search, training, greedy picks; see
            :mod:`gcnal.progress`). (default: :obj:`False`)
        return_info (bool): Return a :class:`~gcnal.Selection` instead of the
            indices. (default: :obj:`False`)

    Returns:
        int64 pool indices of length ``budget``, unique, all unlabelled, in
        pick order: numpy for numpy ``features``, else a tensor on the
        features' device. A :class:`~gcnal.Selection` with ``return_info``.
    """
    timings = {"graph": 0.0, "train": 0.0, "select": 0.0}
    x = as_feature_tensor(features)
    like_numpy = not isinstance(features, Tensor)
    out_device = x.device
    labelled = as_mask_tensor(labelled_mask, x.size(0))
    budget = check_budget(budget, int((~labelled).sum()))
    preset: Method = METHODS.resolve(method)
    subset = check_positive_int(subset, "subset", allow_none=True)
    _check_choices(graph=(graph, GRAPHS), knn_backend=(knn_backend, KNN_BACKENDS),
                   normalization=(normalization, NORMALIZATIONS))
    check_real(dropout, "dropout", 0.0, 1.0, high_open=True)
    check_real(s_margin, "s_margin", 0.0, 1.0)
    check_real(lr, "lr", 0.0, float("inf"), low_open=True)
    check_real(weight_decay, "weight_decay", 0.0, float("inf"))
    check_real(lambda_unlabelled, "lambda_unlabelled", 0.0, float("inf"))
    hidden = check_positive_int(hidden, "hidden")
    k = check_positive_int(k, "k")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = _check_batch_size(batch_size)
    signal = check_signals(preset.signal, {"probs": probs, "mc_probs": mc_probs,
                                           "predicted_loss": predicted_loss,
                                           "labelled_scores": labelled_scores},
                           x.size(0), preset.name, required=preset.signal_required)
    sampler_factory = _resolve(sampler if sampler is not None else preset.sampler, SAMPLERS,
                               "sampler")
    select_fn = _resolve(selector if selector is not None else preset.selector, SELECTORS,
                         "selector")
    cold_start_fn = _resolve(cold_start, SELECTORS, "cold_start")
    extra_selector = user_options(select_fn, selector_options, "selector_options")
    if sampler_options and (sampler_factory is None or isinstance(sampler_factory, torch.nn.Module)):
        raise InvalidParameterError("sampler_options", "None when there is no sampler to build "
                                    f"(method '{preset.name}' or a sampler object)",
                                    repr(sampler_options))
    extra_sampler = user_options(sampler_factory, sampler_options, "sampler_options") \
        if sampler_options else {}

    device = resolve_device(device, x.device)
    x, labelled = x.to(device), labelled.to(device)
    generator = make_generator(seed, device)
    nodes = draw_subset(labelled, subset, budget, generator)
    x_nodes, labelled_nodes = x[nodes], labelled[nodes]
    info = {"method": preset.name, "num_nodes": nodes.numel(), "device": str(device)}

    with showing_progress(progress):
        scores, embeddings, losses = None, x_nodes, []
        if signal is not None:
            scores = signal.to(device)[nodes]
        if sampler_factory is not None:
            start = time.perf_counter()
            adj, info["graph"] = build_adjacency(x_nodes, graph, normalization, k,
                                                  knn_backend=knn_backend)
            timings["graph"] = _elapsed(start, device)
            if bool(labelled_nodes.any()):
                start = time.perf_counter()
                model = _build_sampler(sampler_factory, x.size(1), hidden, dropout,
                                       extra_sampler).to(device)
                train_batch, info["training"] = resolve_batch_size(batch_size, model, adj)
                losses = train_sampler(model, adj.vectors, adj, labelled_nodes, epochs=epochs,
                                       lr=lr, weight_decay=weight_decay,
                                       lambda_unlabelled=lambda_unlabelled, generator=generator,
                                       batch_size=train_batch, progress=progress)
                scores, embeddings = score_sampler(model, adj.vectors, adj)
                timings["train"] = _elapsed(start, device)
            else:
                info["cold_start"] = _cold_start_note(preset.name, cold_start)
                embeddings, select_fn = adj @ adj.vectors, cold_start_fn
                extra_selector = {}

        start = time.perf_counter()
        options = {"generator": generator, "s_margin": s_margin}
        local, pick_scores = split_selector_output(
            select_fn(scores, embeddings, labelled_nodes, budget,
                      **{**supported_kwargs(select_fn, options), **extra_selector}))
        if extra_selector:
            info["selector_options"] = dict(extra_selector)
        picks = nodes[local.to(device)]
        info["pick_scores"] = pick_scores
        timings["select"] = _elapsed(start, device)
        log.info("selection: %s, %d picks (%.2f s)", getattr(select_fn, "__name__", "selector"),
                 budget, timings["select"])
    indices = _as_output(picks, like_numpy, out_device)
    if not return_info:
        return indices
    return Selection(indices=indices, nodes=nodes, scores=scores, embeddings=embeddings,
                     timings=timings, info=info, losses=losses)
