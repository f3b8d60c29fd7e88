"""The one source of randomness: a ``torch.Generator`` made from a user's ``seed``."""
from __future__ import annotations

from typing import Union

import numpy as np
import torch

from .errors import InvalidParameterError


def make_generator(seed: Union[int, torch.Generator, None], device: torch.device) -> torch.Generator:
    """A generator on ``device`` seeded from ``seed`` (an int, a generator to
    draw a seed from, or ``None`` for a fresh non-deterministic seed)."""
    if isinstance(seed, torch.Generator):
        seed = int(torch.randint(2**62, (1,), generator=seed))
    elif seed is None:
        seed = torch.Generator().seed()
    elif isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidParameterError("seed", "a non-negative int, a torch.Generator or None",
                                    repr(seed))
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator
