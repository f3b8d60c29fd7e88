"""The one source of randomness: a ``torch.Generator`` made from a user's ``seed``."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Union

import numpy as np
import torch

from .errors import InvalidParameterError


#: The largest seed a ``torch.Generator`` takes.
MAX_SEED = 2**64 - 1


def make_generator(seed: Union[int, torch.Generator, None], device: torch.device) -> torch.Generator:
    """A generator on ``device`` seeded from ``seed`` (an int, a generator to
    draw a seed from, or ``None`` for a fresh non-deterministic seed)."""
    if isinstance(seed, torch.Generator):
        seed = int(torch.randint(2**62, (1,), generator=seed))
    elif seed is None:
        seed = torch.Generator().seed()
    elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
            or not 0 <= seed <= MAX_SEED:
        shown = repr(seed) if len(repr(seed)) <= 80 else f"{type(seed).__name__} out of range"
        raise InvalidParameterError(
            "seed", "an int in [0, 2**64 - 1] (the generator's range), a torch.Generator or None",
            shown)
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator


@contextmanager
def global_rng_restored(device: torch.device) -> Iterator[None]:
    """A block after which torch's global generator (the CPU one, and
    ``device``'s when it is a CUDA device) is as it was before: for code that
    draws from it without being asked, such as ``nn.Module`` constructors
    initialising their weights, whose draws gcnal then replaces with ones
    from the user's ``seed`` (``reset_parameters(generator=...)``)."""
    devices = [device.index if device.index is not None else torch.cuda.current_device()] \
        if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        yield
