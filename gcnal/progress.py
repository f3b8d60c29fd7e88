"""Feedback while a selection runs: progress bars for its long loops and one
INFO log line per stage.

Bars are off unless asked for: :func:`gcnal.select` runs its stages inside
:func:`showing_progress` with its ``progress`` argument, and every long loop
(the kNN search's row blocks, the sampler's epochs, the greedy picks of
k-center, typical_diverse and ProbCover) iterates through
:func:`progress_bar`, which draws a bar only inside that block and only
once the loop has run for :data:`DELAY_SECONDS`, so short stages stay
silent. The bar is tqdm's (a core dependency, imported with the first bar).
"""
from __future__ import annotations

import contextvars
import logging
import time
from contextlib import contextmanager
from typing import Iterable, Iterator, Optional, TypeVar

import torch

T = TypeVar("T")

#: Seconds a loop runs before its bar appears.
DELAY_SECONDS = 1.0

_SHOWING = contextvars.ContextVar("gcnal_showing_progress", default=False)


@contextmanager
def showing_progress(enabled: bool = True) -> Iterator[None]:
    """Within this block, :func:`progress_bar` draws bars when ``enabled``."""
    token = _SHOWING.set(bool(enabled))
    try:
        yield
    finally:
        _SHOWING.reset(token)


def progress_bar(iterable: Iterable[T], description: str, total: Optional[int] = None,
                 enabled: Optional[bool] = None) -> Iterable[T]:
    """``iterable`` itself, or wrapped in a bar labelled ``gcnal: description``
    when ``enabled`` (``None``: as the enclosing :func:`showing_progress`
    says). ``total`` defaults to ``len(iterable)`` where it has one."""
    if not (_SHOWING.get() if enabled is None else enabled):
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=f"gcnal: {description}", total=total, leave=False,
                delay=DELAY_SECONDS)


@contextmanager
def log_stage(logger: logging.Logger, stage: str, device: Optional[torch.device] = None
              ) -> Iterator[dict]:
    """Time the block and log ``<stage>: <detail> (<seconds> s)`` at INFO;
    the block may put a ``"detail"`` into the dict it receives (e.g. which
    graph it built). On a CUDA ``device`` the time includes the queued work."""
    record: dict = {"detail": ""}
    start = time.perf_counter()
    yield record
    if device is not None and device.type == "cuda":
        torch.cuda.synchronize(device)
    record["seconds"] = time.perf_counter() - start
    detail = f": {record['detail']}" if record["detail"] else ""
    logger.info("%s%s (%.2f s)", stage, detail, record["seconds"])
