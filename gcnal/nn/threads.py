"""Thread count for loops of small operations."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Runs the block on ``count`` torch intra-op threads, then restores the
    count: a large product inside a :func:`one_thread` loop."""
    previous = torch.get_num_threads()
    if previous == count:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def one_thread():
    """Runs the block on one torch intra-op thread, then restores the count.

    For a loop of many small operations (a greedy selection's per-pick
    matrix-vector product and a few vector updates), where splitting each
    operation over threads costs more than it saves, and costs far more when
    other processes hold the other cores. Results do not depend on it: a
    reduction along a row sums in the same order on any thread count.
    """
    return torch_threads(1)
