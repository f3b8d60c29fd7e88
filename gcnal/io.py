"""Reading arrays and id lists from user files safely, and writing results atomically.

``.npy`` is read with ``allow_pickle=False`` and ``.pt`` with
``weights_only=True``: a crafted file can never run code, it gets a clear
error instead.

Every write goes to a temporary file next to the target and is renamed onto
it, with SIGTERM and SIGINT held back meanwhile: a run interrupted while
writing leaves neither a partial output nor the temporary file (see
:func:`write_atomic`).
"""
from __future__ import annotations

import contextlib
import os
import pickle
import signal
import tempfile
import zipfile
from pathlib import Path
from typing import Callable, Dict, Iterator, Mapping, Optional, Union

import numpy as np
import torch

from .errors import InvalidParameterError

#: What ``--out`` may end with, and what each writes.
OUTPUT_FORMATS = {
    ".csv": "a header and one row per pick: its index, then its per-pick scores",
    ".txt": "one pool index per line, most wanted first",
    ".npy": "an int64 numpy array of pool indices",
    ".pt": "an int64 torch tensor of pool indices",
}

#: Signals held back while a file is being written and renamed.
_DEFERRED_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def load_array(path: Union[str, Path], parameter: str) -> np.ndarray:
    """The array stored in ``path`` (``.npy`` or ``.pt`` holding one tensor)."""
    path = _existing_file(path, parameter, "the path of an existing .npy or .pt file")
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


def load_id_list(path: Union[str, Path], parameter: str) -> np.ndarray:
    """The pool indices listed in the text file ``path``, one per line
    (blank lines skipped), as int64."""
    path = _existing_file(path, parameter, "the path of an existing text file of ids")
    ids = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                continue
            if not text.isdigit():
                raise InvalidParameterError(parameter, "one non-negative integer id per line",
                                            f"line {number} of {str(path)!r}: {text[:40]!r}",
                                            "gcnal select")
            ids.append(int(text))
    return np.array(ids, dtype=np.int64)


def _existing_file(path: Union[str, Path], parameter: str, expected: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise InvalidParameterError(parameter, expected, repr(str(path)), "gcnal select")
    return path


def mask_from_array(values: np.ndarray, num_items: int, parameter: str = "labelled",
                    ids: bool = False) -> np.ndarray:
    r"""A boolean mask of length ``num_items`` from a mask or a list of
    labelled indices.

    The rule, for any :math:`N` = ``num_items``: a boolean array is a mask
    (of length :math:`N`); an integer array of length :math:`N` holding only
    0 and 1 is a mask; any other integer array is a list of unique indices in
    :math:`[0, N)`. A 0/1 array that is neither (its length is not :math:`N`
    and it repeats an index) is a mask of the wrong length. With ``ids`` (a
    text file of ids) the values are always indices.
    """
    values = np.asarray(values)
    if values.ndim != 1:
        raise InvalidParameterError(parameter, "a 1-D mask or a 1-D list of labelled indices",
                                    f"shape {values.shape}", "gcnal select")
    binary = values.dtype == bool or (np.issubdtype(values.dtype, np.integer)
                                      and bool(np.isin(values, (0, 1)).all()))
    if not ids and binary and values.size == num_items:
        return values.astype(bool)
    if not ids and (values.dtype == bool or (binary and np.unique(values).size != values.size)):
        raise InvalidParameterError(parameter, f"a mask of length {num_items} (one entry per "
                                    "pool item) or a list of unique indices",
                                    f"a 0/1 mask of the wrong length ({values.size})",
                                    "gcnal select")
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


def check_output_path(path: Union[str, Path], parameter: str = "out") -> Path:
    """``path`` as a writable output: ending in one of :data:`OUTPUT_FORMATS`,
    not a directory. Checked before any work is done."""
    path = Path(path)
    expected = f"a file path ending in {', '.join(OUTPUT_FORMATS)}"
    if path.is_dir():
        raise InvalidParameterError(parameter, expected, f"{str(path)!r}, a directory",
                                    "gcnal select")
    if path.suffix.lower() not in OUTPUT_FORMATS:
        raise InvalidParameterError(parameter, expected, repr(str(path)), "gcnal select")
    return path


def save_picks(picks: np.ndarray, path: Union[str, Path],
               pick_scores: Optional[Mapping[str, np.ndarray]] = None) -> None:
    """Write ``picks`` (int64 pool indices) to ``path`` in the format its
    extension names (:data:`OUTPUT_FORMATS`), atomically; ``.csv`` adds one
    column per entry of ``pick_scores`` (each aligned with ``picks``)."""
    path = check_output_path(path)
    suffix = path.suffix.lower()
    if suffix in (".npy", ".pt"):
        save_array_atomic(np.asarray(picks, dtype=np.int64), path)
    elif suffix == ".txt":
        write_atomic(path, lambda handle: handle.write(_lines(str(int(i)) for i in picks)))
    else:
        write_atomic(path, lambda handle: handle.write(_csv(picks, dict(pick_scores or {}))))


def _lines(rows: Iterator[str]) -> bytes:
    return "".join(row + "\n" for row in rows).encode()


def _csv(picks: np.ndarray, columns: Dict[str, np.ndarray]) -> bytes:
    """``index,<column>...`` then one row per pick; reals to 9 significant
    digits (float32 round-trips), ``nan``/``inf`` as Python writes them."""
    header = ",".join(["index", *columns])
    cells = [[str(int(i)) for i in picks]]
    for values in columns.values():
        values = np.asarray(values)
        floating = np.issubdtype(values.dtype, np.floating)
        cells.append([format(float(v), ".9g") if floating else str(v.item()) for v in values])
    return _lines(iter([header, *(",".join(row) for row in zip(*cells))]))


def save_array_atomic(array: np.ndarray, path: Union[str, Path]) -> None:
    """Write ``array`` to ``path`` (``.npy``, or ``.pt`` as a tensor) atomically."""
    path = Path(path)
    if path.suffix.lower() == ".pt":
        write_atomic(path, lambda handle: torch.save(torch.from_numpy(array), handle))
    else:
        write_atomic(path, lambda handle: np.save(handle, array, allow_pickle=False))


def write_atomic(path: Union[str, Path], write: Callable) -> None:
    """Call ``write(handle)`` on a temporary file next to ``path`` (binary
    mode), then rename it onto ``path``.

    SIGTERM and SIGINT are held back from before the temporary file exists
    until it is renamed or removed. One that arrived meanwhile is honoured
    right after, and the output of the interrupted run is removed first: a
    terminated run leaves neither a half-written file, nor a finished one it
    was killed while writing, nor the temporary file (a previous file at
    ``path`` stays unless the signal came during the rename itself).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _signals_deferred() as interrupted:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                write(handle)
            if not interrupted():
                os.replace(tmp, path)
                if interrupted():
                    os.unlink(path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


@contextlib.contextmanager
def _signals_deferred():
    """Hold back :data:`_DEFERRED_SIGNALS` in the body (POSIX; elsewhere a
    no-op); yields a function that says whether one is pending."""
    if not hasattr(signal, "pthread_sigmask"):
        yield lambda: False
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED_SIGNALS)
    try:
        yield lambda: bool(signal.sigpending() & _DEFERRED_SIGNALS)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
