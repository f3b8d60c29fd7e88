r"""``gcnal.plot_selection``: a picture of a selection round.

Needs matplotlib (``pip install 'gcnal[demo]'``), imported only when called.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from .errors import InvalidParameterError, MissingDependencyError
from .validation import as_feature_tensor, as_mask_tensor

def project_2d(features) -> np.ndarray:
    r"""The :math:`(N, d)` features projected on their first two principal
    components, :math:`(X - \bar X)\,[\mathbf{v}_1\ \mathbf{v}_2]`, with
    :math:`\mathbf{v}_1, \mathbf{v}_2` the top eigenvectors of the
    :math:`d \times d` scatter matrix :math:`(X - \bar X)^\top (X - \bar X)`
    (exact, in float64: no randomness, :math:`O(N d^2 + d^3)`), each signed
    so that its largest entry is positive; a single feature leaves the
    second coordinate 0. Returns an :math:`(N, 2)` float64 array."""
    x = as_feature_tensor(features, owner="plot_selection").detach().cpu().double()
    centred = x - x.mean(dim=0)
    _, vectors = torch.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
    top = vectors[:, -2:].flip(1) if x.size(1) >= 2 else vectors
    top = top * torch.sign(top.gather(0, top.abs().argmax(dim=0, keepdim=True)))
    out = np.zeros((x.size(0), 2))
    out[:, :top.size(1)] = (centred @ top).numpy()
    return out


def plot_selection(features, labelled_mask, picks, labels=None, ax=None):
    r"""Draw pool, labelled and picked items on a 2-D projection of the
    features (:func:`project_2d`): the unlabelled pool as small dots, the
    labelled items as circles, the picks as stars, numbered in pick order
    when there are at most 30. With ``labels`` (one class per item) every
    item is coloured by class (the legend's markers are then grey).

    Args:
        features (numpy.ndarray or torch.Tensor): :math:`(N, d)` features
            (what :func:`gcnal.select` was given).
        labelled_mask (numpy.ndarray or torch.Tensor): :math:`(N,)` booleans.
        picks (array): Pool indices of the picks (:func:`gcnal.select`'s
            output or ``Selection.indices``).
        labels (array, optional): :math:`(N,)` integer classes. (default:
            :obj:`None`, no colours by class)
        ax (matplotlib.axes.Axes, optional): Where to draw. (default: a new
            figure)

    Returns:
        The :class:`matplotlib.axes.Axes` drawn on.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise MissingDependencyError("matplotlib", "demo", "plot_selection") from err
    points = project_2d(features)
    n = points.shape[0]
    labelled = as_mask_tensor(labelled_mask, n, "plot_selection").cpu().numpy()
    picks = _as_indices(picks, n, "picks")
    classes = None if labels is None else _as_indices(labels, None, "labels", n)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5), dpi=120)
    picked = np.zeros(n, dtype=bool)
    picked[picks] = True
    groups = (("pool", ~labelled & ~picked, "tab:gray", dict(s=6, alpha=0.35, marker=".")),
              ("labelled", labelled, "tab:blue", dict(s=36, marker="o", edgecolors="black",
                                                      linewidths=0.6)),
              ("picked", picked, "tab:red", dict(s=140, marker="*", edgecolors="black",
                                                 linewidths=0.8)))
    cmap = None if classes is None else plt.get_cmap("tab10" if classes.max() < 10 else "tab20")
    for name, members, default_colour, style in groups:
        colour = {"color": default_colour} if cmap is None else \
            {"c": cmap(classes[members] % cmap.N)}
        ax.scatter(points[members, 0], points[members, 1], label=f"{name} ({members.sum()})",
                   **colour, **style)
    if picks.size <= 30:
        for rank, item in enumerate(picks, start=1):
            ax.annotate(str(rank), points[item], textcoords="offset points", xytext=(5, 5),
                        fontsize=7)
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    ax.set_title(f"{picks.size} picks, {int(labelled.sum())} labelled, {n} items")
    legend = ax.legend(loc="best", fontsize=8)
    if cmap is not None:  # the markers say the group; colours are classes, not groups
        for handle in getattr(legend, "legend_handles", None) or legend.legendHandles:
            handle.set_facecolor("lightgray")
    return ax


def _as_indices(values, num_items: Optional[int], parameter: str,
                length: Optional[int] = None) -> np.ndarray:
    """``values`` as int64 numpy: pool indices in ``[0, num_items)`` (unique),
    or, with ``length``, one non-negative class per item."""
    array = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) \
        else np.asarray(values)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer) or array.dtype == bool:
        raise InvalidParameterError(parameter, "a 1-D array of integers",
                                    f"shape {array.shape} and dtype {array.dtype}",
                                    "plot_selection")
    if length is not None:
        if array.size != length or (array.size and array.min() < 0):
            raise InvalidParameterError(parameter, f"{length} non-negative classes (one per "
                                        "item)", f"{array.size} values from "
                                        f"{array.min() if array.size else None}",
                                        "plot_selection")
        return array.astype(np.int64)
    if array.size and (array.min() < 0 or array.max() >= num_items
                       or np.unique(array).size != array.size):
        raise InvalidParameterError(parameter, f"unique pool indices in [0, {num_items - 1}]",
                                    f"values from {array.min()} to {array.max()}",
                                    "plot_selection")
    return array.astype(np.int64)
