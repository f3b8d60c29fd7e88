"""Reading arrays from user files safely, and writing results atomically.

``.npy`` is read with ``allow_pickle=False`` and ``.pt`` with
``weights_only=True``: a crafted file can never run code, it gets a clear
error instead.
"""
from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import Union

import numpy as np
import torch

from .errors import InvalidParameterError


def load_array(path: Union[str, Path], parameter: str) -> np.ndarray:
    """The array stored in ``path`` (``.npy`` or ``.pt`` holding one tensor)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidParameterError(parameter, "the path of an existing .npy or .pt file",
                                    repr(str(path)), "gcnal select")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if suffix == ".pt":
            value = torch.load(path, map_location="cpu", weights_only=True)
            if not isinstance(value, torch.Tensor):
                raise InvalidParameterError(parameter, "a .pt file holding a single tensor",
                                            f"a file holding a {type(value).__name__}",
                                            "gcnal select")
            return value.numpy()
    except (ValueError, pickle.UnpicklingError, RuntimeError, EOFError,
            zipfile.BadZipFile, OSError) as err:
        if isinstance(err, InvalidParameterError):
            raise
        raise InvalidParameterError(parameter, "a plain numeric array file (no pickled objects)",
                                    f"{str(path)!r}, which could not be read safely ({err})",
                                    "gcnal select") from err
    raise InvalidParameterError(parameter, "a file ending in .npy or .pt", repr(str(path)),
                                "gcnal select")


def mask_from_array(values: np.ndarray, num_items: int, parameter: str = "labelled") -> np.ndarray:
    """A boolean mask of length ``num_items`` from either a mask (bools, or 0/1
    of length ``num_items``) or a list of labelled indices."""
    values = np.asarray(values)
    if values.ndim != 1:
        raise InvalidParameterError(parameter, "a 1-D mask or a 1-D list of labelled indices",
                                    f"shape {values.shape}", "gcnal select")
    if values.dtype == bool:
        return values
    is_binary = np.issubdtype(values.dtype, np.integer) and np.isin(values, (0, 1)).all()
    if is_binary and values.size == num_items and values.size > 2:
        return values.astype(bool)
    if not np.issubdtype(values.dtype, np.integer):
        raise InvalidParameterError(parameter, "a boolean mask or integer indices",
                                    f"dtype {values.dtype}", "gcnal select")
    if values.size and (values.min() < 0 or values.max() >= num_items):
        raise InvalidParameterError(parameter, f"indices in [0, {num_items - 1}]",
                                    f"indices from {values.min()} to {values.max()}",
                                    "gcnal select")
    if np.unique(values).size != values.size:
        raise InvalidParameterError(parameter, "unique labelled indices", "duplicates",
                                    "gcnal select")
    mask = np.zeros(num_items, dtype=bool)
    mask[values] = True
    return mask


def save_array_atomic(array: np.ndarray, path: Union[str, Path]) -> None:
    """Write ``array`` to ``path`` (``.npy`` or ``.pt``) via a temporary file
    and a rename, so an interrupted run never leaves a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            if path.suffix.lower() == ".pt":
                torch.save(torch.from_numpy(array), handle)
            else:
                np.save(handle, array, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
