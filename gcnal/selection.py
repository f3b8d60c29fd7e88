"""The result of a selection round, with what led to it."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from .errors import InvalidParameterError

Array = Union[np.ndarray, Tensor]

#: Picks shown by ``repr`` before the ellipsis.
REPR_PICKS = 5

#: What :meth:`Selection.save` writes into its file's ``meta``.
SAVE_FORMAT = "gcnal.Selection/1"

#: The array fields of a :class:`Selection`, in the order they are stored.
ARRAY_FIELDS = ("indices", "nodes", "scores", "embeddings")


@dataclass
class Selection:
    """What :func:`gcnal.select` returns with ``return_info=True``.

    Every array has the type of ``indices``: numpy for numpy ``features``,
    else a tensor on the features' device.

    Attributes:
        indices: The picks, as :func:`gcnal.select` returns them (int64, pick
            order).
        nodes: Pool indices of the items the sampler saw (the graph's nodes;
            the whole pool unless ``subset`` was given), int64.
        scores: Per-node output the selector ranked (the sampler's
            :math:`\\sigma(z)`, or the learner signal), aligned with ``nodes``;
            ``None`` for methods that use none.
        embeddings: Per-node vectors the selector measured distances on (the
            sampler's hidden layer, or the raw features), aligned with ``nodes``.
        timings: Seconds spent per stage: ``graph``, ``train``, ``select``.
        info: What was decided on the way (graph form, cold start, ...).
        losses: The sampler's training loss per epoch (empty without one).
        pick_scores: Per-pick columns, each aligned with ``indices``: the
            values that decided each pick when it was made (``"typicality"``,
            ``"distance"``, ``"entropy"`` ...; the selector's docstring says
            which). Built from ``info["pick_scores"]`` (the selector's own
            output, see :func:`split_selector_output`), which moves here.
    """

    indices: Array
    nodes: Array
    scores: Optional[Array]
    embeddings: Optional[Array]
    timings: Dict[str, float] = field(default_factory=dict)
    info: Dict[str, Any] = field(default_factory=dict)
    losses: list = field(default_factory=list)
    pick_scores: Dict[str, Array] = field(default_factory=dict)

    def __post_init__(self):
        columns = {**self.info.get("pick_scores", {}), **self.pick_scores}
        self.info = {key: value for key, value in self.info.items() if key != "pick_scores"}
        like = self.indices
        for name in ARRAY_FIELDS[1:]:
            setattr(self, name, _like(getattr(self, name), like))
        self.pick_scores = {name: _like(value, like) for name, value in columns.items()}
        _check_columns(self.pick_scores, len(like), "pick_scores", "Selection")

    @property
    def budget(self) -> int:
        """How many items were picked."""
        return len(self.indices)

    def __repr__(self) -> str:
        picks = [int(i) for i in self.indices[:REPR_PICKS]]
        shown = ", ".join(map(str, picks)) + (", ..." if self.budget > REPR_PICKS else "")
        timings = ", ".join(f"{stage}={seconds:.3g}s" for stage, seconds in self.timings.items())
        return (f"Selection(method={self.info.get('method')!r}, budget={self.budget}, "
                f"indices=[{shown}], pick_scores={list(self.pick_scores)}, "
                f"timings=({timings}))")

    def to_dict(self) -> Dict[str, Any]:
        """Every field as plain Python values that :func:`json.dumps` writes as
        strict JSON: arrays become (nested) lists, non-finite floats ``None``."""
        return {
            **{name: _jsonable(getattr(self, name)) for name in ARRAY_FIELDS},
            "pick_scores": _jsonable(self.pick_scores),
            "timings": _jsonable(self.timings),
            "info": _jsonable(self.info),
            "losses": _jsonable(self.losses),
        }

    def save(self, path: Union[str, Path]) -> None:
        """Write the selection to ``path`` as one ``.npz`` archive (written
        atomically, readable with ``numpy.load(path, allow_pickle=False)``):
        the arrays exactly as they are (``indices``, ``nodes``, ``scores``,
        ``embeddings``, ``pick_scores/<column>``) and ``meta``, a JSON string
        holding ``timings``, ``info``, ``losses`` and whether the arrays were
        numpy or torch (``info`` values that JSON cannot hold, such as a
        function, are stored as their ``repr``; tuples come back as lists).
        :meth:`load` reads it back."""
        from .io import write_atomic

        arrays = {name: _as_numpy(getattr(self, name)) for name in ARRAY_FIELDS
                  if getattr(self, name) is not None}
        arrays.update({f"pick_scores/{name}": _as_numpy(value)
                       for name, value in self.pick_scores.items()})
        meta = {"format": SAVE_FORMAT, "timings": self.timings,
                "info": _jsonable(self.info, strict=False),
                "losses": _jsonable(self.losses, strict=False),
                "arrays": "torch" if isinstance(self.indices, Tensor) else "numpy",
                "pick_scores": list(self.pick_scores)}
        arrays["meta"] = np.array(json.dumps(meta))

        def write(handle) -> None:
            np.savez(handle, **arrays)

        write_atomic(path, write)

    @classmethod
    def load(cls, path: Union[str, Path]) -> "Selection":
        """The selection :meth:`save` wrote to ``path``; torch arrays come back
        on the CPU. Nothing in the file is unpickled."""
        expected = "a file written by Selection.save"
        try:
            archive = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise InvalidParameterError("path", expected, f"{str(path)!r} ({err})",
                                        "Selection.load") from err
        if not isinstance(archive, np.lib.npyio.NpzFile) or "meta" not in archive.files:
            raise InvalidParameterError("path", expected, f"{str(path)!r}, another kind of "
                                        "numpy file", "Selection.load")
        with archive:
            arrays = {name: archive[name] for name in archive.files}
        try:
            meta = json.loads(str(arrays.pop("meta")))
        except ValueError:
            meta = None
        if not isinstance(meta, dict) or meta.get("format") != SAVE_FORMAT:
            raise InvalidParameterError("path", expected, f"{str(path)!r}, whose meta is not "
                                        f"{SAVE_FORMAT}", "Selection.load")
        as_torch = meta["arrays"] == "torch"

        def restore(value):
            return torch.from_numpy(value) if as_torch and value is not None else value

        return cls(**{name: restore(arrays.get(name)) for name in ARRAY_FIELDS},
                   timings=meta["timings"], info=meta["info"], losses=meta["losses"],
                   pick_scores={name: restore(arrays[f"pick_scores/{name}"])
                                for name in meta["pick_scores"]})


def _like(value: Optional[Array], like: Array) -> Optional[Array]:
    """``value`` as the type of ``like``: numpy, or a tensor on its device."""
    if value is None:
        return None
    if isinstance(like, np.ndarray):
        return _as_numpy(value)
    return torch.as_tensor(value).to(like.device)


def _as_numpy(value: Array) -> np.ndarray:
    return value.detach().cpu().numpy() if isinstance(value, Tensor) else np.asarray(value)


def _jsonable(value: Any, strict: bool = True) -> Any:
    """``value`` with arrays and numpy scalars as Python lists and numbers,
    recursively; with ``strict``, non-finite floats become ``None`` (strict
    JSON has no NaN or infinity)."""
    if isinstance(value, (Tensor, np.ndarray)):
        return _jsonable(_as_numpy(value).tolist(), strict)
    if isinstance(value, dict):
        return {str(key): _jsonable(item, strict) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item, strict) for item in value]
    if isinstance(value, np.generic):
        return _jsonable(value.item(), strict)
    if isinstance(value, float) and strict and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def split_selector_output(result) -> Tuple[Tensor, Dict[str, Tensor]]:
    """A selector's return value as ``(indices, pick_scores)``.

    A selector returns either its picks (an int tensor or array of local node
    indices, in pick order) or a pair ``(picks, pick_scores)`` where
    ``pick_scores`` maps a column name (``"typicality"``, ``"uncertainty"``,
    ``"distance"`` ...) to a ``(budget,)`` tensor aligned with the picks: the
    value that decided each pick when it was made.
    """
    pick_scores: Dict[str, Tensor] = {}
    if isinstance(result, tuple):
        result, pick_scores = result
    indices = torch.as_tensor(result)
    if not isinstance(pick_scores, dict) or not all(isinstance(k, str) for k in pick_scores):
        raise InvalidParameterError("selector", "a function returning picks or (picks, a dict "
                                    "of per-pick columns)", f"pick_scores of type "
                                    f"{type(pick_scores).__name__}")
    columns = {name: torch.as_tensor(value) for name, value in pick_scores.items()}
    _check_columns(columns, indices.numel(), "selector", "select")
    return indices, columns


def _check_columns(columns: Dict[str, Array], budget: int, parameter: str, owner: str) -> None:
    """Every column holds one value per pick."""
    for name, value in columns.items():
        if tuple(value.shape) != (budget,):
            raise InvalidParameterError(parameter, f"per-pick columns of shape ({budget},), "
                                        "one value per pick",
                                        f"column {name!r} of shape {tuple(value.shape)}", owner)
