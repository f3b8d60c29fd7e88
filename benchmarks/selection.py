"""The one place where the benchmarks call gcnal: :func:`select_batch`.

Every method of every study goes through ``gcnal.select`` (the public API),
so the benchmark measures exactly what users get.
"""
from __future__ import annotations

import time
from typing import Dict, Tuple

import numpy as np
import torch

__all__ = ["FEATURELESS_METHODS", "select_batch", "available_methods", "gcnal_version",
           "method_signal"]

#: Presets that ignore the features: the runner skips the learner's forward
#: pass for them and passes a constant (N, 1) feature column for the whole pool.
FEATURELESS_METHODS = frozenset({"random"})


def available_methods() -> list:
    import gcnal

    return list(gcnal.available_methods())


def method_signal(method: str):
    """The learner signal a preset reads (``"probs"``, ``"mc_probs"`` ...; see
    ``gcnal.signals``), or ``None``."""
    import gcnal

    return gcnal.registry.METHODS.resolve(method).signal


def gcnal_version() -> str:
    import gcnal

    return str(getattr(gcnal, "__version__", "unknown"))


def select_batch(
    method: str,
    features,
    labelled_mask,
    budget: int,
    *,
    seed: int,
    **options,
) -> Tuple[np.ndarray, Dict[str, float], float, Dict]:
    """Pick ``budget`` pool indices with ``gcnal.select``.

    Args:
        method: a gcnal preset name.
        features: ``(N, d)`` numpy array or torch tensor (any device).
        labelled_mask: ``(N,)`` bool.
        budget: items to pick.
        seed: gcnal's seed for this selection.
        **options: passed through to ``gcnal.select``: the method's learner
            signal (e.g. ``probs=``), ``options={...}`` ...

    Returns:
        ``(indices, timings, seconds, info)``: int64 numpy pool indices in
        pick order, gcnal's own timing breakdown, the wall time of the call,
        and ``Selection.info`` (what gcnal decided, e.g. the graph form) made
        JSON-safe.
    """
    import gcnal

    kwargs = dict(options)
    if isinstance(features, torch.Tensor) and features.device.type == "cuda":
        torch.cuda.synchronize(features.device)
    start = time.perf_counter()
    sel = gcnal.select(features, labelled_mask, int(budget), method=method, seed=int(seed), return_info=True, **kwargs)
    idx = sel.indices
    if isinstance(idx, torch.Tensor):
        idx = idx.detach().cpu().numpy()  # also synchronises a CUDA device
    seconds = time.perf_counter() - start
    timings = {str(k): float(v) for k, v in dict(getattr(sel, "timings", {}) or {}).items()}
    info = {str(k): _json_safe(v) for k, v in dict(getattr(sel, "info", {}) or {}).items()}
    return np.asarray(idx, dtype=np.int64), timings, seconds, info


def _json_safe(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (np.generic,)):
        return value.item()
    return str(value)
