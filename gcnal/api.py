"""``gcnal.select``: one active-learning selection round."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Union

import torch
from torch import Tensor

from .methods import resolve_method, with_legacy_options
from .progress import showing_progress
from .seeding import make_generator
from .selection import Selection
from .signals import check_signals, signals_docstring
from .validation import as_feature_tensor, as_mask_tensor, check_budget, resolve_device

#: The method ``select`` runs by default (docs/choosing-a-method.md).
DEFAULT_METHOD = "typical_diverse"


def select(features, labelled_mask, budget: int, method: str = DEFAULT_METHOD, *,
           probs=None, mc_probs=None, predicted_loss=None, labelled_scores=None,
           options: Optional[Dict[str, Any]] = None,
           sampler: Union[str, Callable, torch.nn.Module, None] = None,
           selector: Union[str, Callable, None] = None, seed=None, device=None,
           progress: bool = False, return_info: bool = False, **legacy):
    r"""Pick ``budget`` unlabelled pool items to annotate next.

    Args:
        features (numpy.ndarray or torch.Tensor): :math:`(N, d)` real features
            of every pool item, e.g. the learner's penultimate layer.
        labelled_mask (numpy.ndarray or torch.Tensor): :math:`(N,)` booleans
            (or 0/1 integers), ``True`` for items already labelled.
        budget (int): How many items to pick, in :math:`[1, N_{unlabelled}]`.
        method (str): A preset from :func:`gcnal.available_methods`.
            (default: :obj:`"typical_diverse"`, the recommended method)
{signals}
        options (dict, optional): The method's own options by name, e.g.
            ``{"k": 20}`` or ``{"epochs": 50, "graph": "knn"}``; see
            :func:`gcnal.method_options` for each method's, with defaults.
            An option the method does not read is an error.
        sampler, selector: Replace the preset's sampler (a name, a factory,
            or an ``nn.Module``) or selector (a name or a function); the
            options are then theirs.
        seed (int or torch.Generator, optional): Source of all randomness;
            the same seed and inputs give the same picks.
            (default: :obj:`None`, fresh)
        device (torch.device or str, optional): Where to compute.
            (default: the features' device)
        progress (bool): Show a progress bar for each stage that runs longer
            than about a second (kNN search, training, greedy picks; see
            :mod:`gcnal.progress`). (default: :obj:`False`)
        return_info (bool): Return a :class:`~gcnal.Selection` instead of the
            indices. (default: :obj:`False`)
        **legacy: The keywords before ``options`` (``epochs=``, ``graph=``,
            ``sampler_options=`` ...): deprecated, mapped onto ``options``.

    Returns:
        int64 pool indices of length ``budget``, unique, all unlabelled, in
        pick order: numpy for numpy ``features``, else a tensor on the
        features' device. A :class:`~gcnal.Selection` with ``return_info``.
    """
    x = as_feature_tensor(features)
    labelled = as_mask_tensor(labelled_mask, x.size(0))
    budget = check_budget(budget, int((~labelled).sum()))
    chosen = resolve_method(method, sampler=sampler, selector=selector)
    given = with_legacy_options(options, legacy, chosen)
    settings = chosen.check_options(given)
    signals = check_signals({"probs": probs, "mc_probs": mc_probs, "predicted_loss":
                             predicted_loss, "labelled_scores": labelled_scores}, x.size(0))

    device = resolve_device(device, x.device)
    generator = make_generator(seed, device)
    with showing_progress(progress):
        outcome = chosen.run(x.to(device), labelled.to(device), budget,
                             {name: s.to(device) for name, s in signals.items()}, settings,
                             generator)
    indices = outcome.picks.to(torch.int64)
    indices = indices.to(x.device) if isinstance(features, Tensor) else indices.cpu().numpy()
    if not return_info:
        return indices
    info = {"method": chosen.name, "num_nodes": outcome.nodes.numel(), "device": str(device),
            "options": {name: settings[name] for name in given or {}}, **outcome.info}
    return Selection(indices=indices, nodes=outcome.nodes, scores=outcome.scores,
                     embeddings=outcome.embeddings, timings=outcome.timings, info=info,
                     losses=outcome.losses)


select.__doc__ = select.__doc__.replace("{signals}", signals_docstring())
